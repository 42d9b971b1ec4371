/** Syntax tree of a Visual Mapping expression. Offsets are UTF-16 indexes into the source, end exclusive. */

export type LiteralValue = string | number | boolean | null;

export interface LiteralNode {
  type: 'literal';
  value: LiteralValue;
  start: number;
  end: number;
}

/**
 * `traits.email`, `properties["first name"]`, `context.items[0]`: string keys and array indexes,
 * read from the event, or from `base` when present (`json_parse(properties.raw).a`).
 */
export interface PathNode {
  type: 'path';
  segments: (string | number)[];
  base?: ExpressionNode;
  start: number;
  end: number;
}

export interface CallNode {
  type: 'call';
  /** Canonical (lower-case) function name. */
  name: string;
  args: ExpressionNode[];
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
}

export type ExpressionNode = LiteralNode | PathNode | CallNode;

/** A problem with a position in the expression. */
export interface ExpressionError {
  message: string;
  start: number;
  end: number;
}

export type ParseResult = { ok: true; ast: ExpressionNode } | { ok: false; error: ExpressionError };

/** Limits that keep hostile expressions cheap to parse and evaluate. */
export const MAX_EXPRESSION_LENGTH = 10_000;
export const MAX_NESTING_DEPTH = 64;
export const MAX_PATH_SEGMENTS = 32;
