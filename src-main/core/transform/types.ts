/**
 * Shapes shared by every transformation kind (Visual Mapping, JavaScript, Python).
 * Plain data only: these cross the API boundary (pipelines.preview) unchanged.
 */

/** The Customer Model property types (DESIGN.md, "Shapes the scripts rely on"). */
export type PropertyType =
  | 'string'
  | 'boolean'
  | 'int'
  | 'float'
  | 'decimal'
  | 'datetime'
  | 'date'
  | 'json'
  | 'array';

export const PROPERTY_TYPES: readonly PropertyType[] = [
  'string',
  'boolean',
  'int',
  'float',
  'decimal',
  'datetime',
  'date',
  'json',
  'array',
];

/** The part of the Customer Model the transformations need. */
export interface ModelLike {
  properties: readonly { name: string; type: string }[];
}

export type Transformation =
  | { kind: 'mapping'; mapping: Record<string, string> }
  | { kind: 'javascript'; source: string }
  | { kind: 'python'; source: string };

export type TransformationKind = Transformation['kind'];

export type LogLevel = 'log' | 'info' | 'warn' | 'error' | 'debug';

export interface LogEntry {
  level: LogLevel;
  message: string;
}

/**
 * Why a call failed, for grouping in the monitor. The human text is in `error`.
 * - syntax: the source does not compile
 * - init: top-level code failed, or `transform` is not defined
 * - exception: transform threw / an expression failed at run time
 * - bad-return: transform returned something other than an object
 * - timeout: the per-event time limit was exceeded
 * - memory: the memory limit was exceeded
 * - output-too-large: the serialized output is over the limit
 * - invalid-input: the event could not be passed in (not JSON)
 * - internal: the engine itself failed (it is restarted for the next event)
 */
export type TransformErrorCode =
  | 'syntax'
  | 'init'
  | 'exception'
  | 'bad-return'
  | 'timeout'
  | 'memory'
  | 'output-too-large'
  | 'invalid-input'
  | 'internal';

export type TransformResult =
  | { ok: true; output: Record<string, unknown>; logs: LogEntry[]; ms: number }
  | { ok: false; error: string; code: TransformErrorCode; logs: LogEntry[]; ms: number };

/** A problem found before running: a syntax error, an unknown property, a type mismatch. */
export interface TransformationError {
  message: string;
  /** Visual Mapping: the property whose expression is wrong. */
  property?: string;
  /** Visual Mapping: character offsets in the expression (end exclusive). */
  start?: number;
  end?: number;
  /** JavaScript / Python: 1-based position in the source. */
  line?: number;
  column?: number;
}

/** Output limits shared by the code kinds. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_MAX_LOG_ENTRIES = 100;
export const DEFAULT_MAX_LOG_ENTRY_CHARS = 2000;
