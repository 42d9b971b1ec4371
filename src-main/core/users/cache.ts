import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { CustomerModel } from '../api/model';
import type { CoreContext } from '../context';
import { q, USERS_TABLE } from '../model/sql';

/**
 * Speed for big users tables (measured at 1,000,000 users, see the README):
 *
 * - Orders ("permutations"): the first deep page of a view (sort + search) materializes the
 *   view's ordered `_id`s once into an in-memory table; every page is then a rowid range of
 *   it (zone-map pruned, ~1 ms) plus a primary-key lookup of 100 `_id`s. Without it, an
 *   OFFSET of 900,000 sorts the whole table at every request.
 * - Search: a lowercase copy of the string properties, concatenated per user, is kept in the
 *   same in-memory database; a search is one `contains()` scan of that column instead of
 *   `lower()` + `contains()` over every string column of the compressed table.
 *
 * Both live in `ATTACH ':memory:' AS krenalis_cache` (never written to warehouse.duckdb) and are
 * valid for one "fingerprint" of users (row count, newest _updated_at, sum of _updated_at) and
 * one model revision: any write to users (pipelines set _updated_at) or model change makes
 * them stale. A stale order is rebuilt on demand; a stale search copy is rebuilt in the
 * background (at most every `searchRebuildMs`) and searches read the table directly meanwhile.
 */
export const cacheTuning = {
  /** Pages that end before this offset are read directly (top-N) when no order is cached. */
  shallowRows: 2000,
  /** The search copy is kept only for tables with at least this many users. */
  searchCopyMinUsers: 50_000,
  searchRebuildMs: 15_000,
  /** Cached orders kept, and their total size in rows. */
  maxOrders: 6,
  maxOrderRows: 2_500_000,
  fingerprintTtlMs: 250,
};

const DB = 'krenalis_cache';
export const SEARCH_COPY = `${DB}.users_search`;

interface Order {
  table: string;
  fp: string;
  total: number;
  used: number;
}
interface SearchCopy {
  fp: string;
  revision: number;
  columns: string;
  /** Newest _updated_at copied; the next refresh re-copies from a few minutes before it. */
  watermark: string | null;
  /** Rows rewritten since the last full build (a full build follows past 20% of the rows). */
  churn: number;
  rows: number;
}
interface CacheState {
  attached: Promise<void> | null;
  orders: Map<string, Order>;
  building: Map<string, Promise<Order>>;
  search: SearchCopy | null;
  searchBuilding: Promise<void> | null;
  searchBuiltAt: number;
  seq: number;
}
const states = new WeakMap<CoreContext, CacheState>();

function state(ctx: CoreContext): CacheState {
  let s = states.get(ctx);
  if (!s) {
    s = { attached: null, orders: new Map(), building: new Map(), search: null, searchBuilding: null, searchBuiltAt: 0, seq: 0 };
    states.set(ctx, s);
  }
  return s;
}

async function attach(ctx: CoreContext, conn: DuckDBConnection) {
  const s = state(ctx);
  s.attached ??= conn.run(`ATTACH IF NOT EXISTS ':memory:' AS ${DB}`).then(() => undefined);
  await s.attached;
}

const recentFingerprints = new WeakMap<CoreContext, { at: number; revision: number; value: Fingerprint }>();

/**
 * Changes whenever a row of users is added, removed or updated (pipelines set _updated_at =
 * now()). Scrolling sends bursts of requests: a fingerprint younger than `fingerprintTtlMs` is
 * reused (a page is at most that much older than the table, like any snapshot read).
 */
export interface Fingerprint {
  fp: string;
  count: number;
  max: string | null;
  sum: string | null;
}

export async function usersFingerprint(conn: DuckDBConnection, model: CustomerModel, ctx?: CoreContext): Promise<Fingerprint> {
  const recent = ctx && recentFingerprints.get(ctx);
  if (recent && recent.revision === model.revision && Date.now() - recent.at < cacheTuning.fingerprintTtlMs) return recent.value;
  const r = await conn.runAndReadAll(`SELECT count(*), max(_updated_at)::VARCHAR, sum(epoch_us(_updated_at))::VARCHAR FROM ${USERS_TABLE}`);
  const [count, max, sum] = r.getRowsJson()[0] as [string, string | null, string | null];
  const value = { fp: `${model.revision}|${count}|${max}|${sum}`, count: Number(count), max, sum };
  if (ctx) recentFingerprints.set(ctx, { at: Date.now(), revision: model.revision, value });
  return value;
}

