/**
 * The pipelines domain: configuration (workspace.json), the API handlers and
 * the runner. createCore builds it with `createPipelines(ctx)`, spreads its
 * handlers, and starts/stops it with the core.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Handlers } from '../api/contract';
import { badRequest, notFound } from '../api/errors';
import type { MetricCounts, Pipeline, PipelineErrorGroup, PipelineErrorKind, PipelineListItem } from '../api/pipelines';
import type { CoreContext } from '../context';
import { currentModel } from '../model/migrate';
import type { ModelLike, Transformation } from '../transform/types';
import { checkErrors, describeTransformationError } from './engine';
import { presetFilter, summarizeFilter, validateFilter, type Filter } from './filter';
import { PreviewEngines, previewPipeline } from './preview';
import { PipelineRunner, type RunnerOptions } from './runner';
import { isMissingTable } from './sql';
import { allPipelines, findPipeline, newPipelineId, pipelinesOf, sourceExists, updatePipeline } from './store';

export { PIPELINE_MIGRATIONS } from './migrations';

type PipelineMethods =
  | 'pipelines.list'
  | 'pipelines.get'
  | 'pipelines.create'
  | 'pipelines.update'
  | 'pipelines.delete'
  | 'pipelines.setEnabled'
  | 'pipelines.check'
  | 'pipelines.preview'
  | 'pipelines.metrics'
  | 'pipelines.errors'
  | 'pipelines.replay'
  | 'pipelines.status';

const model = (ctx: CoreContext): ModelLike => currentModel(ctx);

function checkFilter(filter: Filter | null) {
  const problems = validateFilter(filter);
  if (problems.length > 0) throw badRequest(problems[0].message, problems[0].field);
}

/** Refuse a transformation with errors, naming the first with its position. */
async function checkTransformationOrThrow(ctx: CoreContext, t: Transformation) {
  const errors = await checkErrors(t, model(ctx));
  if (errors.length === 0) return;
  const first = errors[0];
  const field = t.kind === 'mapping' ? `transformation.mapping${first.property ? `.${first.property}` : ''}` : 'transformation.source';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  throw badRequest(`The transformation has an error: ${describeTransformationError(first)}${more}`, field);
}

async function withConnection<T>(ctx: CoreContext, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const c = await ctx.warehouse.instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
  }
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(String(v)).toISOString());

