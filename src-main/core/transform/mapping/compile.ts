/** Compiles a Visual Mapping ({property: expression}) against the Customer Model. */
import type { ModelLike } from '../types';
import { compileExpression, type CompiledExpression } from './evaluate';
import { parseExpression } from './parser';
import { checkExpressionType } from './typecheck';
import { MappingEvalError, defineOwn } from './values';

export interface MappingError {
  property: string;
  message: string;
  start: number;
  end: number;
}

export interface CompiledMapping {
  ok: true;
  /** The assigned properties (unassigned ones are absent). Throws MappingEvalError (with .property) when a function fails. */
  run(event: unknown): Record<string, unknown>;
  /** The properties that have an expression. */
  properties: string[];
}

export type CompileMappingResult = CompiledMapping | { ok: false; errors: MappingError[] };

export function compileMapping(mapping: Record<string, string>, model: ModelLike): CompileMappingResult {
  const errors: MappingError[] = [];
  const compiled: { property: string; fn: CompiledExpression }[] = [];
  if (mapping === null || typeof mapping !== 'object' || Array.isArray(mapping)) {
    return { ok: false, errors: [{ property: '', message: 'the mapping must be an object of property: expression', start: 0, end: 0 }] };
  }
  const types = new Map(model.properties.map((p) => [p.name, p.type]));
  for (const property of Object.keys(mapping)) {
    const expression = mapping[property];
    if (typeof expression !== 'string') {
      errors.push({ property, message: 'the expression must be text', start: 0, end: 0 });
      continue;
    }
    const type = types.get(property);
    if (type === undefined) {
      errors.push({
        property,
        message: `unknown property '${property}': it is not in the Customer Model`,
        start: 0,
        end: expression.length,
      });
      continue;
    }
    if (expression.trim() === '') continue;
    const parsed = parseExpression(expression);
    if (!parsed.ok) {
      errors.push({ property, ...parsed.error });
      continue;
    }
    const typeError = checkExpressionType(parsed.ast, type);
    if (typeError) {
      errors.push({ property, ...typeError });
      continue;
    }
    compiled.push({ property, fn: compileExpression(parsed.ast) });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    properties: compiled.map((c) => c.property),
    run(event: unknown): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      for (const { property, fn } of compiled) {
        let value: unknown;
        try {
          value = fn(event);
        } catch (e) {
          const err = e instanceof MappingEvalError ? e : new MappingEvalError(e instanceof Error ? e.message : String(e));
          err.property = property;
          err.message = `${property}: ${err.message}`;
          throw err;
        }
        defineOwn(out, property, value === undefined ? null : value);
      }
      return out;
    },
  };
}
