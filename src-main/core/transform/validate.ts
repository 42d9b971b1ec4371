/**
 * Validates and coerces a transformation's output to the Customer Model types.
 *
 * Coercions (anything else is an error for that property):
 * - string:   string; finite number and boolean become their text.
 * - boolean:  boolean; "true"/"false" (any case), 1 and 0.
 * - int:      safe integer number; integer text ("42", "-7", "42.0").
 * - float:    finite number; numeric text ("1.5", "2e3").
 * - decimal:  finite number or numeric text; returned as canonical decimal TEXT
 *             (e.g. "12.50") so no precision is lost on the way to DECIMAL(38, s).
 * - datetime: ISO 8601 text (offset or Z; none means UTC) or a Date; returned as
 *             ISO text in UTC ("2024-05-01T10:00:00.000Z").
 * - date:     "YYYY-MM-DD" (a real calendar date); an ISO date-time gives its UTC date.
 * - json:     any JSON value (normalized through JSON).
 * - array:    array of strings; number and boolean elements become text.
 * null / undefined means "no value" and is returned as null for every type.
 * Properties that are not in the model are errors and are left out of `values`.
 */
import type { ModelLike, PropertyType } from './types';
import { PROPERTY_TYPES } from './types';

export interface OutputValidationError {
  property: string;
  message: string;
}

export interface OutputValidation {
  values: Record<string, unknown>;
  errors: OutputValidationError[];
}

export type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

export function validateOutput(output: unknown, model: ModelLike): OutputValidation {
  const values: Record<string, unknown> = {};
  const errors: OutputValidationError[] = [];
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    errors.push({ property: '', message: `the output must be an object, got ${describe(output)}` });
    return { values, errors };
  }
  const types = new Map<string, string>();
  for (const p of model.properties) types.set(p.name, p.type);
  for (const key of Object.keys(output)) {
    const type = types.get(key);
    if (type === undefined) {
      errors.push({ property: key, message: `unknown property '${key}': it is not in the Customer Model` });
      continue;
    }
    const r = coerceValue((output as Record<string, unknown>)[key], type);
    if (r.ok) {
      defineValue(values, key, r.value);
    } else {
      errors.push({ property: key, message: r.message });
    }
  }
  return { values, errors };
}

/** Own data property, even for names such as "__proto__". */
function defineValue(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function coerceValue(value: unknown, type: string): Coerced {
  if (value === null || value === undefined) return { ok: true, value: null };
  if (!(PROPERTY_TYPES as readonly string[]).includes(type)) {
    return { ok: false, message: `unknown property type '${type}'` };
  }
  switch (type as PropertyType) {
    case 'string':
      return toStringValue(value);
    case 'boolean':
      return toBooleanValue(value);
    case 'int':
      return toIntValue(value);
    case 'float':
      return toFloatValue(value);
    case 'decimal':
      return toDecimalValue(value);
    case 'datetime':
      return toDateTimeValue(value);
    case 'date':
      return toDateValue(value);
    case 'json':
      return toJsonValue(value);
    case 'array':
      return toArrayValue(value);
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

const fail = (message: string): Coerced => ({ ok: false, message });

function toStringValue(v: unknown): Coerced {
  if (typeof v === 'string') return { ok: true, value: v };
  if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: String(v) };
  if (typeof v === 'boolean') return { ok: true, value: String(v) };
  return fail(`expected a string, got ${describe(v)}`);
}

function toBooleanValue(v: unknown): Coerced {
  if (typeof v === 'boolean') return { ok: true, value: v };
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return { ok: true, value: true };
    if (s === 'false') return { ok: true, value: false };
  }
  if (v === 1 || v === 0) return { ok: true, value: v === 1 };
  return fail(`expected a boolean, got ${describe(v)}`);
}

const INT_TEXT = /^[+-]?\d+(?:\.0*)?$/;
const FLOAT_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?$/;

function toIntValue(v: unknown): Coerced {
  let n: number;
  if (typeof v === 'number') {
    n = v;
  } else if (typeof v === 'string' && INT_TEXT.test(v.trim())) {
    n = Number(v.trim());
  } else {
    return fail(`expected an integer, got ${describe(v)}`);
  }
  if (!Number.isFinite(n) || !Number.isInteger(n)) return fail(`expected an integer, got ${describe(v)}`);
  if (!Number.isSafeInteger(n)) return fail(`the integer ${String(v).trim()} is out of the supported range (±${Number.MAX_SAFE_INTEGER})`);
  return { ok: true, value: n === 0 ? 0 : n };
}

function toFloatValue(v: unknown): Coerced {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? { ok: true, value: v } : fail(`expected a finite number, got ${describe(v)}`);
  }
  if (typeof v === 'string' && FLOAT_TEXT.test(v.trim())) {
    const n = Number(v.trim());
    if (Number.isFinite(n)) return { ok: true, value: n };
  }
  return fail(`expected a number, got ${describe(v)}`);
}

