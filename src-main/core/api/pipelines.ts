import { z } from 'zod';
import { method } from './define';
import { FILTER_OPERATORS, MAX_CONDITIONS, MAX_VALUES, type Filter } from '../pipelines/filter';
import type { LogEntry, Transformation, TransformationError } from '../transform/types';

export type { Filter, FilterCondition, FilterOperator } from '../pipelines/filter';

/** An "Import users into warehouse" pipeline as stored in workspace.json. */
export interface Pipeline {
  id: string;
  sourceId: string;
  type: 'import-users';
  name: string;
  description: string;
  enabled: boolean;
  /** null = every event. */
  filter: Filter | null;
  transformation: Transformation;
  createdAt: string;
  updatedAt: string;
}

/** Where a pipeline is in the event log of its source. */
export interface PipelineStatus {
  id: string;
  enabled: boolean;
  /** Sequence number of the last event processed (0 = none yet). */
  cursor: number;
  /** Events of the source up to the cursor, and after it. */
  processed: number;
  pending: number;
  /** Events of the source in the log. */
  total: number;
  /** A replay is in progress (pending counts down to 0). */
  replaying: boolean;
  lastRunAt: string | null;
  /** A problem that stops the whole pipeline (not a single event), e.g. the users table is missing. */
  lastError: string | null;
}

export interface PipelineListItem extends Pipeline {
  filterSummary: string;
  status: PipelineStatus;
}

export interface MetricCounts {
  received: number;
  filteredOut: number;
  transformFailed: number;
  invalidOutput: number;
  usersCreated: number;
  usersUpdated: number;
}

export interface PipelineMetrics {
  id: string;
  /** One entry per minute from `from` to `to` (UTC, ISO), zeros included. */
  minutes: (MetricCounts & { minute: string })[];
  totals: MetricCounts;
  from: string;
  to: string;
  status: PipelineStatus;
}

export type PipelineErrorKind = 'transformation' | 'validation' | 'identity';

export interface PipelineErrorGroup {
  kind: PipelineErrorKind;
  /** The transformation error code (timeout, exception, ...) or "invalid-output". */
  code: string;
  message: string;
  count: number;
  firstAt: string;
  lastAt: string;
  /** The last event that failed with this message. */
  lastMessageId: string | null;
  lastSeq: number;
}

export interface PreviewError extends TransformationError {
  stage: 'check' | 'transform' | 'validate' | 'identity';
  code?: string;
}

export interface PreviewResult {
  filter: { passed: boolean; conditions: boolean[]; summary: string };
  /** True when the transformation ran (the filter passed and the transformation is valid). */
  ran: boolean;
  /** True when the event would be imported: filter passed, transformation and validation succeeded. */
  ok: boolean;
  /** What the transformation returned, before validation. */
  raw: unknown;
  /** The values as they would be stored (coerced to the model's types); null when not ok. */
  output: Record<string, unknown> | null;
  errors: PreviewError[];
  logs: LogEntry[];
  /** Time of the transformation, in milliseconds. */
  ms: number;
  identity: { userId: string | null; anonymousId: string | null };
}

const id = z.string().trim().min(1, 'Required').max(100);

export const filterConditionSchema = z
  .object({
    property: z.string().trim().min(1, 'Choose an event property').max(300),
    operator: z.enum(FILTER_OPERATORS, { message: `Unknown operator; use one of: ${FILTER_OPERATORS.join(', ')}` }),
    values: z.array(z.string().max(1000)).max(MAX_VALUES).optional(),
  })
  .strict();

export const filterSchema = z
  .object({
    logical: z.enum(['and', 'or']),
    conditions: z.array(filterConditionSchema).min(1, 'Add a condition, or use no filter (null) for every event').max(MAX_CONDITIONS),
  })
  .strict();

const MAX_SOURCE = 200_000;
export const transformationSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('mapping'),
      mapping: z.record(z.string().min(1).max(100), z.string().max(10_000)).refine((m) => Object.keys(m).length <= 500, 'At most 500 properties'),
    })
    .strict(),
  z.object({ kind: z.literal('javascript'), source: z.string().max(MAX_SOURCE) }).strict(),
  z.object({ kind: z.literal('python'), source: z.string().max(MAX_SOURCE) }).strict(),
]);