export function createPipelines(ctx: CoreContext, opts: RunnerOptions = {}) {
  const runner = new PipelineRunner(ctx, opts);
  const engines = new PreviewEngines();

  const item = async (p: Pipeline): Promise<PipelineListItem> => ({
    ...p,
    filterSummary: summarizeFilter(p.filter),
    status: await runner.status(p),
  });
  const changed = (p: Pipeline, action: 'created' | 'updated' | 'deleted') =>
    ctx.live.publish('pipelines.changed', { sourceId: p.sourceId, id: p.id, action });

  const handlers: Pick<Handlers, PipelineMethods> = {
    'pipelines.list': async ({ sourceId }) => {
      if (!sourceExists(ctx.store.data, sourceId)) throw notFound(`No source with id "${sourceId}"`);
      return { pipelines: await Promise.all(pipelinesOf(ctx.store.data, sourceId).map(item)) };
    },

    'pipelines.get': ({ id }) => item(findPipeline(ctx.store.data, id)),

    'pipelines.create': async (args) => {
      if (!sourceExists(ctx.store.data, args.sourceId)) throw notFound(`No source with id "${args.sourceId}"`);
      const filter = args.filter === undefined ? presetFilter() : (args.filter as Filter | null);
      checkFilter(filter);
      await checkTransformationOrThrow(ctx, args.transformation);
      const p = await ctx.store.update((d) => {
        if (!sourceExists(d, args.sourceId)) throw notFound(`No source with id "${args.sourceId}"`);
        const now = new Date().toISOString();
        const pipeline: Pipeline = {
          id: newPipelineId(d),
          sourceId: args.sourceId,
          type: 'import-users',
          name: args.name,
          description: args.description ?? '',
          enabled: args.enabled ?? true,
          filter,
          transformation: args.transformation,
          createdAt: now,
          updatedAt: now,
        };
        d.pipelines.push(structuredClone(pipeline) as unknown as (typeof d.pipelines)[number]);
        return pipeline;
      });
      runner.touch(p.id);
      changed(p, 'created');
      return item(p);
    },

    'pipelines.update': async ({ id, ...patch }) => {
      findPipeline(ctx.store.data, id);
      if (patch.filter !== undefined) checkFilter(patch.filter as Filter | null);
      if (patch.transformation) await checkTransformationOrThrow(ctx, patch.transformation);
      const p = await updatePipeline(ctx.store, id, (x) => {
        if (patch.name !== undefined) x.name = patch.name;
        if (patch.description !== undefined) x.description = patch.description;
        if (patch.enabled !== undefined) x.enabled = patch.enabled;
        if (patch.filter !== undefined) x.filter = patch.filter as Filter | null;
        if (patch.transformation !== undefined) x.transformation = patch.transformation;
      });
      runner.touch(id);
      changed(p, 'updated');
      return item(p);
    },

    'pipelines.delete': async ({ id }) => {
      const p = findPipeline(ctx.store.data, id);
      await ctx.store.update((d) => {
        d.pipelines = d.pipelines.filter((x) => x.id !== id);
      });
      await runner.forget(id);
      changed(p, 'deleted');
      return { deleted: true as const };
    },

    'pipelines.setEnabled': async ({ id, enabled }) => {
      const p = await updatePipeline(ctx.store, id, (x) => {
        x.enabled = enabled;
      });
      runner.touch(id);
      changed(p, 'updated');
      return item(p);
    },

    'pipelines.check': async ({ transformation }) => ({ errors: await checkErrors(transformation, model(ctx)) }),

    'pipelines.preview': async ({ sourceId, filter, transformation, event }) => {
      if (sourceId !== undefined && !sourceExists(ctx.store.data, sourceId)) throw notFound(`No source with id "${sourceId}"`);
      checkFilter(filter as Filter | null);
      return previewPipeline(engines, model(ctx), { filter: filter as Filter | null, transformation, event });
    },

    'pipelines.metrics': async ({ id, minutes = 60 }) => {
      const p = findPipeline(ctx.store.data, id);
      const now = Math.floor(Date.now() / 60_000) * 60_000;
      const from = now - (minutes - 1) * 60_000;
      const rows = await withConnection(ctx, async (c) => {
        const r = await c.runAndReadAll(
          `SELECT epoch_ms(minute), received, filtered_out, transform_failed, invalid_output, users_created, users_updated
             FROM pipeline_metrics WHERE pipeline_id = $1 AND minute >= make_timestamptz($2::BIGINT * 1000) ORDER BY minute`,
          [id, from],
        );
        return r.getRows() as bigint[][];
      });
      const byMinute = new Map(rows.map((r) => [Number(r[0]), r.slice(1).map(Number)]));
      const totals: MetricCounts = { received: 0, filteredOut: 0, transformFailed: 0, invalidOutput: 0, usersCreated: 0, usersUpdated: 0 };
      const series = [];
      for (let t = from; t <= now; t += 60_000) {
        const [received, filteredOut, transformFailed, invalidOutput, usersCreated, usersUpdated] = byMinute.get(t) ?? [0, 0, 0, 0, 0, 0];
        const m = { received, filteredOut, transformFailed, invalidOutput, usersCreated, usersUpdated };
        for (const k of Object.keys(totals) as (keyof MetricCounts)[]) totals[k] += m[k];
        series.push({ minute: new Date(t).toISOString(), ...m });
      }
      return {
        id,
        minutes: series,
        totals,
        from: new Date(from).toISOString(),
        to: new Date(now + 60_000).toISOString(),
        status: await runner.status(p),
      };
    },

    'pipelines.errors': async ({ id, limit = 100 }) => {
      findPipeline(ctx.store.data, id);
      return withConnection(ctx, async (c) => {
        const r = await c.runAndReadAll(
          `SELECT kind, code, message, count, CAST(first_at AS VARCHAR), CAST(last_at AS VARCHAR), last_message_id, last_seq,
                  count(*) OVER ()
             FROM pipeline_errors WHERE pipeline_id = $1 ORDER BY last_at DESC, message LIMIT $2`,
          [id, limit],
        );
        const rows = r.getRows();
        const errors: PipelineErrorGroup[] = rows.map((x) => ({
          kind: x[0] as PipelineErrorKind,
          code: x[1] as string,
          message: x[2] as string,
          count: Number(x[3]),
          firstAt: iso(x[4])!,
          lastAt: iso(x[5])!,
          lastMessageId: (x[6] as string | null) ?? null,
          lastSeq: Number(x[7]),
        }));
        return { errors, total: rows.length ? Number(rows[0][8]) : 0 };
      });
    },

    'pipelines.replay': async ({ id }) => {
      const p = findPipeline(ctx.store.data, id);
      await runner.replay(p);
      const status = await runner.status(p);
      ctx.live.publish('pipelines.progress', { sourceId: p.sourceId, status });
      return status;
    },

    'pipelines.status': ({ id }) => runner.status(findPipeline(ctx.store.data, id)),
  };

  return {
    handlers,
    runner,
    async start() {
      await runner.start();
    },
    /** Stop the runner (rolling back a batch in flight) and the preview engines; before the warehouse closes. */
    async stop() {
      await runner.stop();
      await engines.close();
    },
    /** Test helper: true once every enabled pipeline has consumed its source's log. */
    async idle(): Promise<boolean> {
      for (const p of allPipelines(ctx.store.data)) {
        if (!p.enabled) continue;
        const s = await runner.status(p).catch((err: unknown) => {
          if (isMissingTable(err, 'events')) return null;
          throw err;
        });
        if (s && (s.pending > 0 || s.replaying)) return false;
      }
      return true;
    },
  };
}
export type Pipelines = ReturnType<typeof createPipelines>;
