/** Main-thread interpretation of what the Pyodide worker reports (see harness.ts for the formats). */
import type { LogEntry, TransformErrorCode } from '../types';
import type { EngineAdapter, EngineError, EngineRunResult } from '../worker/sandboxed';

interface Limits {
  timeoutMs: number;
  initTimeoutMs: number;
  memoryBytes: number;
}

interface RawError {
  code: TransformErrorCode;
  message: string;
  line?: number;
  column?: number;
  logs?: LogEntry[];
}

function parseError(json: string): RawError {
  return JSON.parse(json) as RawError;
}

function toEngineError(e: RawError, limits: Limits): EngineError {
  const out: EngineError = { code: e.code, message: e.message };
  if (e.code === 'memory') out.message = `${e.message} (limit ${Math.round(limits.memoryBytes / (1024 * 1024))} MiB)`;
  if (e.line !== undefined) out.line = e.line;
  if (e.column !== undefined) out.column = e.column;
  return out;
}

export function pyLoadError(outcome: unknown, limits: Limits): EngineError | null {
  const o = outcome as { raw?: string; kind?: string; message?: string };
  if (o.kind === 'crash') return { code: 'internal', message: `the Python engine failed: ${o.message}` };
  const raw = o.raw ?? '';
  if (raw === '') return null;
  if (raw[0] === 'I') return { code: 'timeout', message: `top-level code: the transformation exceeded the ${limits.initTimeoutMs} ms time limit` };
  return toEngineError(parseError(raw.slice(1)), limits);
}

export function pyRunResult(outcome: unknown, limits: Limits): EngineRunResult {
  const o = outcome as { raw?: string; kind?: string; message?: string };
  if (o.kind === 'crash') return { ok: false, error: { code: 'internal', message: `the Python engine failed: ${o.message}` } };
  const raw = o.raw ?? '';
  const rest = raw.slice(1);
  switch (raw[0]) {
    case 'O': {
      const r = JSON.parse(rest) as { logs: LogEntry[]; output: Record<string, unknown> };
      return { ok: true, output: r.output, logs: r.logs };
    }
    case 'I': {
      const r = JSON.parse(rest) as { logs?: LogEntry[] };
      return {
        ok: false,
        error: { code: 'timeout', message: `the transformation exceeded the ${limits.timeoutMs} ms time limit` },
        logs: r.logs ?? [],
      };
    }
    case 'E': {
      const e = parseError(rest);
      return { ok: false, error: toEngineError(e, limits), logs: e.logs ?? [] };
    }
    default:
      return { ok: false, error: { code: 'internal', message: 'the Python engine returned an unexpected result' } };
  }
}

export function pyAdapter(limits: Limits): EngineAdapter {
  return {
    loadError: (o) => pyLoadError(o, limits),
    result: (o) => pyRunResult(o, limits),
  };
}
