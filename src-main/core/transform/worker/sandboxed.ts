/**
 * A code transformation (JavaScript or Python) running in a WorkerHost: serializes calls,
 * loads the code again after a restart, turns engine outcomes into TransformResults, and
 * re-runs events a stopped worker never got to.
 */
import type { LogEntry, TransformErrorCode, TransformResult } from '../types';
import type { Stop, WorkerHost } from './host';

export interface EngineError {
  code: TransformErrorCode;
  message: string;
  line?: number;
  column?: number;
}

/** `logs`, when the engine reports them inside its outcome, come before the item's other logs. */
export type EngineRunResult = ({ ok: true; output: Record<string, unknown> } | { ok: false; error: EngineError }) & {
  logs?: LogEntry[];
};

/** Engine-specific interpretation of the worker's outcomes. */
export interface EngineAdapter {
  /** The code's own problem after loading (syntax, top level, no transform), or null. */
  loadError(outcome: unknown): EngineError | null;
  result(outcome: unknown): EngineRunResult;
}

export function stopError(stop: Stop): EngineError {
  return { code: stop.reason === 'timeout' ? 'timeout' : stop.reason === 'memory' ? 'memory' : 'internal', message: stop.message };
}

export class SandboxedTransformer {
  private loadedGeneration = -1;
  private codeError: EngineError | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly host: WorkerHost,
    private readonly source: string,
    private readonly adapter: EngineAdapter,
  ) {}

  /** The code's own problem, once known (after the first run or `ready()`). */
  get initError(): EngineError | null {
    return this.codeError;
  }

  /** Starts the engine and loads the code; resolves to the code's problem, if any. */
  ready(): Promise<EngineError | null> {
    return this.serialized(async () => {
      try {
        return await this.ensureLoaded();
      } catch (e) {
        return { code: 'internal', message: (e as Error).message } satisfies EngineError;
      }
    });
  }

  run(event: unknown): Promise<TransformResult> {
    return this.runMany([event]).then((r) => r[0]);
  }

  runMany(events: readonly unknown[]): Promise<TransformResult[]> {
    return this.serialized(() => this.runBatch(events));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.host.dispose();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** null when the code is loaded in the current worker; the code's problem otherwise. Throws when the engine cannot start. */
  private async ensureLoaded(): Promise<EngineError | null> {
    if (this.codeError) return this.codeError;
    await this.host.start();
    if (this.loadedGeneration === this.host.generation) return null;
    const generation = this.host.generation;
    const reply = await this.host.load(this.source);
    if (!reply.ok) {
      if (reply.stop.reason === 'crash') throw new Error(reply.stop.message);
      this.codeError = stopError(reply.stop);
    } else {
      const error = this.adapter.loadError(reply.outcome);
      if (error?.code === 'internal') {
        // The engine failed, not the code: start over next time.
        this.host.stop();
        throw new Error(error.message);
      }
      this.codeError = error;
    }
    if (this.codeError) {
      // The code cannot run: free the engine until the transformation is replaced.
      this.host.stop();
      return this.codeError;
    }
    this.loadedGeneration = generation;
    return null;
  }

  private async runBatch(events: readonly unknown[]): Promise<TransformResult[]> {
    const results: (TransformResult | undefined)[] = new Array(events.length).fill(undefined);
    const jsons: string[] = new Array(events.length);
    const fail = (i: number, error: EngineError, ms = 0) => {
      results[i] = { ok: false, error: error.message, code: error.code, logs: [], ms };
    };
    events.forEach((event, i) => {
      try {
        const json = JSON.stringify(event);
        if (json === undefined) fail(i, { code: 'invalid-input', message: 'the event is not valid JSON' });
        else jsons[i] = json;
      } catch (e) {
        fail(i, { code: 'invalid-input', message: `the event is not valid JSON: ${(e as Error).message}` });
      }
    });
    let pending = indexesWithout(results);
    while (pending.length > 0) {
      if (this.disposed) {
        for (const i of pending) fail(i, { code: 'internal', message: 'the transformer was disposed' });
        break;
      }
      let codeError: EngineError | null;
      try {
        codeError = await this.ensureLoaded();
      } catch (e) {
        for (const i of pending) fail(i, { code: 'internal', message: (e as Error).message });
        break;
      }
      if (codeError) {
        for (const i of pending) fail(i, codeError);
        break;
      }
      const reply = await this.host.run(pending.map((i) => jsons[i]));
      let progressed = false;
      reply.items.forEach((item, k) => {
        if (!item) return;
        progressed = true;
        const r = this.adapter.result(item.outcome);
        const ms = round(item.ms);
        const logs = r.logs ? (item.logs.length > 0 ? [...r.logs, ...item.logs] : r.logs) : item.logs;
        results[pending[k]] = r.ok
          ? { ok: true, output: r.output, logs, ms }
          : { ok: false, error: r.error.message, code: r.error.code, logs, ms };
      });
      if (reply.stopped) {
        progressed = true;
        fail(pending[reply.stopped.index], stopError(reply.stopped.stop), round(reply.stopped.ms));
      }
      const left = pending.filter((i) => results[i] === undefined);
      if (!progressed) {
        for (const i of left) fail(i, { code: 'internal', message: 'the engine stopped before running the event' });
        break;
      }
      pending = left;
    }
    return results as TransformResult[];
  }
}

function indexesWithout(results: readonly (TransformResult | undefined)[]): number[] {
  const out: number[] = [];
  results.forEach((r, i) => {
    if (r === undefined) out.push(i);
  });
  return out;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
