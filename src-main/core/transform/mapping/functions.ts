/** The Visual Mapping function library: arity, static return type, description and implementation. */
import { MappingEvalError, deepEqual, defineOwn, toNumber, toText, truthy } from './values';

/** Static types used for inline validation. 'any' = unknown until run time (a path). */
export type StaticType = 'string' | 'int' | 'float' | 'boolean' | 'array' | 'object' | 'null' | 'any';

export interface FunctionDef {
  name: string;
  signature: string;
  description: string;
  minArgs: number;
  /** Infinity for variadic functions. */
  maxArgs: number;
  /** An extra arity rule (e.g. pairs); returns the problem, or null. */
  arityRule?: (count: number) => string | null;
  returns: (argTypes: StaticType[]) => StaticType;
  /** Implementation on evaluated arguments. */
  call?: (args: unknown[]) => unknown;
  /** Implementation on argument thunks, for functions that do not evaluate every argument. */
  lazy?: (args: (() => unknown)[]) => unknown;
}

/** Least common type of several (null joins with anything). */
export function joinTypes(types: StaticType[]): StaticType {
  let out: StaticType = 'null';
  for (const t of types) {
    if (t === 'null' || t === out) continue;
    if (out === 'null') out = t;
    else if ((out === 'int' && t === 'float') || (out === 'float' && t === 'int')) out = 'float';
    else return 'any';
  }
  return out;
}

const fixed = (t: StaticType) => () => t;

const textFn = (fn: (s: string) => string) => (args: unknown[]) => {
  const s = toText(args[0]);
  return s === null ? null : fn(s);
};

function initcap(s: string): string {
  return s.toLowerCase().replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase());
}

function integerArg(v: unknown, fn: string, what: string): number | null {
  const n = toNumber(v, fn);
  if (n === null) return null;
  if (!Number.isFinite(n)) throw new MappingEvalError(`${fn}: ${what} must be a finite number`);
  return Math.trunc(n);
}

/** SQL SUBSTRING semantics, 1-based, on code points: positions start .. start+len-1 that exist. */
function substring(args: unknown[]): unknown {
  const s = toText(args[0]);
  const start = integerArg(args[1], 'substring', 'start');
  if (s === null || start === null) return null;
  const chars = Array.from(s);
  let endExclusive = chars.length + 1;
  if (args.length > 2) {
    const len = integerArg(args[2], 'substring', 'length');
    if (len === null) return null;
    if (len < 0) throw new MappingEvalError('substring: negative length not allowed');
    endExclusive = Math.min(endExclusive, start + len);
  }
  const from = Math.max(start, 1);
  if (from >= endExclusive) return '';
  return chars.slice(from - 1, endExclusive - 1).join('');
}

function len(args: unknown[]): unknown {
  const v = args[0];
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object') return Object.keys(v).length;
  let n = 0;
  for (const _ of toText(v) as string) n++;
  return n;
}

function jsonParse(args: unknown[]): unknown {
  const v = args[0];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch (e) {
    throw new MappingEvalError(`json_parse: invalid JSON (${(e as Error).message})`);
  }
}

function makeMap(args: unknown[]): unknown {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i += 2) {
    const key = toText(args[i]);
    if (key === null) throw new MappingEvalError(`map: key ${i / 2 + 1} is null`);
    defineOwn(out, key, args[i + 1] ?? null);
  }
  return out;
}

function toInt(args: unknown[]): unknown {
  const n = toNumber(args[0], 'to_int');
  if (n === null) return null;
  if (!Number.isFinite(n)) throw new MappingEvalError('to_int: the number is not finite');
  const t = Math.trunc(n);
  return t === 0 ? 0 : t;
}

function toFloat(args: unknown[]): unknown {
  const n = toNumber(args[0], 'to_float');
  if (n === null) return null;
  if (!Number.isFinite(n)) throw new MappingEvalError('to_float: the number is not finite');
  return n;
}

function split(args: unknown[]): unknown {
  const s = toText(args[0]);
  const sep = toText(args[1]);
  if (s === null || sep === null) return null;
  return sep === '' ? Array.from(s) : s.split(sep);
}

function replace(args: unknown[]): unknown {
  const s = toText(args[0]);
  if (s === null) return null;
  const search = toText(args[1]);
  if (search === null || search === '') return s;
  return s.split(search).join(toText(args[2]) ?? '');
}