const MAX_DECIMAL_DIGITS = 38;

function toDecimalValue(v: unknown): Coerced {
  let text: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return fail(`expected a finite number, got ${describe(v)}`);
    text = numberToPlainText(v);
  } else if (typeof v === 'string') {
    text = v.trim();
  } else {
    return fail(`expected a decimal number, got ${describe(v)}`);
  }
  const m = DECIMAL_TEXT.exec(text);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    return fail(`expected a decimal number, got ${describe(v)}`);
  }
  const intPart = m[2].replace(/^0+(?=\d)/, '') || '0';
  const fracPart = m[3] ?? '';
  const digits = (intPart === '0' ? '' : intPart) + fracPart;
  if (digits.replace(/^0+/, '').length > MAX_DECIMAL_DIGITS) {
    return fail(`the decimal ${text} has more than ${MAX_DECIMAL_DIGITS} digits`);
  }
  const isZero = /^0*$/.test(intPart + fracPart);
  const sign = m[1] === '-' && !isZero ? '-' : '';
  return { ok: true, value: sign + intPart + (fracPart ? `.${fracPart}` : '') };
}

function numberToPlainText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  if (Math.abs(n) >= 1) return BigInt(Math.trunc(n)).toString();
  // Small magnitudes: enough fixed digits to keep the significant ones.
  const exp = Math.floor(Math.log10(Math.abs(n)));
  return n.toFixed(Math.min(100, -exp + 15)).replace(/0+$/, '');
}

// YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:]MM|±HH]
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** Parses ISO 8601 text into epoch milliseconds (UTC), or null when it is not a valid instant. */
export function parseIsoDateTime(text: string): number | null {
  const m = ISO_DATETIME.exec(text.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (oh * 60 + om) * (m[9] === '-' ? -1 : 1);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function toDateTimeValue(v: unknown): Coerced {
  let t: number | null = null;
  if (v instanceof Date) t = v.getTime();
  else if (typeof v === 'string') t = parseIsoDateTime(v);
  if (t === null || !Number.isFinite(t)) {
    return fail(`expected an ISO 8601 date-time (e.g. "2024-05-01T10:00:00Z"), got ${describe(v)}`);
  }
  const d = new Date(t);
  if (d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) return fail(`the date-time ${describe(v)} is out of range`);
  return { ok: true, value: d.toISOString() };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function toDateValue(v: unknown): Coerced {
  if (typeof v === 'string') {
    const s = v.trim();
    const m = ISO_DATE.exec(s);
    if (m) {
      const month = Number(m[2]);
      const day = Number(m[3]);
      if (month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(m[1]), month)) {
        return { ok: true, value: s };
      }
      return fail(`${describe(v)} is not a valid calendar date`);
    }
  }
  const dt = toDateTimeValue(v);
  if (dt.ok) return { ok: true, value: (dt.value as string).slice(0, 10) };
  return fail(`expected a date "YYYY-MM-DD", got ${describe(v)}`);
}

function toJsonValue(v: unknown): Coerced {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (e) {
    return fail(`the value cannot be stored as JSON: ${(e as Error).message}`);
  }
  if (text === undefined) return fail(`the value cannot be stored as JSON: ${describe(v)}`);
  return { ok: true, value: JSON.parse(text) };
}

function toArrayValue(v: unknown): Coerced {
  if (!Array.isArray(v)) return fail(`expected an array of strings, got ${describe(v)}`);
  const out: string[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (typeof e === 'string') out[i] = e;
    else if ((typeof e === 'number' && Number.isFinite(e)) || typeof e === 'boolean') out[i] = String(e);
    else return fail(`expected an array of strings, element ${i} is ${describe(e)}`);
  }
  return { ok: true, value: out };
}
