/**
 * "Rebuild users": recompute every user from the identities, after a Customer Model change
 * (identifiers, their order) or a rule change (blocked values).
 *
 * Units are the identities as events carried them: (source, userId, anonymousId), from
 * user_identities, identity_values and identity_props. They go through the same resolver as
 * the pipeline batches (core/pipelines/identity.ts), oldest first, with anonymousIds scoped
 * to their source. Each resulting user keeps the _id of its oldest identity's current user
 * when it can (one survivor per old user); properties take the newest value per property
 * over the user's identities (identity_props: event time, then log position), arrays the
 * union of their values (in order of first appearance in the log). Users,
 * property times, identities and identifier values are rewritten in one transaction, on the
 * runner's connection (no pipeline batch runs meanwhile).
 */
import { randomUUID } from 'node:crypto';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { RebuildProgress } from '../api/identity';
import type { ModelLike } from '../transform/types';
import { resolveIdentities, type AcceptedEvent } from '../pipelines/identity';
import { castFromText, describeUsers, q } from '../pipelines/sql';
import { makeRules, usableId } from './rules';
import { readBlocked } from './store';
import { appendTextRows } from '../warehouse/append';

const SEP = '\u0000';


export async function rebuildUsers(
  conn: DuckDBConnection,
  model: ModelLike & { properties: readonly { name: string; type: string; identifier?: boolean }[] },
  onProgress: (p: RebuildProgress) => void,
): Promise<RebuildProgress> {
  const started = performance.now();
  const report = (p: Omit<RebuildProgress, 'ms'>) => {
    const full = { ...p, ms: Math.round(performance.now() - started) };
    onProgress(full);
    return full;
  };
  report({ phase: 'reading', progress: 0, identities: 0, users: 0 });
  const rules = makeRules(model, await readBlocked(conn));
  const table = await describeUsers(conn);
  if (!table) throw new Error('The users table does not exist yet: define the Customer Model first');

  // 0. Users written before identity_props existed (or whose identities have none): their current
  //    values are attributed to their oldest identity, so a rebuild never loses them.
  await backfillProps(conn, table.columns, new Map(model.properties.map((p) => [p.name, p.type])));

  // 1. Units, oldest first, with their old owner (when user_identities has the row).
  const unitsReader = await conn.runAndReadAll(
    `WITH k AS (
       SELECT source_id, user_id, anonymous_id, epoch_ms(first_seen) AS t, _user_id FROM user_identities
       UNION ALL SELECT source_id, user_id, anonymous_id, epoch_ms(first_seen), NULL FROM identity_values
       UNION ALL SELECT source_id, user_id, anonymous_id, min(ts), NULL FROM identity_props GROUP BY ALL)
     SELECT source_id, user_id, anonymous_id, min(t) AS t, arg_min(_user_id, t) FILTER (WHERE _user_id IS NOT NULL)
       FROM k GROUP BY ALL ORDER BY t, source_id, user_id NULLS FIRST, anonymous_id NULLS FIRST`,
  );
  const units = unitsReader.getRows() as [string, string | null, string | null, bigint | number, string | null][];
  // Identifier values of every identity under the current model: what the batches recorded
  // (identity_values) and every value of a property that is an identifier now (identity_props),
  // normalized as the batches do (trimmed, lower case; ints are their decimal text).
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE rb_keys AS
       SELECT source_id, user_id, anonymous_id, property, value, min(first_seen) AS first_seen FROM (
         SELECT source_id, user_id, anonymous_id, property, value, first_seen FROM identity_values
          WHERE property IN (SELECT unnest($1::VARCHAR[]))
         UNION ALL
         SELECT source_id, user_id, anonymous_id, property, lower(trim(value)), make_timestamptz(ts * 1000) FROM identity_props
          WHERE property IN (SELECT unnest($1::VARCHAR[])))
      WHERE value <> '' GROUP BY ALL`,
    [listValue(rules.identifiers.length ? rules.identifiers : [''])],
  );
  const valuesReader = await conn.runAndReadAll(`SELECT source_id, user_id, anonymous_id, property, value FROM rb_keys ORDER BY first_seen`);
  const keysOf = new Map<string, { property: string; rank: number; value: string }[]>();
  for (const [s, u, a, property, value] of valuesReader.getRows() as [string, string | null, string | null, string, string][]) {
    const rank = rules.identifiers.indexOf(property) + 1;
    if (rank === 0 || rules.blocked.has(value)) continue;
    const k = `${s}${SEP}${u ?? ''}${SEP}${a ?? ''}`;
    let list = keysOf.get(k);
    if (!list) keysOf.set(k, (list = []));
    if (!list.some((x) => x.property === property && x.value === value)) list.push({ property, rank, value });
  }
  report({ phase: 'resolving', progress: 0.1, identities: units.length, users: 0 });

  // 2. The same resolver as the batches, anonymousIds scoped to their source.
  const events: AcceptedEvent[] = [];
  const unitOf: number[] = [];
  units.forEach(([s, u, a, t], i) => {
    const userId = usableId(u, rules);
    const anon = usableId(a, rules);
    if (userId === null && anon === null) return;
    const keys = (keysOf.get(`${s}${SEP}${u ?? ''}${SEP}${a ?? ''}`) ?? []).sort((x, y) => x.rank - y.rank);
    events.push({ seq: i, ts: Number(t), userId, anonymousId: anon === null ? null : `${s}${SEP}${anon}`, values: {}, keys });
    unitOf.push(i);
  });
  const res = resolveIdentities(events, { byUserId: new Map(), byAnonymousId: new Map() }, randomUUID);
  // Stable ids: each new user takes the old _id of its oldest unit that still has one free.
  const taken = new Set<string>();
  const finalId = new Map<string, string>();
  const byNew = new Map<string, string[]>();
  res.userOf.forEach((id, i) => {
    const old = units[unitOf[i]][4];
    let list = byNew.get(id);
    if (!list) byNew.set(id, (list = []));
    if (old) list.push(old);
  });
  for (const [id, olds] of byNew) {
    const pick = olds.find((o) => !taken.has(o));
    if (pick) taken.add(pick);
    finalId.set(id, pick ?? randomUUID());
  }
  report({ phase: 'writing', progress: 0.4, identities: units.length, users: finalId.size });

  // 3. Rewrite, set-based, in one transaction.
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE rb_units (source_id VARCHAR, user_id VARCHAR, anonymous_id VARCHAR, new_id VARCHAR)`);
    await appendTextRows(
      conn,
      'rb_units',
      res.userOf.map((id, i) => {
        const [s, u, a] = units[unitOf[i]];
        return [s, u, a, finalId.get(id)!];
      }),
    );
    const match = (t: string) =>
      // '' is never a userId/anonymousId (the log stores it as absent): a safe stand-in for NULL in join keys.
      `${t}.source_id = m.source_id AND coalesce(${t}.user_id, '') = coalesce(m.user_id, '') AND coalesce(${t}.anonymous_id, '') = coalesce(m.anonymous_id, '')`;
    const props = [...table.columns.keys()];
    const types = new Map(model.properties.map((p) => [p.name, p.type]));
    // Arrays are unioned (distinct elements, in order of first appearance in the log); every
    // other property takes its newest value (event time, then log position).
    const arrayProps = props.filter((p) => types.get(p) === 'array');
    const plainProps = props.filter((p) => types.get(p) !== 'array');
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE rb_values AS
         SELECT m.new_id, p.property, arg_max(p.value, p.ts::HUGEINT * 10000000000 + p.seq) AS value, max(p.ts) AS ts
           FROM identity_props AS p JOIN rb_units AS m ON ${match('p')}
          WHERE p.property IN (SELECT unnest($1::VARCHAR[]))
          GROUP BY ALL`,
      [listValue(plainProps.length ? plainProps : [''])],
    );
    if (arrayProps.length > 0) {
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE rb_arrays AS
           SELECT m.new_id, p.property, p.ts, p.seq, p.value
             FROM identity_props AS p JOIN rb_units AS m ON ${match('p')}
            WHERE p.property IN (SELECT unnest($1::VARCHAR[]))`,
        [listValue(arrayProps)],
      );
      await conn.run(
        `INSERT INTO rb_values
         SELECT new_id, property, CAST(to_json(list(el ORDER BY ord)) AS VARCHAR), max(ts) FROM (
           SELECT new_id, property, CAST(el AS VARCHAR) AS k, arg_min(el, ord) AS el, min(ord) AS ord, max(ts) AS ts FROM (
             SELECT r.new_id, r.property, r.ts, r.seq::HUGEINT * 1000000 + x.i AS ord, x.el
               FROM (SELECT *, CASE WHEN json_valid(value) THEN CAST(value AS JSON) END AS j FROM rb_arrays) AS r,
                    LATERAL (SELECT unnest(a) AS el, generate_subscripts(a, 1) AS i
                               FROM (SELECT CASE WHEN json_type(r.j) = 'ARRAY' THEN CAST(r.j AS JSON[]) END AS a)) AS x)
            WHERE el IS NOT NULL AND json_type(el) <> 'NULL'
            GROUP BY new_id, property, CAST(el AS VARCHAR))
          GROUP BY new_id, property`,
      );
    }
    report({ phase: 'writing', progress: 0.6, identities: units.length, users: finalId.size });
    // Every user is rewritten: _updated_at is the rebuild's time (caches of the users views see the change).
    await conn.run(`CREATE OR REPLACE TEMP TABLE rb_old AS SELECT _id, _created_at FROM users`);
    const cols = props.map((p) => `${castFromText(`max(v.value) FILTER (WHERE v.property = '${p.replace(/'/g, "''")}')`, table.columns.get(p)!, types.get(p))} AS ${q(p)}`);
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE rb_users AS
         SELECT n.new_id AS _id, coalesce(o._created_at, now()) AS _created_at, now() AS _updated_at${cols.length ? `, ${cols.join(', ')}` : ''}
           FROM (SELECT DISTINCT new_id FROM rb_units) AS n
           LEFT JOIN rb_values AS v ON v.new_id = n.new_id
           LEFT JOIN rb_old AS o ON o._id = n.new_id
          GROUP BY n.new_id, o._created_at`,
    );
    await conn.run(`DELETE FROM users`);
    const all = ['_id', '_created_at', '_updated_at', ...props].map(q).join(', ');
    await conn.run(`INSERT INTO users (${all}) SELECT ${all} FROM rb_users`);
    await conn.run(`DELETE FROM user_property_times`);
    await conn.run(
      `INSERT INTO user_property_times (_id, times)
       SELECT n.new_id, coalesce(t.times, '{}'::JSON)
         FROM (SELECT DISTINCT new_id FROM rb_units) AS n
         LEFT JOIN (SELECT new_id, CAST(json_group_object(property, ts) AS JSON) AS times FROM rb_values GROUP BY new_id) AS t ON t.new_id = n.new_id`,
    );
    report({ phase: 'writing', progress: 0.8, identities: units.length, users: finalId.size });
    await conn.run(`UPDATE user_identities AS i SET _user_id = m.new_id FROM rb_units AS m WHERE ${match('i')} AND i._user_id <> m.new_id`);
    await conn.run(`DELETE FROM identity_values`);
    await conn.run(
      `INSERT INTO identity_values (_user_id, property, value, source_id, user_id, anonymous_id, first_seen)
       SELECT m.new_id, k.property, k.value, k.source_id, k.user_id, k.anonymous_id, k.first_seen
         FROM rb_keys AS k JOIN rb_units AS m ON ${match('k')}
        WHERE k.value NOT IN (SELECT unnest($1::VARCHAR[]))`,
      [listValue([...rules.blocked, ''])],
    );
    // Old users that did not survive: recorded as merged into the new user of their oldest identity.
    const gone = new Map<string, string>();
    res.userOf.forEach((id, i) => {
      const old = units[unitOf[i]][4];
      if (old && !taken.has(old) && !gone.has(old)) gone.set(old, finalId.get(id)!);
    });
    if (gone.size > 0) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE rb_gone (from_id VARCHAR, into_id VARCHAR)`);
      await appendTextRows(conn, 'rb_gone', [...gone]);
      await conn.run(`INSERT INTO identity_merges (merged_at, from_id, into_id, source_id, via, value) SELECT now(), from_id, into_id, NULL, 'rebuild', NULL FROM rb_gone`);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return report({ phase: 'done', progress: 1, identities: units.length, users: finalId.size });
}

