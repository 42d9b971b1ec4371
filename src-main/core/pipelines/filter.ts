/**
 * Pipeline filters: which events a pipeline imports. Pure TypeScript (no Node
 * imports): the renderer uses the same operator list, validation and summary.
 *
 * A filter is `null` (every event) or `{logical: "and"|"or", conditions}` where a
 * condition is `{property, operator, values?}`: `property` is a dotted path into
 * the normalized event (`type`, `traits.email`, `context.os.name`), `values` are
 * the operands as text, as the user typed them (Krenalis' operators).
 */

export const FILTER_OPERATORS = [
  'is',
  'is not',
  'is less than',
  'is less than or equal to',
  'is greater than',
  'is greater than or equal to',
  'is between',
  'is not between',
  'contains',
  'does not contain',
  'is one of',
  'is not one of',
  'starts with',
  'ends with',
  'is before',
  'is on or before',
  'is after',
  'is on or after',
  'is true',
  'is false',
  'is empty',
  'is not empty',
  'is null',
  'is not null',
  'exists',
  'does not exist',
] as const;

export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export interface FilterCondition {
  property: string;
  operator: FilterOperator;
  values?: string[];
}

export interface Filter {
  logical: 'and' | 'or';
  conditions: FilterCondition[];
}

/** How many operands an operator takes: 0, 1, 2 or "1 or more". */
export type Arity = 0 | 1 | 2 | 'many';

export const OPERATOR_ARITY: Record<FilterOperator, Arity> = {
  is: 1,
  'is not': 1,
  'is less than': 1,
  'is less than or equal to': 1,
  'is greater than': 1,
  'is greater than or equal to': 1,
  'is between': 2,
  'is not between': 2,
  contains: 1,
  'does not contain': 1,
  'is one of': 'many',
  'is not one of': 'many',
  'starts with': 1,
  'ends with': 1,
  'is before': 1,
  'is on or before': 1,
  'is after': 1,
  'is on or after': 1,
  'is true': 0,
  'is false': 0,
  'is empty': 0,
  'is not empty': 0,
  'is null': 0,
  'is not null': 0,
  exists: 0,
  'does not exist': 0,
};

/** Operators whose operands are dates or date-times. */
const TIME_OPERATORS = new Set<FilterOperator>(['is before', 'is on or before', 'is after', 'is on or after']);

export const MAX_CONDITIONS = 50;
export const MAX_VALUES = 100;
export const MAX_VALUE_LENGTH = 1000;
export const MAX_PATH_LENGTH = 300;
export const MAX_PATH_SEGMENTS = 32;

/** The preset of a new pipeline: identify events, or any event that carries traits. */
export function presetFilter(): Filter {
  return {
    logical: 'or',
    conditions: [
      { property: 'type', operator: 'is', values: ['identify'] },
      { property: 'traits', operator: 'is not empty' },
    ],
  };
}

export const isFilterOperator = (op: string): op is FilterOperator => (FILTER_OPERATORS as readonly string[]).includes(op);

export interface FilterProblem {
  /** Index of the condition, or -1 for the filter as a whole. */
  index: number;
  /** The field in API terms, e.g. "filter.conditions.1.values". */
  field: string;
  message: string;
}

const PATH_SEGMENT = /^[^.\s[\]]+$/;

export function pathSegments(property: string): string[] {
  return property.split('.');
}

