/**
 * The pipelines' view of the transformation engines (core/transform): one
 * `runMany(events)` whatever the kind, and the check that refuses invalid pipelines.
 */
import { checkTransformation, compileMapping, createTransformer, type Transformer } from '../transform';
import type { ModelLike, Transformation, TransformationError } from '../transform/types';

export type EventTransformer = Pick<Transformer, 'run' | 'runMany' | 'dispose'>;

/** Thrown when a transformation cannot run at all; carries the errors with their positions. */
export class TransformationInvalid extends Error {
  constructor(readonly errors: TransformationError[]) {
    super(errors.map(describeTransformationError).join('; '));
    this.name = 'TransformationInvalid';
  }
}

/**
 * An engine for a pipeline. A Visual Mapping that no longer compiles (e.g. a property was
 * removed from the Customer Model) stops the pipeline instead of failing every event.
 * JavaScript and Python engines start on the first run (their code was checked on save).
 */
export async function makeTransformer(t: Transformation, model: ModelLike): Promise<EventTransformer> {
  if (t.kind === 'mapping') {
    const compiled = compileMapping(t.mapping, model);
    if (!compiled.ok) throw new TransformationInvalid(compiled.errors);
  }
  return createTransformer(t, model);
}

export function checkErrors(t: Transformation, model: ModelLike): Promise<TransformationError[]> {
  return checkTransformation(t, model);
}

/** "line 3, column 5: ..." / "email (characters 7-9): ...": an error with its position, for API messages. */
export function describeTransformationError(e: TransformationError): string {
  if (e.property !== undefined && e.property !== '' && e.start !== undefined) {
    const where = e.end !== undefined && e.end > e.start + 1 ? `characters ${e.start + 1}-${e.end}` : `character ${e.start + 1}`;
    return `${e.property} (${where}): ${e.message}`;
  }
  if (e.property) return `${e.property}: ${e.message}`;
  if (e.line !== undefined) return `line ${e.line}${e.column !== undefined ? `, column ${e.column}` : ''}: ${e.message}`;
  return e.message;
}
