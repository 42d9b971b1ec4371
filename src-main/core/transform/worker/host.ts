/**
 * WorkerHost: owns one sandbox worker thread for a transformer (main-thread side).
 *
 * User code never runs on the main thread. A watchdog reads the shared progress slots while a
 * request is in flight: past the time limit it asks the item to stop (interrupt flag), and past
 * the limit plus a grace period it terminates the thread. A terminated or crashed worker is
 * replaced on the next request (`generation` changes so the caller loads its code again).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { LogEntry } from '../types';
import {
  INDEX_IDLE,
  INDEX_LOAD,
  SHARED_BYTES,
  SLOT_INDEX,
  SLOT_INTERRUPT,
  SLOT_SEQ,
  SLOT_TARGET,
  START_BYTE_OFFSET,
  type MainToWorker,
  type WorkerToMain,
} from './protocol';

export interface WorkerHostConfig {
  /** "JavaScript" or "Python", for messages. */
  label: string;
  /** The worker's full source (prelude + engine), evaluated with `eval: true`. */
  script: string;
  workerData: Record<string, unknown>;
  resourceLimits?: ResourceLimits;
  /** Per-event time limit. */
  timeoutMs: number;
  /** Time limit of loading the user's code (its top level) or checking it. */
  initTimeoutMs: number;
  /** Extra time after the interrupt request before the thread is terminated. */
  graceMs: number;
  /** Time allowed for the engine itself to start (e.g. Pyodide's ~2 s). */
  bootTimeoutMs: number;
}

export interface Stop {
  reason: 'timeout' | 'memory' | 'crash';
  message: string;
}

export interface ItemReply {
  outcome: unknown;
  logs: LogEntry[];
  ms: number;
}

export interface BatchReply {
  /** One entry per event; undefined for events that did not run (the worker stopped first). */
  items: (ItemReply | undefined)[];
  /** The event that was running when the worker was stopped, if any. */
  stopped?: { index: number; stop: Stop; ms: number };
}

export type LoadReply = { ok: true; outcome: unknown } | { ok: false; stop: Stop };

interface ActiveRequest {
  onMessage(msg: WorkerToMain): void;
  onStop(stop: Stop, index: number, ms: number): void;
}

const clock = () => performance.timeOrigin + performance.now();

export class WorkerHost {
  /** Changes at every (re)start of the worker. */
  generation = 0;
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private readonly shared = new SharedArrayBuffer(SHARED_BYTES);
  private readonly slots = new Int32Array(this.shared, 0, 4);
  private readonly startTime = new Float64Array(this.shared, START_BYTE_OFFSET, 1);
  private active: ActiveRequest | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private interruptedSeq = -1;
  private disposed = false;

  constructor(private readonly config: WorkerHostConfig) {
    Atomics.store(this.slots, SLOT_INDEX, INDEX_IDLE);
  }

  get isRunning(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker (engine boot included) if it is not running. */
  start(): Promise<Worker> {
    if (this.disposed) return Promise.reject(new Error(`the ${this.config.label} transformer was disposed`));
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.spawn().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private spawn(): Promise<Worker> {
    const { label, script, workerData, resourceLimits, bootTimeoutMs } = this.config;
    return new Promise<Worker>((resolve, reject) => {
      // A new thread starts clean: no interrupt pending from the one it replaces.
      Atomics.store(this.slots, SLOT_INDEX, INDEX_IDLE);
      Atomics.store(this.slots, SLOT_INTERRUPT, 0);
      Atomics.store(this.slots, SLOT_TARGET, 0);
      const w = new Worker(script, { eval: true, workerData: { ...workerData, shared: this.shared }, resourceLimits });
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        w.removeAllListeners();
        void w.terminate();
        reject(new Error(message));
      };
      const timer = setTimeout(() => fail(`the ${label} engine did not start within ${bootTimeoutMs} ms`), bootTimeoutMs);
      w.on('message', (msg: WorkerToMain) => {
        if (settled) {
          this.active?.onMessage(msg);
          return;
        }
        if (msg.type === 'boot-error') {
          fail(`the ${label} engine could not start: ${msg.message}`);
        } else if (msg.type === 'ready') {
          settled = true;
          clearTimeout(timer);
          if (this.disposed) {
            w.removeAllListeners();
            void w.terminate();
            reject(new Error(`the ${label} transformer was disposed`));
            return;
          }
          this.worker = w;
          this.generation++;
          w.unref();
          resolve(w);
        }
      });
      w.on('error', (err: Error & { code?: string }) => {
        if (!settled) return fail(`the ${label} engine could not start: ${err.message}`);
        this.died(w, classifyError(err, label));
      });
      w.on('exit', (code) => {
        if (!settled) return fail(`the ${label} engine exited while starting (code ${code})`);
        this.died(w, { reason: 'crash', message: `the ${label} engine stopped unexpectedly (exit code ${code})` });
      });
    });
  }

  /** The worker died on its own (uncaught error, out of memory, exit). */
  private died(w: Worker, stop: Stop): void {
    if (this.worker !== w) return;
    w.removeAllListeners();
    void w.terminate();
    this.worker = null;
    this.stopActive(stop);
  }

  /** Terminates the worker now and ends the request in flight with `stop`. */
  private kill(stop: Stop): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    w.removeAllListeners();
    void w.terminate();
    this.stopActive(stop);
  }