const DEFS: FunctionDef[] = [
  {
    name: 'coalesce',
    signature: 'coalesce(value, ...)',
    description: 'The first argument that is not null.',
    minArgs: 1,
    maxArgs: Infinity,
    returns: joinTypes,
    lazy: (args) => {
      for (const a of args) {
        const v = a();
        if (v !== null && v !== undefined) return v;
      }
      return null;
    },
  },
  {
    name: 'lower',
    signature: 'lower(text)',
    description: 'The text in lower case.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('string'),
    call: textFn((s) => s.toLowerCase()),
  },
  {
    name: 'upper',
    signature: 'upper(text)',
    description: 'The text in upper case.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('string'),
    call: textFn((s) => s.toUpperCase()),
  },
  {
    name: 'trim',
    signature: 'trim(text)',
    description: 'The text without leading and trailing white space.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('string'),
    call: textFn((s) => s.trim()),
  },
  {
    name: 'ltrim',
    signature: 'ltrim(text)',
    description: 'The text without leading white space.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('string'),
    call: textFn((s) => s.trimStart()),
  },
  {
    name: 'rtrim',
    signature: 'rtrim(text)',
    description: 'The text without trailing white space.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('string'),
    call: textFn((s) => s.trimEnd()),
  },
  {
    name: 'initcap',
    signature: 'initcap(text)',
    description: 'The first letter of each word in upper case, the others in lower case.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('string'),
    call: textFn(initcap),
  },
  {
    name: 'substring',
    signature: 'substring(text, start[, length])',
    description: 'Part of the text from the 1-based position start, optionally at most length characters (as SQL).',
    minArgs: 2,
    maxArgs: 3,
    returns: fixed('string'),
    call: substring,
  },
  {
    name: 'len',
    signature: 'len(value)',
    description: 'The number of characters of a text, elements of an array or keys of an object.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('int'),
    call: len,
  },
  {
    name: 'concat',
    signature: 'concat(value, ...)',
    description: 'The arguments joined as text; null arguments are skipped.',
    minArgs: 1,
    maxArgs: Infinity,
    returns: fixed('string'),
    call: (args) => {
      let out = '';
      for (const a of args) out += toText(a) ?? '';
      return out;
    },
  },
  {
    name: 'if',
    signature: 'if(condition, then[, else])',
    description: 'then when the condition is true (not null, false, 0 or ""), otherwise else (or null).',
    minArgs: 2,
    maxArgs: 3,
    returns: (t) => joinTypes(t.length > 2 ? [t[1], t[2]] : [t[1]]),
    lazy: (args) => (truthy(args[0]()) ? args[1]() : args.length > 2 ? args[2]() : null),
  },
  {
    name: 'eq',
    signature: 'eq(a, b)',
    description: 'true when a and b are equal (1 and "1" differ; null equals null).',
    minArgs: 2,
    maxArgs: 2,
    returns: fixed('boolean'),
    call: (args) => deepEqual(args[0], args[1]),
  },
  {
    name: 'ne',
    signature: 'ne(a, b)',
    description: 'true when a and b are not equal.',
    minArgs: 2,
    maxArgs: 2,
    returns: fixed('boolean'),
    call: (args) => !deepEqual(args[0], args[1]),
  },
  {
    name: 'and',
    signature: 'and(a, b, ...)',
    description: 'true when every argument is true.',
    minArgs: 2,
    maxArgs: Infinity,
    returns: fixed('boolean'),
    lazy: (args) => args.every((a) => truthy(a())),
  },
  {
    name: 'or',
    signature: 'or(a, b, ...)',
    description: 'true when at least one argument is true.',
    minArgs: 2,
    maxArgs: Infinity,
    returns: fixed('boolean'),
    lazy: (args) => args.some((a) => truthy(a())),
  },
  {
    name: 'not',
    signature: 'not(value)',
    description: 'true when the value is false, null, 0 or "".',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('boolean'),
    call: (args) => !truthy(args[0]),
  },
  {
    name: 'json_parse',
    signature: 'json_parse(text)',
    description: 'The value encoded as JSON in the text (an error if it is not valid JSON).',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('any'),
    call: jsonParse,
  },
  {
    name: 'array',
    signature: 'array(value, ...)',
    description: 'An array of the arguments.',
    minArgs: 0,
    maxArgs: Infinity,
    returns: fixed('array'),
    call: (args) => args.slice(),
  },
  {
    name: 'map',
    signature: 'map(key1, value1, ...)',
    description: 'An object with the given keys and values.',
    minArgs: 0,
    maxArgs: Infinity,
    arityRule: (n) => (n % 2 === 0 ? null : 'map() expects key, value pairs (an even number of arguments)'),
    returns: fixed('object'),
    call: makeMap,
  },
  {
    name: 'to_string',
    signature: 'to_string(value)',
    description: 'The value as text (objects and arrays as JSON).',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('string'),
    call: (args) => toText(args[0]),
  },
  {
    name: 'to_int',
    signature: 'to_int(value)',
    description: 'The value as an integer (truncated); an error if it is not a number.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('int'),
    call: toInt,
  },
  {
    name: 'to_float',
    signature: 'to_float(value)',
    description: 'The value as a number; an error if it is not a number.',
    minArgs: 1,
    maxArgs: 1,
    returns: fixed('float'),
    call: toFloat,
  },
  {
    name: 'split',
    signature: 'split(text, separator)',
    description: 'The parts of the text between separators, as an array.',
    minArgs: 2,
    maxArgs: 2,
    returns: fixed('array'),
    call: split,
  },
  {
    name: 'replace',
    signature: 'replace(text, search, replacement)',
    description: 'The text with every occurrence of search replaced.',
    minArgs: 3,
    maxArgs: 3,
    returns: fixed('string'),
    call: replace,
  },
];

const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));

export function getFunction(name: string): FunctionDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export function functionNames(): string[] {
  return DEFS.map((d) => d.name);
}

/** For the editor's autocomplete and hover: plain data. maxArgs is null for variadic functions. */
export interface MappingFunctionInfo {
  name: string;
  signature: string;
  description: string;
  minArgs: number;
  maxArgs: number | null;
}

export const MAPPING_FUNCTIONS: readonly MappingFunctionInfo[] = Object.freeze(
  DEFS.map((d) =>
    Object.freeze({
      name: d.name,
      signature: d.signature,
      description: d.description,
      minArgs: d.minArgs,
      maxArgs: Number.isFinite(d.maxArgs) ? d.maxArgs : null,
    }),
  ),
);