/** Problems of a filter, in order; empty when it is valid. */
export function validateFilter(filter: Filter | null): FilterProblem[] {
  if (filter === null) return [];
  const problems: FilterProblem[] = [];
  if (filter.logical !== 'and' && filter.logical !== 'or') {
    problems.push({ index: -1, field: 'filter.logical', message: 'The logical operator must be "and" or "or"' });
  }
  if (!Array.isArray(filter.conditions) || filter.conditions.length === 0) {
    problems.push({ index: -1, field: 'filter.conditions', message: 'A filter needs at least one condition (or no filter at all for every event)' });
    return problems;
  }
  if (filter.conditions.length > MAX_CONDITIONS) {
    problems.push({ index: -1, field: 'filter.conditions', message: `A filter has at most ${MAX_CONDITIONS} conditions` });
  }
  filter.conditions.forEach((c, i) => {
    const at = `filter.conditions.${i}`;
    const property = typeof c.property === 'string' ? c.property.trim() : '';
    if (!property) {
      problems.push({ index: i, field: `${at}.property`, message: `Condition ${i + 1}: choose an event property` });
    } else if (property.length > MAX_PATH_LENGTH || pathSegments(property).length > MAX_PATH_SEGMENTS) {
      problems.push({ index: i, field: `${at}.property`, message: `Condition ${i + 1}: the property path is too long` });
    } else if (!pathSegments(property).every((s) => PATH_SEGMENT.test(s))) {
      problems.push({
        index: i,
        field: `${at}.property`,
        message: `Condition ${i + 1}: "${property}" is not a property path (names separated by dots, e.g. traits.email)`,
      });
    }
    if (!isFilterOperator(c.operator)) {
      problems.push({
        index: i,
        field: `${at}.operator`,
        message: `Condition ${i + 1}: unknown operator "${String(c.operator)}"; use one of: ${FILTER_OPERATORS.join(', ')}`,
      });
      return;
    }
    const values = c.values ?? [];
    const arity = OPERATOR_ARITY[c.operator];
    const need = (msg: string) => problems.push({ index: i, field: `${at}.values`, message: `Condition ${i + 1}: ${msg}` });
    if (arity === 0 && values.length > 0) need(`"${c.operator}" takes no value`);
    if (arity === 1 && values.length !== 1) need(`"${c.operator}" needs one value`);
    if (arity === 2 && values.length !== 2) need(`"${c.operator}" needs two values`);
    if (arity === 'many' && values.length === 0) need(`"${c.operator}" needs at least one value`);
    if (values.length > MAX_VALUES) need(`at most ${MAX_VALUES} values`);
    if (values.some((v) => typeof v !== 'string')) need('values must be text');
    else if (values.some((v) => v.length > MAX_VALUE_LENGTH)) need(`a value is longer than ${MAX_VALUE_LENGTH} characters`);
    else if (TIME_OPERATORS.has(c.operator) && values.length === 1 && parseInstant(values[0]) === null) {
      need(`"${values[0]}" is not a date or date-time (e.g. 2025-01-31 or 2025-01-31T10:00:00Z)`);
    } else if ((c.operator === 'is between' || c.operator === 'is not between') && values.length === 2 && values.some((v) => v.trim() === '')) {
      need('both bounds are needed');
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------
// Evaluation

const hasOwn = Object.prototype.hasOwnProperty;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Reads a dotted path with own properties only; `exists` tells a missing key from a null value. */
export function readEventPath(event: unknown, segments: readonly string[]): { exists: boolean; value: unknown } {
  let v: unknown = event;
  for (const key of segments) {
    if (v === null || typeof v !== 'object') return { exists: false, value: undefined };
    if (Array.isArray(v)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return { exists: false, value: undefined };
      const i = Number(key);
      if (i >= v.length) return { exists: false, value: undefined };
      v = v[i];
      continue;
    }
    if (FORBIDDEN.has(key) || !hasOwn.call(v, key)) return { exists: false, value: undefined };
    v = (v as Record<string, unknown>)[key];
  }
  return { exists: v !== undefined, value: v };
}

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function asNumber(text: string): number | null {
  const s = text.trim();
  if (!NUMBER_TEXT.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

// YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:MM]]
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** Epoch milliseconds of an ISO 8601 date or date-time (no offset = UTC), or null. */
export function parseInstant(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = INSTANT.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCMonth() !== mo - 1) return null; // e.g. Feb 30
  date.setUTCHours(h, mi, s, ms);
  let offset = 0;
  if (m[9]) offset = (Number(m[10]) * 60 + Number(m[11] ?? 0)) * (m[9] === '-' ? -1 : 1);
  return date.getTime() - offset * 60_000;
}

/** Equality of an event value with an operand typed as text: strings exactly, numbers numerically, booleans as true/false. */
function equalsOperand(v: unknown, operand: string): boolean {
  if (typeof v === 'string') return v === operand;
  if (typeof v === 'number') {
    const n = asNumber(operand);
    return n !== null && n === v;
  }
  if (typeof v === 'boolean') return operand.trim().toLowerCase() === String(v);
  return false;
}

/** -1, 0, 1, or null when the value and the operand cannot be ordered. */
function compareOperand(v: unknown, operand: string): number | null {
  if (typeof v === 'number') {
    const n = asNumber(operand);
    if (n === null) return null;
    return v < n ? -1 : v > n ? 1 : 0;
  }
  if (typeof v === 'string') {
    // Numbers sent as text compare as numbers when both sides are numeric.
    const a = asNumber(v);
    const b = asNumber(operand);
    if (a !== null && b !== null) return a < b ? -1 : a > b ? 1 : 0;
    return v < operand ? -1 : v > operand ? 1 : 0;
  }
  return null;
}

function compareInstant(v: unknown, operand: string): number | null {
  const a = parseInstant(v);
  const b = parseInstant(operand);
  if (a === null || b === null) return null;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Applies one condition to an event. Unknown operators never match. */
export function appliesCondition(c: FilterCondition, event: unknown, segments = pathSegments(c.property.trim())): boolean {
  const { exists, value: v } = readEventPath(event, segments);
  const values = c.values ?? [];
  const v0 = values[0] ?? '';
  switch (c.operator) {
    case 'is':
      return equalsOperand(v, v0);
    case 'is not':
      return !equalsOperand(v, v0);
    case 'is less than': {
      const r = compareOperand(v, v0);
      return r !== null && r < 0;
    }
    case 'is less than or equal to': {
      const r = compareOperand(v, v0);
      return r !== null && r <= 0;
    }
    case 'is greater than': {
      const r = compareOperand(v, v0);
      return r !== null && r > 0;
    }
    case 'is greater than or equal to': {
      const r = compareOperand(v, v0);
      return r !== null && r >= 0;
    }
    case 'is between':
    case 'is not between': {
      const lo = compareOperand(v, v0);
      const hi = compareOperand(v, values[1] ?? '');
      const inside = lo !== null && hi !== null && lo >= 0 && hi <= 0;
      return c.operator === 'is between' ? inside : !inside;
    }
    case 'contains':
    case 'does not contain': {
      let found = false;
      if (typeof v === 'string') found = v.includes(v0);
      else if (Array.isArray(v)) found = v.some((e) => equalsOperand(e, v0));
      return c.operator === 'contains' ? found : !found;
    }
    case 'is one of':
      return values.some((x) => equalsOperand(v, x));
    case 'is not one of':
      return !values.some((x) => equalsOperand(v, x));
    case 'starts with':
      return typeof v === 'string' && v.startsWith(v0);
    case 'ends with':
      return typeof v === 'string' && v.endsWith(v0);
    case 'is before': {
      const r = compareInstant(v, v0);
      return r !== null && r < 0;
    }
    case 'is on or before': {
      const r = compareInstant(v, v0);
      return r !== null && r <= 0;
    }
    case 'is after': {
      const r = compareInstant(v, v0);
      return r !== null && r > 0;
    }
    case 'is on or after': {
      const r = compareInstant(v, v0);
      return r !== null && r >= 0;
    }
    case 'is true':
      return v === true;
    case 'is false':
      return v === false;
    case 'is empty':
      return isEmptyValue(v);
    case 'is not empty':
      return !isEmptyValue(v);
    case 'is null':
      return exists && v === null;
    case 'is not null':
      return !(exists && v === null);
    case 'exists':
      return exists;
    case 'does not exist':
      return !exists;
    default:
      return false;
  }
}

export type CompiledFilter = (event: unknown) => boolean;

/** A filter as a function over the event; `null` matches every event. */
export function compileFilter(filter: Filter | null): CompiledFilter {
  if (filter === null) return () => true;
  const conds = filter.conditions.map((c) => ({ c, segments: pathSegments(c.property.trim()) }));
  if (filter.logical === 'or') return (e) => conds.some(({ c, segments }) => appliesCondition(c, e, segments));
  return (e) => conds.every(({ c, segments }) => appliesCondition(c, e, segments));
}

/** Which conditions hold for an event (the Test panel shows them one by one). */
export function explainFilter(filter: Filter | null, event: unknown): { passed: boolean; conditions: boolean[] } {
  if (filter === null) return { passed: true, conditions: [] };
  const conditions = filter.conditions.map((c) => appliesCondition(c, event));
  const passed = filter.logical === 'or' ? conditions.some(Boolean) : conditions.every(Boolean);
  return { passed, conditions };
}

// ---------------------------------------------------------------------------
// Summary

const quote = (v: string) => JSON.stringify(v);

export function summarizeCondition(c: FilterCondition): string {
  const values = c.values ?? [];
  const arity = OPERATOR_ARITY[c.operator];
  if (arity === 0 || arity === undefined) return `${c.property} ${c.operator}`;
  if (arity === 2) return `${c.property} ${c.operator} ${quote(values[0] ?? '')} and ${quote(values[1] ?? '')}`;
  if (arity === 'many') return `${c.property} ${c.operator} ${values.map(quote).join(', ')}`;
  return `${c.property} ${c.operator} ${quote(values[0] ?? '')}`;
}

/** A readable one-liner: `type is "identify" or traits is not empty`; "All events" without a filter. */
export function summarizeFilter(filter: Filter | null): string {
  if (filter === null || filter.conditions.length === 0) return 'All events';
  return filter.conditions.map(summarizeCondition).join(` ${filter.logical} `);
}

/** Every path in an event (for autocomplete), objects included, arrays not descended into. */
export function collectPaths(event: unknown, out: Set<string> = new Set(), prefix = '', depth = 0): Set<string> {
  if (event === null || typeof event !== 'object' || Array.isArray(event) || depth > 8) return out;
  for (const key of Object.keys(event)) {
    if (FORBIDDEN.has(key) || key.includes('.') || /\s/.test(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    out.add(path);
    collectPaths((event as Record<string, unknown>)[key], out, path, depth + 1);
    if (out.size > 2000) break;
  }
  return out;
}
