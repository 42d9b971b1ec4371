/** Value helpers shared by the evaluator and the functions: own-property reads, text, truthiness, equality. */

/** Path segments that never read anything, whatever the event contains. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const hasOwn = Object.prototype.hasOwnProperty;

/** An error raised while evaluating an expression against an event (the event fails with it). */
export class MappingEvalError extends Error {
  /** Set by the compiled mapping: which property's expression failed. */
  property?: string;
  constructor(message: string) {
    super(message);
    this.name = 'MappingEvalError';
  }
}

/** Reads one path step using own properties only; anything missing is null. */
export function step(value: unknown, key: string | number): unknown {
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    const index = typeof key === 'number' ? key : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
    if (index < 0 || index >= value.length) return null;
    const v: unknown = value[index];
    return v === undefined ? null : v;
  }
  const name = typeof key === 'number' ? String(key) : key;
  if (FORBIDDEN_KEYS.has(name) || !hasOwn.call(value, name)) return null;
  const v = (value as Record<string, unknown>)[name];
  return v === undefined || typeof v === 'function' ? null : v;
}

export function readPath(root: unknown, segments: readonly (string | number)[]): unknown {
  let v = root;
  for (let i = 0; i < segments.length; i++) {
    v = step(v, segments[i]);
    if (v === null) return null;
  }
  return v;
}

/** Text form of a value: strings as they are, numbers and booleans as text, objects as JSON. */
export function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    throw new MappingEvalError('the value cannot be converted to text');
  }
}

/** null, false, 0 and "" are false; every other value is true. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v !== '';
  return true;
}

const MAX_COMPARE_DEPTH = 256;

/** Structural equality of JSON values; 1 and "1" differ; null equals null. */
export function deepEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return (a === undefined && b === null) || (a === null && b === undefined);
  }
  if (depth > MAX_COMPARE_DEPTH) throw new MappingEvalError('values nested too deeply to compare');
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i], depth + 1)) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!hasOwn.call(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/** Parses a number from a number, a boolean or numeric text; null for null; throws otherwise. */
export function toNumber(v: unknown, fn: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return Number(s);
    throw new MappingEvalError(`${fn}: ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)} is not a number`);
  }
  throw new MappingEvalError(`${fn}: cannot convert ${Array.isArray(v) ? 'an array' : 'an object'} to a number`);
}

/** Sets an own enumerable property, also for keys such as "__proto__". */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
