/**
 * Identity resolution's SQL: settings, the per-batch lookup of identifier values and the
 * batch's writes (identity_values, identity_merges). Every write runs in the caller's
 * transaction (the pipeline batch's).
 */
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { AcceptedEvent, HeldValue, IdentityLookup, KeySets, MergeReason } from '../pipelines/identity';
import { stageText, writeProfile } from '../pipelines/sql';

const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    writeProfile[label] = (writeProfile[label] ?? 0) + performance.now() - t;
  }
};
import { unionArrays, valueKey } from '../pipelines/identity';
import { DEFAULT_BLOCKED_VALUES, type IdentifierKey } from './rules';
import { appendTextRows } from '../warehouse/append';

export async function readBlocked(conn: DuckDBConnection): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT CAST(value AS VARCHAR) FROM identity_settings WHERE key = 'blocked'`);
  const row = r.getRows()[0] as [string] | undefined;
  if (!row) return [...DEFAULT_BLOCKED_VALUES];
  try {
    const v = JSON.parse(row[0]) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [...DEFAULT_BLOCKED_VALUES];
  } catch {
    return [...DEFAULT_BLOCKED_VALUES];
  }
}

export async function writeBlocked(conn: DuckDBConnection, blocked: string[]): Promise<void> {
  await conn.run(
    `INSERT INTO identity_settings (key, value) VALUES ('blocked', CAST($1 AS JSON)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [JSON.stringify(blocked)],
  );
}

/**
 * Adds to a lookup (userIds and anonymousIds already looked up) the users holding the batch's
 * identifier values, and what every relevant user holds (userIds, identifier values) for the
 * priority checks. Two set-based reads plus one per kind of key.
 */
export const lookupKeys = (conn: DuckDBConnection, lookup: IdentityLookup, keys: IdentifierKey[], identifiers: string[]) =>
  timed('identity: lookup values', () => lookupKeysRaw(conn, lookup, keys, identifiers));

async function lookupKeysRaw(conn: DuckDBConnection, lookup: IdentityLookup, keys: IdentifierKey[], identifiers: string[]): Promise<void> {
  const byKey = new Map<string, string[]>();
  const users = new Set<string>([...lookup.byUserId.values(), ...[...lookup.byAnonymousId.values()].map((a) => a.id)]);
  const seen = new Set<string>();
  const props: string[] = [];
  const vals: string[] = [];
  for (const k of keys) {
    const vk = valueKey(k.property, k.value);
    if (seen.has(vk)) continue;
    seen.add(vk);
    props.push(k.property);
    vals.push(k.value);
  }
  if (props.length > 0) {
    const r = await conn.runAndReadAll(
      `SELECT DISTINCT iv.property, iv.value, iv._user_id
         FROM identity_values AS iv
         JOIN (SELECT unnest($1::VARCHAR[]) AS p, unnest($2::VARCHAR[]) AS v) AS k ON iv.property = k.p AND iv.value = k.v`,
      [listValue(props), listValue(vals)],
    );
    for (const [p, v, id] of r.getRows() as [string, string, string][]) {
      const vk = valueKey(p, v);
      const list = byKey.get(vk);
      if (list) list.push(id);
      else byKey.set(vk, [id]);
      users.add(id);
    }
  }
  const keysOf = new Map<string, KeySets>();
  const add = (id: string, rank: number, v: string) => {
    let ks = keysOf.get(id);
    if (!ks) keysOf.set(id, (ks = new Map()));
    let s = ks.get(rank);
    if (!s) ks.set(rank, (s = new Set()));
    s.add(v);
  };
  if (users.size > 0) {
    const ids = listValue([...users]);
    const r1 = await conn.runAndReadAll(
      `SELECT DISTINCT _user_id, user_id FROM user_identities WHERE _user_id IN (SELECT unnest($1::VARCHAR[])) AND user_id IS NOT NULL`,
      [ids],
    );
    for (const [id, u] of r1.getRows() as [string, string][]) add(id, 0, u);
    if (identifiers.length > 0) {
      const r2 = await conn.runAndReadAll(
        `SELECT DISTINCT _user_id, property, value FROM identity_values
          WHERE _user_id IN (SELECT unnest($1::VARCHAR[])) AND property IN (SELECT unnest($2::VARCHAR[]))`,
        [ids, listValue(identifiers)],
      );
      for (const [id, p, v] of r2.getRows() as [string, string, string][]) add(id, identifiers.indexOf(p) + 1, v);
    }
  }
  lookup.byKey = byKey;
  lookup.keysOf = keysOf;
}


export interface IdentityWrite {
  sourceId: string;
  merges: ReadonlyMap<string, string>;
  reasons: MergeReason[];
  values: HeldValue[];
}