export function stringColumns(model: CustomerModel): string[] {
  return model.properties.filter((p) => p.type === 'string').map((p) => p.name);
}

/** The search copy's source expression (lowercase string properties joined by U+001F). */
function searchText(model: CustomerModel): string {
  const cols = stringColumns(model);
  return cols.length ? `lower(concat_ws(chr(31), ${cols.map(q).join(', ')}))` : `''`;
}

/**
 * Is the in-memory search copy current? A copy of the same model is brought up to date in
 * place (rows changed since its watermark, then a full comparison when the totals still
 * differ); a new model, or too much churn, rebuilds it (awaited only when there is none yet).
 */
export async function searchCopyReady(ctx: CoreContext, conn: DuckDBConnection, model: CustomerModel, fp: Fingerprint): Promise<boolean> {
  const s = state(ctx);
  if (s.search && s.search.fp === fp.fp) return true;
  if (fp.count < cacheTuning.searchCopyMinUsers) return false;
  await attach(ctx, conn);
  const same = !!s.search && s.search.revision === model.revision && s.search.columns === stringColumns(model).join(',');
  if (same && s.search!.churn <= s.search!.rows * 0.2) {
    s.searchBuilding ??= refreshSearchCopy(ctx, model).finally(() => (s.searchBuilding = null));
    try {
      await s.searchBuilding;
      return !!state(ctx).search;
    } catch {
      return false;
    }
  }
  if (!s.searchBuilding && Date.now() - s.searchBuiltAt >= (s.search ? cacheTuning.searchRebuildMs : 0)) {
    s.searchBuilding = buildSearchCopy(ctx, model).finally(() => {
      s.searchBuilding = null;
      s.searchBuiltAt = Date.now();
    });
    // The very first copy is awaited (start-up warm-up or first search); later ones run behind.
    if (!s.search) {
      await s.searchBuilding.catch(() => undefined);
      const built = state(ctx).search as SearchCopy | null;
      return !!built && built.fp === fp.fp;
    }
  }
  return false;
}

const copyColumns = (model: CustomerModel) => `_id, _created_at AS c, _updated_at AS u, ${searchText(model)} AS t`;

async function buildSearchCopy(ctx: CoreContext, model: CustomerModel) {
  const conn = await ctx.warehouse.instance.connect();
  try {
    await conn.run('BEGIN TRANSACTION');
    const fp = await usersFingerprint(conn, model);
    await conn.run(`CREATE OR REPLACE TABLE ${SEARCH_COPY} AS SELECT ${copyColumns(model)} FROM ${USERS_TABLE}`);
    await conn.run('COMMIT');
    state(ctx).search = { fp: fp.fp, revision: model.revision, columns: stringColumns(model).join(','), watermark: fp.max, churn: 0, rows: fp.count };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    conn.closeSync();
  }
}

async function refreshSearchCopy(ctx: CoreContext, model: CustomerModel) {
  const s = state(ctx);
  const prev = s.search!;
  const conn = await ctx.warehouse.instance.connect();
  try {
    await conn.run('BEGIN TRANSACTION');
    const fp = await usersFingerprint(conn, model);
    let churn = prev.churn;
    // now() in DuckDB is the transaction's start: a writer that commits late stamps rows a
    // little in the past, hence the margin before the watermark.
    const since = `_updated_at >= CAST($1 AS TIMESTAMPTZ) - INTERVAL 5 MINUTE`;
    if (prev.watermark) {
      churn += (await conn.run(`DELETE FROM ${SEARCH_COPY} WHERE _id IN (SELECT _id FROM ${USERS_TABLE} WHERE ${since})`, [prev.watermark])).rowsChanged;
      await conn.run(`INSERT INTO ${SEARCH_COPY} SELECT ${copyColumns(model)} FROM ${USERS_TABLE} WHERE ${since}`, [prev.watermark]);
    }
    const [count, sum] = (await conn.runAndReadAll(`SELECT count(*), sum(epoch_us(u))::VARCHAR FROM ${SEARCH_COPY}`)).getRowsJson()[0] as [string, string | null];
    if (Number(count) !== fp.count || sum !== fp.sum) {
      // Deletes (merged users) or rows stamped before the margin: compare everything once.
      churn += (
        await conn.run(
          `DELETE FROM ${SEARCH_COPY} AS s WHERE NOT EXISTS (SELECT 1 FROM ${USERS_TABLE} AS x WHERE x._id = s._id AND x._updated_at = s.u)`,
        )
      ).rowsChanged;
      await conn.run(
        `INSERT INTO ${SEARCH_COPY} SELECT ${copyColumns(model)} FROM ${USERS_TABLE} AS x WHERE NOT EXISTS (SELECT 1 FROM ${SEARCH_COPY} AS s WHERE s._id = x._id)`,
      );
    }
    await conn.run('COMMIT');
    s.search = { ...prev, fp: fp.fp, watermark: fp.max ?? prev.watermark, churn, rows: fp.count };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    s.search = null;
    throw err;
  } finally {
    conn.closeSync();
  }
}

