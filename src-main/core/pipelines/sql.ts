/**
 * The pipelines' SQL: reading the event log, looking identities up, and the
 * batch's writes (staging tables filled through the appender, then set-based
 * statements). Every write of a batch runs in the caller's transaction.
 */
import { listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { IdentityLookup, IdentityRow, MergeChange, UserChange } from './identity';
import { appendTextRows } from '../warehouse/append';

export const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Time spent per write statement of the batches (ms, cumulative): where the writes' time goes. */
export const writeProfile: Record<string, number> = {};

export interface LogRow {
  seq: number;
  messageId: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** Event timestamp, epoch ms. */
  ts: number;
  raw: string;
}

export function isMissingTable(err: unknown, table: string): boolean {
  const m = err instanceof Error ? err.message : String(err);
  return new RegExp(`Table with name ${table} does not exist`, 'i').test(m);
}

/**
 * Events of a source after a sequence number, in log order, read by seq windows:
 * `ORDER BY seq LIMIT n` would make DuckDB decompress the raw JSON of every later row
 * to pick the first n, while a bounded range is pruned by the zone maps (rows are
 * appended in seq order). `scannedTo` is where the read stopped: every event of the
 * source up to it is in `rows` (the event log commits seqs in order, so nothing below
 * the log's max seq can still appear).
 */
export async function readEvents(
  conn: DuckDBConnection,
  sourceId: string,
  after: number,
  limit: number,
): Promise<{ rows: LogRow[]; scannedTo: number }> {
  const hiRow = (await conn.runAndReadAll(`SELECT max(seq) FROM events WHERE seq > $1`, [after])).getRows()[0];
  if (!hiRow || hiRow[0] === null) return { rows: [], scannedTo: after };
  const hi = Number(hiRow[0]);
  const out: LogRow[] = [];
  let from = after;
  let window = limit;
  for (let round = 0; from < hi && out.length < limit / 2 && round < 8; round++) {
    const to = Math.min(from + window, hi);
    const reader = await conn.runAndReadAll(
      `SELECT seq, message_id, user_id, anonymous_id, epoch_ms("timestamp"), CAST(raw AS VARCHAR)
         FROM events WHERE source_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
      [sourceId, from, to],
    );
    const rows = reader.getRows();
    for (const r of rows) {
      out.push({
        seq: Number(r[0]),
        messageId: (r[1] as string | null) ?? null,
        userId: (r[2] as string | null) || null,
        anonymousId: (r[3] as string | null) || null,
        ts: Number(r[4]),
        raw: r[5] as string,
      });
    }
    from = to;
    // Sparse source (other sources in between): widen the next window.
    if (rows.length < window / 4) window *= 4;
  }
  return { rows: out, scannedTo: from };
}

/** Events of a source up to the cursor, and in all. */
export async function countEvents(conn: DuckDBConnection, sourceId: string, cursor: number): Promise<{ processed: number; total: number; maxSeq: number }> {
  try {
    const r = await conn.runAndReadAll(
      `SELECT count(*) FILTER (WHERE seq <= $2), count(*), coalesce(max(seq), 0) FROM events WHERE source_id = $1`,
      [sourceId, cursor],
    );
    const [p, t, m] = r.getRows()[0] as bigint[];
    return { processed: Number(p), total: Number(t), maxSeq: Number(m) };
  } catch (err) {
    if (isMissingTable(err, 'events')) return { processed: 0, total: 0, maxSeq: 0 };
    throw err;
  }
}

// ---------------------------------------------------------------------------
// users and user_identities

export interface UsersTable {
  /** Column name -> DuckDB type, model properties only (not _id/_created_at/_updated_at). */
  columns: Map<string, string>;
}

export async function describeUsers(conn: DuckDBConnection): Promise<UsersTable | null> {
  const r = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM duckdb_columns()
      WHERE table_name = 'users' AND schema_name = 'main' AND database_name = current_database() ORDER BY column_index`,
  );
  const rows = r.getRows() as [string, string][];
  if (rows.length === 0) return null;
  const columns = new Map<string, string>();
  for (const [name, type] of rows) if (!name.startsWith('_')) columns.set(name, type);
  return { columns };
}

export async function lookupIdentities(
  conn: DuckDBConnection,
  sourceId: string,
  userIds: string[],
  anonymousIds: string[],
): Promise<IdentityLookup> {
  const byUserId = new Map<string, string>();
  const byAnonymousId = new Map<string, { id: string; userId: string | null }>();
  if (userIds.length > 0) {
    const r = await conn.runAndReadAll(
      `SELECT user_id, arg_max(_user_id, last_seen) FROM user_identities
        WHERE user_id IN (SELECT unnest($1::VARCHAR[])) GROUP BY user_id`,
      [listValue(userIds)],
    );
    for (const [u, id] of r.getRows() as [string, string][]) byUserId.set(u, id);
  }
  if (anonymousIds.length > 0) {
    const r = await conn.runAndReadAll(
      `SELECT anonymous_id, arg_max(_user_id, last_seen), arg_max(user_id, last_seen) FROM user_identities
        WHERE source_id = $1 AND anonymous_id IN (SELECT unnest($2::VARCHAR[])) GROUP BY anonymous_id`,
      [sourceId, listValue(anonymousIds)],
    );
    for (const [a, id, u] of r.getRows() as [string, string, string | null][]) byAnonymousId.set(a, { id, userId: u ?? null });
  }
  return { byUserId, byAnonymousId };
}

export async function loadTimes(conn: DuckDBConnection, ids: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (ids.length === 0) return out;
  const r = await conn.runAndReadAll(
    `SELECT _id, CAST(times AS VARCHAR) FROM user_property_times WHERE _id IN (SELECT unnest($1::VARCHAR[]))`,
    [listValue(ids)],
  );
  for (const [id, json] of r.getRows() as [string, string][]) {
    try {
      out.set(id, JSON.parse(json) as Record<string, number>);
    } catch {
      out.set(id, {});
    }
  }
  return out;
}

/** The values users hold of the given array properties (for the union of arrays). */
export async function loadArrays(conn: DuckDBConnection, ids: string[], props: string[]): Promise<Map<string, Record<string, unknown[]>>> {
  const out = new Map<string, Record<string, unknown[]>>();
  if (ids.length === 0 || props.length === 0) return out;
  const r = await conn.runAndReadAll(
    `SELECT _id, ${props.map((p) => `CAST(to_json(${q(p)}) AS VARCHAR)`).join(', ')} FROM users WHERE _id IN (SELECT unnest($1::VARCHAR[]))`,
    [listValue(ids)],
  );
  for (const row of r.getRows() as (string | null)[][]) {
    const rec: Record<string, unknown[]> = {};
    props.forEach((p, i) => {
      const json = row[i + 1];
      if (json === null) return;
      try {
        const v = JSON.parse(json) as unknown;
        if (Array.isArray(v)) rec[p] = v;
      } catch {
        // not a list: nothing to union with
      }
    });
    out.set(row[0]!, rec);
  }
  return out;
}

/** Text form of a coerced value, cast back to the column's type in SQL. */
export function stageText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** How a staged text becomes a value of the column's type. */
export function castFromText(expr: string, type: string, modelType: string | undefined): string {
  if (modelType === 'json' || type === 'JSON') return `CAST(${expr} AS JSON)`;
  if (/\[\]$/.test(type)) return `CAST(CAST(${expr} AS JSON) AS ${type})`;
  return `CAST(${expr} AS ${type})`;
}


export interface BatchWrite {
  sourceId: string;
  users: UsersTable;
  modelTypes: Map<string, string>;
  created: ReadonlySet<string>;
  changes: UserChange[];
  /** Every anonymous user folded into another one in this batch (from -> into); they are deleted. */
  merges: ReadonlyMap<string, string>;
  /** Which of the merged users' values win (newer than the target's). */
  takes: MergeChange[];
  identities: IdentityRow[];
  joinedAnonymousIds: string[];
}

/** The batch's writes to users, identities and property times. Runs inside the caller's transaction. */
export async function writeUsers(conn: DuckDBConnection, w: BatchWrite): Promise<{ updated: number }> {
  const props = [...w.users.columns.keys()];
  const colOf = (p: string) => `p_${props.indexOf(p)}`;
  const run = async (label: string, sql: string, params?: DuckDBValue[]) => {
    const t = performance.now();
    try {
      await conn.run(sql, params);
    } finally {
      writeProfile[label] = (writeProfile[label] ?? 0) + performance.now() - t;
    }
  };

  // 1. Identities: refresh the known ones, insert the new ones, drop anonymous-only rows that were joined.
  if (w.joinedAnonymousIds.length > 0) {
    await run(
      'delete joined anonymous',
      `DELETE FROM user_identities WHERE source_id = $1 AND user_id IS NULL AND anonymous_id IN (SELECT unnest($2::VARCHAR[]))`,
      [w.sourceId, listValue(w.joinedAnonymousIds)],
    );
  }
  if (w.identities.length > 0) {
    await run(
      'stage identities',
      `CREATE OR REPLACE TEMP TABLE pl_stage_identities (user_id VARCHAR, anonymous_id VARCHAR, _user_id VARCHAR, first_seen BIGINT, last_seen BIGINT)`,
    );
    await appendTextRows(
      conn,
      'pl_stage_identities',
      w.identities.map((r) => [r.userId, r.anonymousId, r.id, String(r.firstSeen), String(r.lastSeen)]),
    );
    const match = `i.source_id = $1 AND i.user_id IS NOT DISTINCT FROM s.user_id AND i.anonymous_id IS NOT DISTINCT FROM s.anonymous_id`;
    // Seen times first (plain columns); the owner only where it changed (_user_id is indexed).
    await run(
      'update identities',
      `UPDATE user_identities AS i
          SET first_seen = least(i.first_seen, make_timestamptz(s.first_seen * 1000)),
              last_seen = greatest(i.last_seen, make_timestamptz(s.last_seen * 1000))
         FROM pl_stage_identities AS s
        WHERE ${match} AND (make_timestamptz(s.last_seen * 1000) > i.last_seen OR make_timestamptz(s.first_seen * 1000) < i.first_seen)`,
      [w.sourceId],
    );
    // An identity changes owner only when anonymous users were joined or merged in this batch.
    if (w.merges.size > 0 || w.joinedAnonymousIds.length > 0) {
      await run(
        'update identity owners',
        `UPDATE user_identities AS i SET _user_id = s._user_id FROM pl_stage_identities AS s WHERE ${match} AND i._user_id <> s._user_id`,
        [w.sourceId],
      );
    }
    await run(
      'insert identities',
      `INSERT INTO user_identities (_user_id, source_id, user_id, anonymous_id, first_seen, last_seen)
       SELECT s._user_id, $1, s.user_id, s.anonymous_id, make_timestamptz(s.first_seen * 1000), make_timestamptz(s.last_seen * 1000)
         FROM pl_stage_identities AS s
        WHERE NOT EXISTS (SELECT 1 FROM user_identities AS i WHERE ${match})`,
      [w.sourceId],
    );
  }

  // 2. Users: one staging row per user, then set-based statements. New users are appended;
  //    existing users are rewritten (delete + append) only when a value actually changes.
  //    DuckDB's INSERT ... ON CONFLICT DO UPDATE rewrites every column of every row in place,
  //    which measured 5-10x slower than this at 200k users (see the README, Pipelines).
  let updated = 0;
  if (w.changes.length > 0) {
    const cols = props.map((p) => `${colOf(p)} VARCHAR`).join(', ');
    await run('stage users', `CREATE OR REPLACE TEMP TABLE pl_stage_users (_id VARCHAR, is_new BOOLEAN, times VARCHAR${cols ? `, ${cols}` : ''})`);
    const rows: (string | null)[][] = new Array(w.changes.length);
    w.changes.forEach((c, i) => {
      const row: (string | null)[] = [c.id, w.created.has(c.id) ? 'true' : 'false', JSON.stringify(c.times)];
      for (const p of props) row.push(Object.prototype.hasOwnProperty.call(c.values, p) ? stageText(c.values[p]) : null);
      rows[i] = row;
    });
    await appendTextRows(conn, 'pl_stage_users', rows);
    const typed = (p: string) => castFromText(`s.${colOf(p)}`, w.users.columns.get(p)!, w.modelTypes.get(p));
    if (w.created.size > 0) {
      const insertCols = ['_id', '_created_at', '_updated_at', ...props].map(q).join(', ');
      const selectCols = ['s._id', 'now()', 'now()', ...props.map(typed)].join(', ');
      await run('insert users', `INSERT INTO users (${insertCols}) SELECT ${selectCols} FROM pl_stage_users AS s WHERE s.is_new`);
    }
    const withValues = w.changes.some((c) => !w.created.has(c.id) && Object.keys(c.values).some((p) => w.users.columns.has(p)));
    if (withValues && props.length > 0) {
      const replace = ['now() AS _updated_at', ...props.map((p) => `coalesce(${typed(p)}, u.${q(p)}) AS ${q(p)}`)].join(', ');
      const changed = props.map((p) => `(s.${colOf(p)} IS NOT NULL AND ${typed(p)} IS DISTINCT FROM u.${q(p)})`).join(' OR ');
      await run(
        'changed users',
        `CREATE OR REPLACE TEMP TABLE pl_changed_users AS
           SELECT u.* REPLACE (${replace}) FROM users AS u JOIN pl_stage_users AS s ON u._id = s._id
            WHERE NOT s.is_new AND (${changed})`,
      );
      updated = Number((await conn.runAndReadAll('SELECT count(*) FROM pl_changed_users')).getRows()[0][0]);
      if (updated > 0) {
        await run('rewrite users (delete)', `DELETE FROM users WHERE _id IN (SELECT _id FROM pl_changed_users)`);
        await run('rewrite users (append)', `INSERT INTO users SELECT * FROM pl_changed_users`);
      }
    }
    await run(
      'upsert property times',
      `INSERT INTO user_property_times (_id, times) SELECT _id, CAST(times AS JSON) FROM pl_stage_users
         ON CONFLICT (_id) DO UPDATE SET times = EXCLUDED.times`,
    );
  }

  // 3. Merges (after the upsert, which may have created the target): identities follow the
  //    surviving user, values newer than both the target's and the batch's are copied over,
  //    the merged user goes.
  if (w.merges.size > 0) {
    await run('stage merges', `CREATE OR REPLACE TEMP TABLE pl_stage_merges (from_id VARCHAR, into_id VARCHAR)`);
    await appendTextRows(
      conn,
      'pl_stage_merges',
      [...w.merges].map(([from, into]) => [from, into]),
    );
    await run('merge identities', `UPDATE user_identities AS i SET _user_id = m.into_id FROM pl_stage_merges AS m WHERE i._user_id = m.from_id`);
    for (const m of w.takes) {
      const take = m.take.filter((p) => w.users.columns.has(p));
      if (take.length === 0) continue;
      await run(
        'merge values',
        `UPDATE users AS y SET ${take.map((p) => `${q(p)} = x.${q(p)}`).join(', ')}, _updated_at = now()
           FROM users AS x WHERE y._id = $1 AND x._id = $2`,
        [m.into, m.from],
      );
    }
    await run('delete merged users', `DELETE FROM users WHERE _id IN (SELECT from_id FROM pl_stage_merges)`);
    await run('delete merged times', `DELETE FROM user_property_times WHERE _id IN (SELECT from_id FROM pl_stage_merges)`);
  }
  if (w.merges.size > 0) {
    // Users whose values changed, and the surviving users of merges (counted once).
    const targets = [...new Set(w.merges.values())].filter((id) => !w.created.has(id));
    const r = await conn.runAndReadAll(
      `SELECT count(*) FROM (SELECT _id FROM ${updated > 0 ? 'pl_changed_users' : '(SELECT NULL::VARCHAR AS _id WHERE false)'} UNION SELECT unnest($1::VARCHAR[]))`,
      [listValue(targets)],
    );
    updated = Number(r.getRows()[0][0]);
  }
  return { updated };
}