/** identity_values follow merges, new held values are added, merges are recorded. Caller's transaction. */
export const writeIdentityValues = (conn: DuckDBConnection, w: IdentityWrite) => timed('identity: write values', () => writeIdentityValuesRaw(conn, w));

async function writeIdentityValuesRaw(conn: DuckDBConnection, w: IdentityWrite): Promise<void> {
  if (w.merges.size > 0) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE id_stage_merges (from_id VARCHAR, into_id VARCHAR)`);
    await appendTextRows(conn, 'id_stage_merges', [...w.merges]);
    await conn.run(`UPDATE identity_values AS iv SET _user_id = m.into_id FROM id_stage_merges AS m WHERE iv._user_id = m.from_id`);
  }
  if (w.values.length > 0) {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE id_stage_values (_user_id VARCHAR, property VARCHAR, value VARCHAR, user_id VARCHAR, anonymous_id VARCHAR, ts VARCHAR)`,
    );
    await appendTextRows(
      conn,
      'id_stage_values',
      w.values.map((v) => [v.id, v.property, v.value, v.userId, v.anonymousId, String(v.ts)]),
    );
    await conn.run(
      `INSERT INTO identity_values (_user_id, property, value, source_id, user_id, anonymous_id, first_seen)
       SELECT s._user_id, s.property, s.value, $1, s.user_id, s.anonymous_id, make_timestamptz(CAST(s.ts AS BIGINT) * 1000)
         FROM id_stage_values AS s
        WHERE NOT EXISTS (SELECT 1 FROM identity_values AS iv
                           WHERE iv.source_id = $1 AND iv.property = s.property AND iv.value = s.value
                             AND iv.user_id IS NOT DISTINCT FROM s.user_id AND iv.anonymous_id IS NOT DISTINCT FROM s.anonymous_id)`,
      [w.sourceId],
    );
  }
  if (w.reasons.length > 0) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE id_stage_reasons (from_id VARCHAR, into_id VARCHAR, via VARCHAR, value VARCHAR, ts VARCHAR)`);
    await appendTextRows(
      conn,
      'id_stage_reasons',
      w.reasons.map((r) => [r.from, r.into, r.via, r.value, String(r.ts)]),
    );
    await conn.run(
      `INSERT INTO identity_merges (merged_at, from_id, into_id, source_id, via, value)
       SELECT make_timestamptz(CAST(ts AS BIGINT) * 1000), from_id, into_id, $1, via, value FROM id_stage_reasons`,
      [w.sourceId],
    );
  }
}

/**
 * The batch's newest value per identity and property (ties: the later event in the log),
 * appended to identity_props for "Rebuild users"; for an array property, the union of the
 * identity's values in the batch (event order), at its newest event. Caller's transaction.
 */
export const writeIdentityProps = (conn: DuckDBConnection, sourceId: string, events: readonly AcceptedEvent[], arrayProps: ReadonlySet<string> = new Set()) =>
  timed('identity: write props', () => writeIdentityPropsRaw(conn, sourceId, events, arrayProps));

async function writeIdentityPropsRaw(conn: DuckDBConnection, sourceId: string, events: readonly AcceptedEvent[], arrayProps: ReadonlySet<string>): Promise<void> {
  const newest = new Map<string, { e: AcceptedEvent; property: string; union?: unknown[] }>();
  for (const e of events) {
    for (const property of Object.keys(e.values)) {
      const k = `${e.userId ?? ''}\u0000${e.anonymousId ?? ''}\u0000${property}`;
      const cur = newest.get(k);
      if (arrayProps.has(property)) {
        const v = e.values[property];
        if (!Array.isArray(v)) continue;
        if (!cur) newest.set(k, { e, property, union: unionArrays(v) });
        else {
          cur.union = unionArrays(cur.union, v);
          if (e.ts > cur.e.ts || (e.ts === cur.e.ts && e.seq > cur.e.seq)) cur.e = e;
        }
        continue;
      }
      if (!cur || e.ts > cur.e.ts || (e.ts === cur.e.ts && e.seq > cur.e.seq)) newest.set(k, { e, property });
    }
  }
  if (newest.size === 0) return;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE id_stage_props (user_id VARCHAR, anonymous_id VARCHAR, property VARCHAR, value VARCHAR, ts VARCHAR, seq VARCHAR)`,
  );
  const rows: (string | null)[][] = [];
  for (const { e, property, union } of newest.values()) {
    if (union && union.length === 0) continue;
    const v = stageText(union ?? e.values[property]);
    if (v !== null) rows.push([e.userId, e.anonymousId, property, v, String(e.ts), String(e.seq)]);
  }
  await appendTextRows(conn, 'id_stage_props', rows);
  await conn.run(
    `INSERT INTO identity_props SELECT $1, user_id, anonymous_id, property, value, CAST(ts AS BIGINT), CAST(seq AS BIGINT) FROM id_stage_props`,
    [sourceId],
  );
}