const name = z.string().trim().min(1, 'The name is required').max(120, 'At most 120 characters');
const description = z.string().trim().max(1000, 'At most 1000 characters');

export const createPipelineSchema = z
  .object({
    sourceId: id,
    type: z.literal('import-users').optional(),
    name,
    description: description.optional(),
    enabled: z.boolean().optional(),
    /** Omitted: the preset `type is "identify" or traits is not empty`; null: every event. */
    filter: filterSchema.nullable().optional(),
    transformation: transformationSchema,
  })
  .strict();

export const updatePipelineSchema = z
  .object({
    id,
    name: name.optional(),
    description: description.optional(),
    enabled: z.boolean().optional(),
    filter: filterSchema.nullable().optional(),
    transformation: transformationSchema.optional(),
  })
  .strict();

const eventSchema = z.record(z.string(), z.unknown()).refine((e) => JSON.stringify(e).length <= 256 * 1024, 'The event is larger than 256 KiB');

export const pipelinesMethods = {
  'pipelines.list': method<{ pipelines: PipelineListItem[] }>()(
    z.object({ sourceId: id }).strict(),
    "A source's import-users pipelines, oldest first, with a readable filter summary and their progress.",
  ),
  'pipelines.get': method<PipelineListItem>()(z.object({ id }).strict(), 'One pipeline with its filter summary and progress.'),
  'pipelines.create': method<PipelineListItem>()(
    createPipelineSchema,
    'Add an import-users pipeline; without a filter it gets the preset (type is "identify" or traits is not empty). Transformation errors are refused with their position.',
  ),
  'pipelines.update': method<PipelineListItem>()(
    updatePipelineSchema,
    'Change name, description, filter, transformation or enabled; the cursor is kept (use replay to reprocess).',
  ),
  'pipelines.delete': method<{ deleted: true }>()(z.object({ id }).strict(), 'Delete a pipeline with its cursor, metrics and errors; users already imported stay.'),
  'pipelines.setEnabled': method<PipelineListItem>()(
    z.object({ id, enabled: z.boolean() }).strict(),
    'Enable (resume from the cursor) or disable (stop at once) a pipeline.',
  ),
  'pipelines.check': method<{ errors: TransformationError[] }>()(
    z.object({ transformation: transformationSchema }).strict(),
    'Check a transformation against the Customer Model without running it: syntax and type errors with positions.',
  ),
  'pipelines.preview': method<PreviewResult>()(
    z
      .object({
        sourceId: id.optional(),
        filter: filterSchema.nullable(),
        transformation: transformationSchema,
        event: eventSchema,
      })
      .strict(),
    'Run a filter and a transformation on one event: filter result, output, type errors, logs and time. Nothing is written.',
  ),
  'pipelines.metrics': method<PipelineMetrics>()(
    z.object({ id, minutes: z.number().int().min(1).max(1440).optional() }).strict(),
    'Per-minute counts of the last N minutes (default 60): received, filtered out, transformation failed, invalid output, users created and updated.',
  ),
  'pipelines.errors': method<{ errors: PipelineErrorGroup[]; total: number }>()(
    z.object({ id, limit: z.number().int().min(1).max(500).optional() }).strict(),
    "A pipeline's failed events grouped by message, most recent first, with the last example event and the count.",
  ),
  'pipelines.replay': method<PipelineStatus>()(
    z.object({ id }).strict(),
    'Reset the cursor and reprocess the whole event log of the source (errors are cleared); progress in pipelines.status and push events.',
  ),
  'pipelines.status': method<PipelineStatus>()(z.object({ id }).strict(), "A pipeline's cursor and progress."),
};

/** Push events of the pipelines domain. */
export interface PipelinesChangedPush {
  sourceId: string;
  id: string;
  action: 'created' | 'updated' | 'deleted';
}
export interface PipelinesProgressPush {
  sourceId: string;
  status: PipelineStatus;
}