/** Warm the search copy after start-up (big tables only); never blocks start. */
export function warmUsersCache(ctx: CoreContext, model: CustomerModel) {
  void (async () => {
    const conn = await ctx.warehouse.instance.connect();
    try {
      const fp = await usersFingerprint(conn, model);
      await searchCopyReady(ctx, conn, model, fp);
    } catch {
      /* best effort */
    } finally {
      conn.closeSync();
    }
  })();
}

export interface OrderSource {
  /** SELECT producing the view's `_id`s in order. */
  sql: string;
  params: DuckDBValue[];
}

/** The view's ordered ids, materialized once per fingerprint (concurrent requests share a build). */
export async function orderFor(ctx: CoreContext, conn: DuckDBConnection, key: string, fp: string, source: () => OrderSource): Promise<Order> {
  const s = state(ctx);
  const hit = s.orders.get(key);
  if (hit && hit.fp === fp) {
    hit.used = Date.now();
    return hit;
  }
  const buildKey = `${key}\u0000${fp}`;
  let pending = s.building.get(buildKey);
  if (!pending) {
    pending = (async () => {
      await attach(ctx, conn);
      const table = hit?.table ?? `${DB}.view_${++s.seq}`;
      const { sql, params } = source();
      await conn.run(`CREATE OR REPLACE TABLE ${table} AS ${sql}`, params);
      const total = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJson()[0][0]);
      const order: Order = { table, fp, total, used: Date.now() };
      s.orders.set(key, order);
      await evict(ctx, conn, key, fp);
      return order;
    })().finally(() => s.building.delete(buildKey));
    s.building.set(buildKey, pending);
  }
  return pending;
}

async function evict(ctx: CoreContext, conn: DuckDBConnection, keep: string, fp: string) {
  const s = state(ctx);
  // Orders of an older fingerprint can never be used again: free their memory first.
  for (const [k, o] of [...s.orders.entries()]) {
    if (o.fp !== fp && k !== keep) {
      s.orders.delete(k);
      await conn.run(`DROP TABLE IF EXISTS ${o.table}`).catch(() => undefined);
    }
  }
  const byAge = [...s.orders.entries()].filter(([k]) => k !== keep).sort((a, b) => a[1].used - b[1].used);
  let rows = [...s.orders.values()].reduce((n, o) => n + o.total, 0);
  while (byAge.length && (s.orders.size > cacheTuning.maxOrders || rows > cacheTuning.maxOrderRows)) {
    const [k, o] = byAge.shift()!;
    s.orders.delete(k);
    rows -= o.total;
    await conn.run(`DROP TABLE IF EXISTS ${o.table}`).catch(() => undefined);
  }
}

/** A fresh materialized order of the view, if there is one (never builds). */
export function cachedOrder(ctx: CoreContext, key: string, fp: string): Order | null {
  const hit = state(ctx).orders.get(key);
  if (!hit || hit.fp !== fp) return null;
  hit.used = Date.now();
  return hit;
}

const lastBackground = new Map<string, number>();
/** Build a view's order in the background (at most every searchRebuildMs per view), so later pages are fast. */
export function prepareOrder(ctx: CoreContext, key: string, fp: string, source: () => OrderSource) {
  const s = state(ctx);
  const buildKey = `${key}\u0000${fp}`;
  if (s.building.has(buildKey) || Date.now() - (lastBackground.get(key) ?? 0) < cacheTuning.searchRebuildMs) return;
  lastBackground.set(key, Date.now());
  void (async () => {
    const conn = await ctx.warehouse.instance.connect();
    try {
      await orderFor(ctx, conn, key, fp, source);
    } catch {
      /* best effort: the direct path keeps working */
    } finally {
      conn.closeSync();
    }
  })();
}

/** The `_id`s at [offset, offset + limit) of a materialized order (a rowid range: zone maps prune). */
export async function pageOf(conn: DuckDBConnection, order: Order, offset: number, limit: number): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT _id FROM ${order.table} WHERE rowid >= $1 AND rowid < $2 ORDER BY rowid`, [offset, offset + limit]);
  return (r.getRowsJson() as string[][]).map((x) => x[0]);
}

