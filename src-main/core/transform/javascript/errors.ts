/** Turns what QuickJS throws into one readable message with the user's line number. */
import type { TransformErrorCode } from '../types';
import { USER_FILENAME } from './vm-sources';

export interface DescribedError {
  message: string;
  code: TransformErrorCode;
  line?: number;
  column?: number;
}

const LOCATION = new RegExp(`${USER_FILENAME.replace('.', '\\.')}:(\\d+)(?::(\\d+))?`);

/** `dumped` is the host copy of the thrown value (context.dump). */
export function describeThrown(dumped: unknown, timeoutMs: number, memoryBytes: number): DescribedError {
  if (dumped !== null && typeof dumped === 'object' && 'message' in dumped) {
    const e = dumped as { name?: unknown; message?: unknown; stack?: unknown; lineNumber?: unknown };
    const name = typeof e.name === 'string' ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : String(e.message);
    if (name === 'InternalError' && message === 'interrupted') {
      return { code: 'timeout', message: `the transformation exceeded the ${timeoutMs} ms time limit` };
    }
    if (name === 'InternalError' && message === 'out of memory') {
      return {
        code: 'memory',
        message: `the transformation ran out of memory (limit ${formatBytes(memoryBytes)}), or recursed too deeply`,
      };
    }
    if (name === 'InternalError' && message === 'stack overflow') {
      return { code: 'memory', message: 'InternalError: stack overflow (recursion too deep)' };
    }
    const where = typeof e.stack === 'string' ? LOCATION.exec(e.stack) : null;
    const line = where ? Number(where[1]) : typeof e.lineNumber === 'number' ? e.lineNumber : undefined;
    const column = where && where[2] ? Number(where[2]) : undefined;
    return {
      code: 'exception',
      message: `${name}: ${message}${line !== undefined ? ` (line ${line})` : ''}`,
      line,
      column,
    };
  }
  let text: string;
  try {
    text = JSON.stringify(dumped) ?? String(dumped);
  } catch {
    text = String(dumped);
  }
  return { code: 'exception', message: `Uncaught ${text.length > 500 ? `${text.slice(0, 500)}…` : text}` };
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
