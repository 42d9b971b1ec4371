/**
 * checkJsSource: a JavaScript transformation's problems before any event runs — syntax errors
 * (with line and column), a failing top level, no transform function. The top level runs in
 * a shared checker worker under the usual limits; the worker stops after a minute idle.
 */
import type { TransformationError } from '../types';
import type { WorkerHost } from '../worker/host';
import { jsLoadError } from './outcome';
import { createJsHost, type JsLimits } from './transformer';

const IDLE_MS = 60_000;
let checker: { host: WorkerHost; limits: JsLimits } | null = null;
let idleTimer: ReturnType<typeof setTimeout> | null = null;
let queue: Promise<unknown> = Promise.resolve();

export function checkJsSource(source: string): Promise<TransformationError[]> {
  const work = async (): Promise<TransformationError[]> => {
    if (typeof source !== 'string') return [{ message: 'the source must be text' }];
    if (idleTimer) clearTimeout(idleTimer);
    checker ??= createJsHost({});
    const { host, limits } = checker;
    try {
      const reply = await host.check(source);
      const error = reply.ok ? jsLoadError(reply.outcome, limits) : { message: `top-level code: ${reply.stop.message}` };
      if (!error) return [];
      const out: TransformationError = { message: error.message };
      if ('line' in error && error.line !== undefined) out.line = error.line;
      if ('column' in error && error.column !== undefined) out.column = error.column;
      return [out];
    } catch (e) {
      return [{ message: (e as Error).message }];
    } finally {
      idleTimer = setTimeout(() => {
        checker?.host.stop();
      }, IDLE_MS);
      idleTimer.unref();
    }
  };
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

/** Stops the shared checker worker (tests, shutdown). */
export async function disposeJsChecker(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  const c = checker;
  checker = null;
  await c?.host.dispose();
}
