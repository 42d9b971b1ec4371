import type { WarehouseMigration } from '../warehouse/migrations';

/**
 * `users` itself follows the Customer Model: it is created and migrated by core/model
 * (reconcileUsersTable at start-up, model.update afterwards), not by a fixed migration.
 *
 * `user_identities`: every identity a pipeline produced and the user it belongs to.
 * One row per (source_id, user_id, anonymous_id) seen; `_user_id` links to users._id.
 * The three ART indexes serve users.get (by _user_id) and the users.list search (exact
 * userId / anonymousId). DuckDB refuses DROP/RENAME COLUMN on a table with indexes
 * (ADD COLUMN works): drop the index first in a later migration if ever needed.
 * `users` has no index besides its primary key, so that model changes (ALTER) keep working.
 */
export const USERS_MIGRATIONS: WarehouseMigration[] = [
  {
    id: 'users-001-identities',
    sql: [
      `CREATE TABLE IF NOT EXISTS user_identities (
        _user_id     VARCHAR     NOT NULL,
        source_id    VARCHAR     NOT NULL,
        user_id      VARCHAR,
        anonymous_id VARCHAR,
        first_seen   TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_seen    TIMESTAMPTZ NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX IF NOT EXISTS user_identities_user ON user_identities (_user_id)`,
      `CREATE INDEX IF NOT EXISTS user_identities_user_id ON user_identities (user_id)`,
      `CREATE INDEX IF NOT EXISTS user_identities_anonymous_id ON user_identities (anonymous_id)`,
    ],
  },
];
