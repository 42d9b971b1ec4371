/**
 * checkPythonSource: syntax errors (line and column) and a missing `transform`, found by compiling
 * the code without running it, in a shared Pyodide worker (started on first use, stopped after
 * five minutes idle).
 */
import type { TransformationError } from '../types';
import type { WorkerHost } from '../worker/host';
import { createPythonHost } from './transformer';

const IDLE_MS = 5 * 60_000;
let checker: WorkerHost | null = null;
let idleTimer: ReturnType<typeof setTimeout> | null = null;
let queue: Promise<unknown> = Promise.resolve();

export function checkPythonSource(source: string): Promise<TransformationError[]> {
  const work = async (): Promise<TransformationError[]> => {
    if (typeof source !== 'string') return [{ message: 'the source must be text' }];
    if (idleTimer) clearTimeout(idleTimer);
    checker ??= createPythonHost({}).host;
    try {
      const reply = await checker.check(source);
      if (!reply.ok) return [{ message: `the code could not be checked: ${reply.stop.message}` }];
      const raw = (reply.outcome as { raw?: string; kind?: string; message?: string }).raw;
      if (typeof raw !== 'string') return [{ message: 'the code could not be checked' }];
      return JSON.parse(raw) as TransformationError[];
    } catch (e) {
      return [{ message: (e as Error).message }];
    } finally {
      idleTimer = setTimeout(() => checker?.stop(), IDLE_MS);
      idleTimer.unref();
    }
  };
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

/** Stops the shared checker worker (tests, shutdown). */
export async function disposePythonChecker(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  const c = checker;
  checker = null;
  await c?.dispose();
}