  private stopActive(stop: Stop): void {
    const index = Atomics.load(this.slots, SLOT_INDEX);
    const ms = index === INDEX_IDLE ? 0 : clock() - this.startTime[0];
    Atomics.store(this.slots, SLOT_INDEX, INDEX_IDLE);
    const active = this.active;
    this.endRequest();
    active?.onStop(stop, index, ms);
  }

  private beginRequest(w: Worker, active: ActiveRequest, msg: MainToWorker): void {
    this.active = active;
    w.ref();
    const { timeoutMs } = this.config;
    const tick = Math.max(5, Math.min(50, Math.floor(timeoutMs / 5)));
    this.watchdog = setInterval(() => this.checkDeadline(), tick);
    w.postMessage(msg);
  }

  private endRequest(): void {
    this.active = null;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.worker?.unref();
  }

  private checkDeadline(): void {
    const seq = Atomics.load(this.slots, SLOT_SEQ);
    const index = Atomics.load(this.slots, SLOT_INDEX);
    if (index === INDEX_IDLE) return;
    const started = this.startTime[0];
    if (Atomics.load(this.slots, SLOT_SEQ) !== seq) return;
    const { timeoutMs, initTimeoutMs, graceMs } = this.config;
    const limit = index === INDEX_LOAD ? initTimeoutMs : timeoutMs;
    const elapsed = clock() - started;
    if (elapsed > limit + graceMs) {
      this.kill({
        reason: 'timeout',
        message:
          index === INDEX_LOAD
            ? `the top-level code exceeded the ${limit} ms time limit`
            : `the transformation exceeded the ${limit} ms time limit`,
      });
    } else if (elapsed > limit && this.interruptedSeq !== seq) {
      this.interruptedSeq = seq;
      Atomics.store(this.slots, SLOT_TARGET, seq);
      Atomics.store(this.slots, SLOT_INTERRUPT, 2);
    }
  }

  /** Loads (compiles and runs the top level of) the user's code in the worker. */
  async load(source: string): Promise<LoadReply> {
    return this.single({ type: 'load', source }, 'loaded');
  }

  /** Checks code without keeping it (the worker's current code is unaffected). */
  async check(source: string): Promise<LoadReply> {
    return this.single({ type: 'check', source }, 'checked');
  }

  private async single(msg: MainToWorker, replyType: 'loaded' | 'checked'): Promise<LoadReply> {
    const w = await this.start();
    if (this.active) throw new Error('a request is already in flight');
    return new Promise<LoadReply>((resolve) => {
      this.beginRequest(
        w,
        {
          onMessage: (m) => {
            if (m.type === replyType) {
              this.endRequest();
              resolve({ ok: true, outcome: m.outcome });
            }
          },
          onStop: (stop) => resolve({ ok: false, stop }),
        },
        msg,
      );
    });
  }

  /** Runs serialized events in order; stops early if the worker is stopped. */
  async run(events: string[]): Promise<BatchReply> {
    const w = await this.start();
    if (this.active) throw new Error('a request is already in flight');
    return new Promise<BatchReply>((resolve) => {
      const items: (ItemReply | undefined)[] = new Array(events.length).fill(undefined);
      this.beginRequest(
        w,
        {
          onMessage: (m) => {
            if (m.type === 'result') {
              items[m.index] = { outcome: m.outcome, logs: m.logs, ms: m.ms };
              if (m.fatal) {
                // The engine is in an unknown state: replace it, keep what ran.
                this.active = null;
                this.kill({ reason: 'crash', message: 'engine failure' });
                resolve({ items });
              }
            } else if (m.type === 'done') {
              this.endRequest();
              resolve({ items });
            }
          },
          onStop: (stop, index, ms) => resolve({ items, stopped: index >= 0 ? { index, stop, ms } : undefined }),
        },
        { type: 'run', events },
      );
    });
  }

  /** Terminates the worker (a later request starts a new one). */
  stop(): void {
    this.kill({ reason: 'crash', message: `the ${this.config.label} engine was stopped` });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.kill({ reason: 'crash', message: `the ${this.config.label} transformer was disposed` });
    if (w) await w.terminate().catch(() => undefined);
  }
}

function classifyError(err: Error & { code?: string }, label: string): Stop {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return { reason: 'memory', message: `the transformation ran out of memory (the ${label} engine was restarted)` };
  }
  return { reason: 'crash', message: `the ${label} engine failed: ${err.message}` };
}
