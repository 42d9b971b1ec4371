/**
 * Static checks for the editor: the type an expression produces, and whether it can
 * ever fit the property's type. Only obvious mismatches are flagged (e.g. eq(...) -> int);
 * expressions without paths are evaluated and checked exactly.
 */
import { coerceValue } from '../validate';
import type { ExpressionError, ExpressionNode } from './ast';
import { compileExpression } from './evaluate';
import { getFunction, type StaticType } from './functions';

export type { StaticType } from './functions';

export function inferType(node: ExpressionNode): StaticType {
  switch (node.type) {
    case 'literal': {
      const v = node.value;
      if (v === null) return 'null';
      if (typeof v === 'string') return 'string';
      if (typeof v === 'boolean') return 'boolean';
      return Number.isInteger(v) ? 'int' : 'float';
    }
    case 'path':
      return 'any';
    case 'call': {
      const def = getFunction(node.name);
      return def ? def.returns(node.args.map(inferType)) : 'any';
    }
  }
}

/** Static types each property type accepts (the rest are obvious mismatches). */
const ACCEPTS: Record<string, readonly StaticType[]> = {
  string: ['string', 'int', 'float', 'boolean'],
  boolean: ['boolean', 'string', 'int'],
  int: ['int', 'float', 'string'],
  float: ['int', 'float', 'string'],
  decimal: ['int', 'float', 'string'],
  datetime: ['string'],
  date: ['string'],
  json: ['string', 'int', 'float', 'boolean', 'array', 'object'],
  array: ['array'],
};

const TYPE_NAMES: Record<StaticType, string> = {
  string: 'a string',
  int: 'an integer',
  float: 'a number',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  null: 'null',
  any: 'a value',
};

function hasPath(node: ExpressionNode): boolean {
  if (node.type === 'path') return node.base ? hasPath(node.base) : true;
  if (node.type === 'call') return node.args.some(hasPath);
  return false;
}

function label(node: ExpressionNode): string {
  if (node.type === 'call') return `${node.name}(...)`;
  return 'the expression';
}

/** null when the expression can fit a property of this type; otherwise the problem and its range. */
export function checkExpressionType(node: ExpressionNode, propertyType: string): ExpressionError | null {
  const accepts = ACCEPTS[propertyType];
  if (!accepts) return { message: `unknown property type '${propertyType}'`, start: node.start, end: node.end };
  if (!hasPath(node)) {
    let value: unknown;
    try {
      value = compileExpression(node)(undefined);
    } catch (e) {
      return { message: (e as Error).message, start: node.start, end: node.end };
    }
    const r = coerceValue(value, propertyType);
    return r.ok ? null : { message: `${r.message} (the property is of type ${propertyType})`, start: node.start, end: node.end };
  }
  const t = inferType(node);
  if (t === 'any' || t === 'null' || accepts.includes(t)) return null;
  return {
    message: `${label(node)} returns ${TYPE_NAMES[t]}, but the property is of type ${propertyType}`,
    start: node.start,
    end: node.end,
  };
}
