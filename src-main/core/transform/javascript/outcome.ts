/** Main-thread interpretation of what the QuickJS worker reports. */
import type { EngineAdapter, EngineError, EngineRunResult } from '../worker/sandboxed';
import { describeThrown } from './errors';

interface Limits {
  timeoutMs: number;
  initTimeoutMs: number;
  memoryBytes: number;
  maxOutputBytes: number;
}

type LoadOutcome = null | { kind: 'thrown'; dumped: unknown } | { kind: 'not-function'; what: string } | { kind: 'crash'; message: string };

type RunOutcome =
  | { kind: 'marker'; marker: string }
  | { kind: 'thrown'; dumped: unknown }
  | { kind: 'pending' }
  | { kind: 'load-error'; error: LoadOutcome }
  | { kind: 'crash'; message: string };

export function jsLoadError(outcome: unknown, limits: Limits): EngineError | null {
  const o = outcome as LoadOutcome;
  if (o === null || o === undefined) return null;
  switch (o.kind) {
    case 'crash':
      return { code: 'internal', message: `the JavaScript engine failed: ${o.message}` };
    case 'not-function':
      return {
        code: 'init',
        message:
          o.what === 'undefined'
            ? 'transform is not defined: the code must define function transform(event) { ... }'
            : `transform must be a function, but it is a ${o.what}`,
      };
    case 'thrown': {
      const e = describeThrown(o.dumped, limits.initTimeoutMs, limits.memoryBytes);
      if (e.code !== 'exception') return { ...e, message: `top-level code: ${e.message}` };
      if (e.message.startsWith('SyntaxError')) return { ...e, code: 'syntax' };
      return { ...e, code: 'init', message: `top-level code failed: ${e.message}` };
    }
  }
}

export function jsRunResult(outcome: unknown, limits: Limits): EngineRunResult {
  const o = outcome as RunOutcome;
  switch (o.kind) {
    case 'marker': {
      const kind = o.marker[0];
      const rest = o.marker.slice(1);
      if (kind === 'O') {
        const size = Buffer.byteLength(rest, 'utf8');
        if (size > limits.maxOutputBytes) return { ok: false, error: tooLarge(size, limits) };
        return { ok: true, output: JSON.parse(rest) as Record<string, unknown> };
      }
      if (kind === 'L') return { ok: false, error: tooLarge(Number(rest), limits) };
      return { ok: false, error: { code: 'bad-return', message: rest } };
    }
    case 'thrown':
      return { ok: false, error: describeThrown(o.dumped, limits.timeoutMs, limits.memoryBytes) };
    case 'pending':
      return {
        ok: false,
        error: { code: 'exception', message: 'transform returned a Promise that did not settle (it awaits something that never happens)' },
      };
    case 'load-error':
      return { ok: false, error: jsLoadError(o.error, limits) ?? { code: 'internal', message: 'the code is not loaded' } };
    case 'crash':
      return { ok: false, error: { code: 'internal', message: `the JavaScript engine failed: ${o.message} (it was restarted)` } };
  }
}

function tooLarge(size: number, limits: Limits): EngineError {
  return {
    code: 'output-too-large',
    message: `the output is too large: ${size} bytes serialized, the limit is ${limits.maxOutputBytes}`,
  };
}

export function jsAdapter(limits: Limits): EngineAdapter {
  return {
    loadError: (o) => jsLoadError(o, limits),
    result: (o) => jsRunResult(o, limits),
  };
}
