/**
 * Transformations: one entry for the three kinds (Visual Mapping, JavaScript in QuickJS,
 * Python in Pyodide), one result shape, one check that refuses invalid pipelines, and the
 * validation/coercion of an output to the Customer Model.
 */
import { checkJsSource, createJsTransformer, type JsTransformerOptions } from './javascript';
import { compileMapping, MappingEvalError } from './mapping';
import { checkPythonSource, createPythonTransformer, type PythonTransformerOptions } from './python';
import type { ModelLike, Transformation, TransformationError, TransformResult } from './types';

export * from './types';
export { validateOutput, coerceValue, type OutputValidation, type OutputValidationError } from './validate';
export {
  MAPPING_FUNCTIONS,
  compileMapping,
  parseExpression,
  inferType,
  checkExpressionType,
  MappingEvalError,
  type MappingFunctionInfo,
  type ExpressionNode,
  type ExpressionError,
  type StaticType,
} from './mapping';
export { createJsTransformer, checkJsSource, disposeJsChecker, JS_DEFAULTS } from './javascript';
export { createPythonTransformer, checkPythonSource, disposePythonChecker, PYTHON_DEFAULTS } from './python';

export interface Transformer {
  readonly kind: Transformation['kind'];
  run(event: unknown): Promise<TransformResult>;
  /** Several events in one go (one message to the engine's thread instead of one per event). */
  runMany(events: readonly unknown[]): Promise<TransformResult[]>;
  dispose(): Promise<void>;
}

export interface TransformerOptions {
  javascript?: Omit<JsTransformerOptions, 'source'>;
  python?: Omit<PythonTransformerOptions, 'source'>;
}

/**
 * A transformer for a pipeline. Mapping errors (which checkTransformation reports) make every
 * run fail with code 'syntax'. JavaScript and Python engines start on the first run.
 */
export function createTransformer(transformation: Transformation, model: ModelLike, options: TransformerOptions = {}): Transformer {
  switch (transformation?.kind) {
    case 'mapping':
      return mappingTransformer(transformation.mapping, model);
    case 'javascript': {
      const t = createJsTransformer({ ...options.javascript, source: transformation.source });
      return { kind: 'javascript', run: (e) => t.run(e), runMany: (e) => t.runMany(e), dispose: () => t.dispose() };
    }
    case 'python': {
      const t = createPythonTransformer({ ...options.python, source: transformation.source });
      return { kind: 'python', run: (e) => t.run(e), runMany: (e) => t.runMany(e), dispose: () => t.dispose() };
    }
    default:
      throw new Error(`unknown transformation kind: ${String((transformation as { kind?: unknown })?.kind)}`);
  }
}

function mappingTransformer(mapping: Record<string, string>, model: ModelLike): Transformer {
  const compiled = compileMapping(mapping, model);
  const runOne = (event: unknown): TransformResult => {
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 1000) / 1000;
    if (!compiled.ok) {
      const e = compiled.errors[0];
      const more = compiled.errors.length > 1 ? ` (and ${compiled.errors.length - 1} more)` : '';
      return { ok: false, code: 'syntax', error: `${e.property}: ${e.message}${more}`, logs: [], ms: 0 };
    }
    try {
      return { ok: true, output: compiled.run(event), logs: [], ms: ms() };
    } catch (e) {
      const message = e instanceof MappingEvalError ? e.message : `the mapping failed: ${(e as Error).message}`;
      return { ok: false, code: 'exception', error: message, logs: [], ms: ms() };
    }
  };
  return {
    kind: 'mapping',
    run: async (event) => runOne(event),
    runMany: async (events) => events.map(runOne),
    dispose: async () => undefined,
  };
}

/**
 * Everything wrong with a transformation before it runs, with positions: mapping expressions
 * (property, start, end), JavaScript and Python syntax (line, column), unknown properties,
 * obvious type mismatches, a missing transform. Empty when the pipeline can be saved.
 */
export async function checkTransformation(transformation: Transformation, model: ModelLike): Promise<TransformationError[]> {
  if (transformation === null || typeof transformation !== 'object') return [{ message: 'the transformation is missing' }];
  switch (transformation.kind) {
    case 'mapping': {
      const compiled = compileMapping(transformation.mapping, model);
      return compiled.ok ? [] : compiled.errors.map((e) => ({ property: e.property, message: e.message, start: e.start, end: e.end }));
    }
    case 'javascript':
      return typeof transformation.source === 'string' ? checkJsSource(transformation.source) : [{ message: 'the source must be text' }];
    case 'python':
      return typeof transformation.source === 'string' ? checkPythonSource(transformation.source) : [{ message: 'the source must be text' }];
    default:
      return [{ message: `unknown transformation kind '${String((transformation as { kind?: unknown }).kind)}'` }];
  }
}
