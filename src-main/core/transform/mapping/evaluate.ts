/**
 * Turns a syntax tree into a closure over the event. Paths read own properties only
 * (missing -> null, never an exception); functions may raise MappingEvalError.
 */
import type { ExpressionNode } from './ast';
import { getFunction } from './functions';
import { readPath, step } from './values';

export type CompiledExpression = (event: unknown) => unknown;

export function compileExpression(node: ExpressionNode): CompiledExpression {
  switch (node.type) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'path': {
      const segments = node.segments.slice();
      if (node.base) {
        const base = compileExpression(node.base);
        return (event) => readPath(base(event), segments);
      }
      if (segments.length === 1) {
        const key = segments[0];
        return (event) => step(event, key);
      }
      if (segments.length === 2) {
        const [a, b] = segments;
        return (event) => {
          const v = step(event, a);
          return v === null ? null : step(v, b);
        };
      }
      return (event) => readPath(event, segments);
    }
    case 'call': {
      const def = getFunction(node.name);
      if (!def) throw new Error(`unknown function '${node.name}'`);
      const args = node.args.map(compileExpression);
      if (def.lazy) {
        const lazy = def.lazy;
        return (event) => lazy(args.map((f) => () => f(event)));
      }
      const call = def.call!;
      switch (args.length) {
        case 0:
          return () => call([]);
        case 1: {
          const [f0] = args;
          return (event) => call([f0(event)]);
        }
        case 2: {
          const [f0, f1] = args;
          return (event) => call([f0(event), f1(event)]);
        }
        default:
          return (event) => call(args.map((f) => f(event)));
      }
    }
  }
}

/** Evaluates a parsed expression against one event. */
export function evaluate(node: ExpressionNode, event: unknown): unknown {
  const v = compileExpression(node)(event);
  return v === undefined ? null : v;
}
