import type { WarehouseMigration } from '../warehouse/migrations';

/**
 * Identity resolution's tables (additive: nothing of users/user_identities changes).
 *
 * `identity_values`: the normalized identifier property values each user holds, with the
 * identity (source, userId, anonymousId) that brought each one. Looked up by (property, value)
 * for every batch, and read by identity.explain. No index: DuckDB scans it with a hash join
 * per batch, and updates of `_user_id` on merges stay cheap.
 *
 * `identity_merges`: one row per user merged into another (what happened, when, through which
 * shared value). `from_id` no longer exists afterwards; `into_id` is the surviving user.
 *
 * `identity_settings`: key/value (JSON) settings of identity resolution (blocked values).
 *
 * `identity_props`: see identity-002.
 */
export const IDENTITY_MIGRATIONS: WarehouseMigration[] = [
  {
    id: 'identity-001-values-merges-settings',
    sql: [
      `CREATE TABLE IF NOT EXISTS identity_values (
        _user_id     VARCHAR NOT NULL,
        property     VARCHAR NOT NULL,
        value        VARCHAR NOT NULL,
        source_id    VARCHAR NOT NULL,
        user_id      VARCHAR,
        anonymous_id VARCHAR,
        first_seen   TIMESTAMPTZ NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS identity_merges (
        merged_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        from_id    VARCHAR NOT NULL,
        into_id    VARCHAR NOT NULL,
        source_id  VARCHAR,
        via        VARCHAR NOT NULL,
        value      VARCHAR
      )`,
      `CREATE TABLE IF NOT EXISTS identity_settings (key VARCHAR PRIMARY KEY, value JSON NOT NULL)`,
    ],
  },
  {
    // Per identity (source, userId, anonymousId as the event carried them) and property: the
    // newest value of each batch (text form, event time, log position). Append-only; what
    // "Rebuild users" recomputes every user's properties from.
    id: 'identity-002-props',
    sql: [
      `CREATE TABLE IF NOT EXISTS identity_props (
        source_id    VARCHAR NOT NULL,
        user_id      VARCHAR,
        anonymous_id VARCHAR,
        property     VARCHAR NOT NULL,
        value        VARCHAR NOT NULL,
        ts           BIGINT  NOT NULL,
        seq          BIGINT  NOT NULL
      )`,
    ],
  },
];
