import { randomUUID } from 'node:crypto';
import { createCore, type Core } from '../../../src-main/core/app';
import type { Pipeline, PipelineListItem } from '../../../src-main/core/api/pipelines';
import { tempDir } from '../../helpers/tmp';

export type Json = Record<string, unknown>;

/** A Segment event as the ingest stores it (normalized enough for the runner: messageId, timestamp, receivedAt). */
export function segment(e: Json, at = Date.UTC(2025, 9, 20, 12, 0, 0)): Json {
  const ts = typeof e.timestamp === 'string' ? e.timestamp : new Date(at).toISOString();
  return { messageId: randomUUID(), receivedAt: ts, ...e, timestamp: ts };
}

export interface TestApp {
  core: Core;
  dataDir: string;
  sourceId: string;
  /** Send events to the ingest endpoint (POST /v1/events, as Segment's webhook does); resolves once they are in the log. */
  append(events: Json[], sourceId?: string): Promise<number>;
  call<T = any>(method: string, args?: unknown): Promise<T>;
  sql<T = unknown[]>(sql: string): Promise<T[]>;
  /** Wait until every enabled pipeline consumed its log. */
  idle(timeoutMs?: number): Promise<void>;
  createPipeline(p: Partial<Pipeline> & { transformation: Pipeline['transformation'] }): Promise<PipelineListItem>;
  /** Stop the core (the runner first), keep the folder. */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A real core (workspace.json, warehouse.duckdb, the ingest server on loopback) with a Segment source. */
export async function startApp(opts: { dataDir?: string; sourceId?: string } = {}): Promise<TestApp> {
  const tmp = opts.dataDir ? { dir: opts.dataDir, cleanup: async () => undefined } : await tempDir('krenalis-pipelines-');
  const core = await createCore({ dataDir: tmp.dir, ingestHost: '127.0.0.1', ingestPort: 0 });
  await core.start();
  const call = async <T,>(method: string, args: unknown = {}): Promise<T> => (await core.dispatcher.call(method, args)) as T;
  let sourceId = opts.sourceId;
  if (!sourceId) sourceId = (await call<{ id: string }>('sources.create', { type: 'segment', name: 'Segment' })).id;
  const keys = new Map<string, string>();
  const keyOf = async (sid: string) => {
    let k = keys.get(sid);
    if (!k) keys.set(sid, (k = (await call<{ keys: { key: string }[] }>('writeKeys.list', { sourceId: sid })).keys[0].key));
    return k;
  };
  let stopped = false;
  const app: TestApp = {
    core,
    dataDir: tmp.dir,
    sourceId,
    async append(events, sid = sourceId) {
      const key = await keyOf(sid!);
      let accepted = 0;
      for (let i = 0; i < events.length; i += 2000) {
        const res = await fetch(`${core.ctx.ingest.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(events.slice(i, i + 2000)),
        });
        const body = (await res.json()) as { accepted?: number; rejected?: unknown[] };
        if (res.status !== 200 || body.rejected?.length) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
        accepted += body.accepted ?? 0;
      }
      // Answered once journaled: wait until the events table holds them.
      await core.eventsLoaded();
      return accepted;
    },
    call,
    async sql<T = unknown[]>(sql: string) {
      const r = await call<{ rows: unknown[][] }>('warehouse.query', { sql, maxRows: 10_000 });
      return r.rows as T[];
    },
    async idle(timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        if (await core.pipelines.idle()) return;
        if (Date.now() > until) throw new Error('the pipelines did not finish in time');
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    createPipeline(p) {
      return call('pipelines.create', { sourceId, name: 'Import users', ...p });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await core.stop();
    },
    async cleanup() {
      await app.stop().catch(() => undefined);
      await tmp.cleanup();
    },
  };
  return app;
}

export const MAPPING = {
  kind: 'mapping' as const,
  mapping: {
    email: 'traits.email',
    first_name: 'traits.firstName',
    last_name: 'traits.lastName',
    plan: 'traits.plan',
    company: 'traits.company',
    country: 'coalesce(traits.country, traits.address.country)',
    city: 'traits.address.city',
    created_at: 'traits.createdAt',
  },
};

/** Events from ../shared/tools/segment-events.mjs, normalized as the ingest stores them. */
export async function generatedEvents(count: number, seed = 7, users?: number): Promise<Json[]> {
  const { pathToFileURL } = await import('node:url');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../../helpers/tmp');
  const mod = (await import(pathToFileURL(join(repoRoot, '..', 'shared', 'tools', 'segment-events.mjs')).href)) as {
    generateEvents(o: { count: number; seed?: number; users?: number }): Iterable<Json>;
  };
  const out: Json[] = [];
  for (const e of mod.generateEvents({ count, seed, users })) out.push(normalizeLikeIngest(e));
  return out;
}

/** The parts of Segment's normalization the runner relies on: timestamp, receivedAt, traits of non-identify events. */
export function normalizeLikeIngest(e: Json): Json {
  const out: Json = { ...e };
  out.timestamp ??= e.originalTimestamp ?? e.sentAt;
  out.receivedAt ??= e.sentAt ?? out.timestamp;
  const ctx = e.context as Json | undefined;
  if (e.type !== 'identify' && ctx?.traits && out.traits === undefined) out.traits = ctx.traits;
  return out;
}

export const GENERATED_MAPPING = {
  kind: 'mapping' as const,
  mapping: {
    email: 'traits.email',
    first_name: 'traits.firstName',
    last_name: 'traits.lastName',
    plan: 'traits.plan',
    company: 'traits.company',
    country: 'traits.address.country',
    city: 'traits.address.city',
    created_at: 'traits.createdAt',
  },
};

/** Every user as comparable text: its identities (sorted) and properties, without _id and times. */
export async function usersSnapshot(app: TestApp): Promise<string[]> {
  const rows = await app.sql<unknown[]>(
    `SELECT (SELECT string_agg(coalesce(i.user_id, '-') || '/' || coalesce(i.anonymous_id, '-'), ' ' ORDER BY i.user_id, i.anonymous_id)
               FROM user_identities i WHERE i._user_id = u._id) AS ids,
            u.email, u.first_name, u.last_name, u.plan, u.company, u.country, u.city, u.created_at::VARCHAR
       FROM users u ORDER BY ids`,
  );
  return rows.map((r) => JSON.stringify(r));
}
