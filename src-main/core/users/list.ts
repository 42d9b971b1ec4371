import type { DuckDBConnection } from '@duckdb/node-api';
import type { UserDetail, UserEvent, UserIdentity, UserRow, UsersPage } from '../api/users';
import { notFound } from '../api/errors';
import type { CoreContext } from '../context';
import { currentModel } from '../model/migrate';
import { apiValue, isoTimestamp, q, tableColumns, tableExists, USERS_TABLE } from '../model/sql';
import { cachedOrder, cacheTuning, orderFor, pageOf, prepareOrder, SEARCH_COPY, searchCopyReady, usersFingerprint } from './cache';
import { buildView, DEFAULT_SORT, selectList, toUserObjects, viewColumns, type ViewArgs } from './view';

export const DEFAULT_LIMIT = 100;

/** A short-lived connection per request: DuckDB runs one query at a time per connection. */
export async function withConnection<T>(ctx: CoreContext, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const conn = await ctx.warehouse.instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

export async function listUsers(ctx: CoreContext, args: ViewArgs & { offset?: number; limit?: number }): Promise<UsersPage> {
  const model = currentModel(ctx);
  const offset = args.offset ?? 0;
  const limit = args.limit ?? DEFAULT_LIMIT;
  return withConnection(ctx, async (conn) => {
    const view = await buildView(conn, model, args);
    const fp = await usersFingerprint(conn, model, ctx);
    const sort = args.sort ?? DEFAULT_SORT;
    let total: number;
    let ids: string[];
    const key = JSON.stringify([view.orderBy, view.search]);
    const wholeTable = () => ({ sql: `SELECT _id FROM ${USERS_TABLE} ORDER BY ${view.orderBy}`, params: [] });
    const ready = cachedOrder(ctx, key, fp.fp);
    if (!ready && !view.search && offset + limit <= cacheTuning.shallowRows) {
      // First pages of the whole table: a top-N reading only the sort column and _id; the
      // view's full order is prepared behind, for the pages that follow.
      total = fp.count;
      if (offset >= total) return { total, users: [] };
      const r = await conn.runAndReadAll(`SELECT _id FROM ${USERS_TABLE} ORDER BY ${view.orderBy} LIMIT $1 OFFSET $2`, [limit, offset]);
      ids = (r.getRowsJson() as string[][]).map((x) => x[0]);
      if (fp.count > cacheTuning.shallowRows) prepareOrder(ctx, key, fp.fp, wholeTable);
    } else {
      // Deep pages and searches: the view's order is materialized once, then read by rowid range.
      const copy = view.search && !ready ? await searchCopyReady(ctx, conn, model, fp) : false;
      const source = () => {
        if (!view.search) return wholeTable();
        if (!copy) return { sql: `SELECT _id FROM ${USERS_TABLE} WHERE ${view.where} ORDER BY ${view.orderBy}`, params: view.params };
        if (sort.property === '_created_at' || sort.property === '_id') {
          const byCopy = view.orderBy.replace('"_created_at"', 'c');
          return { sql: `SELECT _id FROM ${SEARCH_COPY} WHERE ${view.copyWhere} ORDER BY ${byCopy}`, params: view.params };
        }
        return {
          sql: `SELECT _id FROM ${USERS_TABLE} WHERE _id IN (SELECT _id FROM ${SEARCH_COPY} WHERE ${view.copyWhere}) ORDER BY ${view.orderBy}`,
          params: view.params,
        };
      };
      let order = ready ?? (await orderFor(ctx, conn, key, fp.fp, source));
      total = order.total;
      if (offset >= total) return { total, users: [] };
      try {
        ids = await pageOf(conn, order, offset, limit);
      } catch (err) {
        // A concurrent request of a newer fingerprint freed this order: build it again once.
        if (!/does not exist/i.test((err as Error).message)) throw err;
        order = await orderFor(ctx, conn, key, fp.fp, source);
        total = order.total;
        ids = await pageOf(conn, order, offset, limit);
      }
    }
    if (!ids.length) return { total, users: [] };
    // Late materialization: the page's rows through the primary key.
    const rows = await conn.runAndReadAll(
      `SELECT ${selectList(view.columns)} FROM ${USERS_TABLE} WHERE _id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})`,
      ids,
    );
    const byId = new Map(toUserObjects(view.columns, rows.getRowsJson() as unknown[][]).map((u) => [u._id as string, u]));
    const users = ids.map((id) => byId.get(id)).filter((u): u is UserRow => !!u);
    return { total, users };
  });
}

const EVENTS_LIMIT = 50;

export async function getUser(ctx: CoreContext, id: string): Promise<UserDetail> {
  const model = currentModel(ctx);
  const columns = viewColumns(model);
  return withConnection(ctx, async (conn) => {
    const r = await conn.runAndReadAll(`SELECT ${selectList(columns)} FROM ${USERS_TABLE} WHERE _id = $1`, [id]);
    const user = toUserObjects(columns, r.getRowsJson() as unknown[][])[0] as UserRow | undefined;
    if (!user) throw notFound(`No user with _id "${id}"`);
    const ir = await conn.runAndReadAll(
      `SELECT source_id, user_id, anonymous_id, first_seen::VARCHAR, last_seen::VARCHAR FROM user_identities WHERE _user_id = $1 ORDER BY last_seen DESC LIMIT 500`,
      [id],
    );
    const identities: UserIdentity[] = (ir.getRowsJson() as (string | null)[][]).map(([sourceId, userId, anonymousId, f, l]) => ({
      sourceId: sourceId ?? '',
      userId,
      anonymousId,
      firstSeen: f ? isoTimestamp(f) : null,
      lastSeen: l ? isoTimestamp(l) : null,
    }));
    const firsts = identities.map((i) => i.firstSeen).filter((x): x is string => !!x).sort();
    const lasts = identities.map((i) => i.lastSeen).filter((x): x is string => !!x).sort();
    return {
      user,
      identities,
      firstSeen: firsts[0] ?? user._created_at ?? null,
      lastSeen: lasts[lasts.length - 1] ?? user._updated_at ?? null,
      events: await recentEvents(conn, identities),
    };
  });
}

/** The user's recent events from the event log, matched by the identities' userId or anonymousId; [] while there is no `events` table. */
async function recentEvents(conn: DuckDBConnection, identities: UserIdentity[]): Promise<UserEvent[]> {
  const userIds = [...new Set(identities.map((i) => i.userId).filter((x): x is string => !!x))].slice(0, 200);
  const anonIds = [...new Set(identities.map((i) => i.anonymousId).filter((x): x is string => !!x))].slice(0, 200);
  if (!userIds.length && !anonIds.length) return [];
  if (!(await tableExists(conn, 'events'))) return [];
  const have = new Set((await tableColumns(conn, 'events'))?.map((c) => c.name));
  const col = (name: string, sql = q(name)) => (have.has(name) ? sql : 'NULL');
  const params = [...userIds, ...anonIds];
  const conds: string[] = [];
  if (userIds.length) conds.push(`user_id IN (${userIds.map((_, i) => `$${i + 1}`).join(', ')})`);
  if (anonIds.length) conds.push(`anonymous_id IN (${anonIds.map((_, i) => `$${userIds.length + i + 1}`).join(', ')})`);
  const r = await conn.runAndReadAll(
    `SELECT ${col('seq')}, ${col('source_id')}, ${col('message_id')}, ${col('type')}, ${col('event')}, ${col('user_id')}, ${col('anonymous_id')},
            ${col('timestamp', '"timestamp"::VARCHAR')}, ${col('received_at', 'received_at::VARCHAR')}, ${col('raw', 'raw::VARCHAR')}
       FROM events WHERE ${conds.join(' OR ')} ORDER BY ${have.has('seq') ? 'seq' : '"timestamp"'} DESC LIMIT ${EVENTS_LIMIT}`,
    params,
  );
  return (r.getRowsJson() as unknown[][]).map(([seq, sourceId, messageId, type, event, userId, anonymousId, ts, rec, raw]) => ({
    seq: apiValue(seq, 'int') as number,
    sourceId: String(sourceId ?? ''),
    messageId: (messageId as string) ?? null,
    type: (type as string) ?? null,
    event: (event as string) ?? null,
    userId: (userId as string) ?? null,
    anonymousId: (anonymousId as string) ?? null,
    timestamp: ts ? isoTimestamp(ts as string) : null,
    receivedAt: rec ? isoTimestamp(rec as string) : null,
    raw: apiValue(raw, 'json'),
  }));
}