/** Seed identity_props from `users` for the users none of whose identities has any (idempotent). */
async function backfillProps(conn: DuckDBConnection, columns: Map<string, string>, types: Map<string, string>): Promise<void> {
  const props = [...columns.keys()];
  if (props.length === 0) return;
  // The text form the batches stage (stageText): JSON text for arrays and json, plain text otherwise.
  const text = (p: string) => {
    const t = columns.get(p)!;
    return /\[\]$/.test(t) || t === 'JSON' || types.get(p) === 'json' ? `CAST(to_json(u.${q(p)}) AS VARCHAR)` : `CAST(u.${q(p)} AS VARCHAR)`;
  };
  const unions = props
    .map(
      (p) => `SELECT u._id, '${p.replace(/'/g, "''")}' AS property, ${text(p)} AS value,
                     coalesce(TRY_CAST(json_extract_string(t.times, '$.' || '${p.replace(/'/g, "''")}') AS BIGINT), epoch_ms(u._updated_at)) AS ts
                FROM users AS u LEFT JOIN user_property_times AS t ON t._id = u._id
               WHERE u._id IN (SELECT _id FROM rb_legacy) AND u.${q(p)} IS NOT NULL`,
    )
    .join(' UNION ALL ');
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE rb_legacy AS
         SELECT i._user_id AS _id, arg_min(i.source_id, i.first_seen) AS source_id, arg_min(i.user_id, i.first_seen) AS user_id,
                arg_min(i.anonymous_id, i.first_seen) AS anonymous_id
           FROM user_identities AS i
          WHERE NOT EXISTS (SELECT 1 FROM identity_props AS p JOIN user_identities AS j
                              ON p.source_id = j.source_id AND coalesce(p.user_id, '') = coalesce(j.user_id, '') AND coalesce(p.anonymous_id, '') = coalesce(j.anonymous_id, '')
                             WHERE j._user_id = i._user_id)
          GROUP BY i._user_id`,
    );
    await conn.run(
      `INSERT INTO identity_props (source_id, user_id, anonymous_id, property, value, ts, seq)
       SELECT l.source_id, l.user_id, l.anonymous_id, v.property, v.value, v.ts, 0
         FROM (${unions}) AS v JOIN rb_legacy AS l ON l._id = v._id`,
    );
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
