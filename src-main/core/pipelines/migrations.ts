import type { WarehouseMigration } from '../warehouse/migrations';

/**
 * The pipelines' own tables. The cursor lives in the warehouse (not in
 * workspace.json) so it commits in the same transaction as the users it wrote.
 */
export const PIPELINE_MIGRATIONS: WarehouseMigration[] = [
  {
    id: 'pipelines-001-state-metrics-errors',
    sql: [
      // One row per pipeline: the last event sequence number processed.
      `CREATE TABLE IF NOT EXISTS pipeline_state (
        pipeline_id VARCHAR PRIMARY KEY,
        cursor BIGINT NOT NULL DEFAULT 0,
        replay_until BIGINT,
        last_run_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`,
      // Counts per pipeline and minute (of processing).
      `CREATE TABLE IF NOT EXISTS pipeline_metrics (
        pipeline_id VARCHAR NOT NULL,
        minute TIMESTAMPTZ NOT NULL,
        received BIGINT NOT NULL DEFAULT 0,
        filtered_out BIGINT NOT NULL DEFAULT 0,
        transform_failed BIGINT NOT NULL DEFAULT 0,
        invalid_output BIGINT NOT NULL DEFAULT 0,
        users_created BIGINT NOT NULL DEFAULT 0,
        users_updated BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (pipeline_id, minute)
      )`,
      // Failed events grouped by message, with the last example.
      `CREATE TABLE IF NOT EXISTS pipeline_errors (
        pipeline_id VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        code VARCHAR NOT NULL,
        count BIGINT NOT NULL,
        first_at TIMESTAMPTZ NOT NULL,
        last_at TIMESTAMPTZ NOT NULL,
        last_message_id VARCHAR,
        last_seq BIGINT NOT NULL,
        PRIMARY KEY (pipeline_id, message)
      )`,
      // When each user property got its value (event timestamp, epoch ms), so
      // the newest non-null value wins whatever the order events are processed in.
      `CREATE TABLE IF NOT EXISTS user_property_times (
        _id VARCHAR PRIMARY KEY,
        times JSON NOT NULL
      )`,
    ],
  },
];
