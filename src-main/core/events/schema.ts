/**
 * The event log's tables in the warehouse (DuckDB). Applied in order by the
 * warehouse's migration runner, each once, recorded by id.
 *
 * Design notes (measured on this project's 2-core machines, see the report in
 * README.md, "Segment ingestion", its storage part):
 * - No ART index (PRIMARY KEY / UNIQUE / CREATE INDEX) on `events`: a UNIQUE
 *   index on (source_id, message_id) made `INSERT ... ON CONFLICT` cost seconds
 *   per commit at 400k rows and ran out of a 512 MB memory limit at 5M rows.
 *   Deduplication instead anti-joins each commit's candidates on
 *   `dedupe_key`, a 16-byte MD5 of (source_id, message_id), which scans 16
 *   bytes per stored event (about 10 ms per million events).
 * - `seq` is assigned by the single writer (createEventLog) and is strictly
 *   increasing in commit order, so `WHERE seq > cursor ORDER BY seq` never
 *   skips a row that commits later. Rows are appended in seq order, so DuckDB's
 *   zone maps make seq-range reads cheap without an index.
 * - Lookups by user_id / anonymous_id scan those two columns (dictionary/FSST
 *   compressed, zone maps per row group); see the README's storage note under "Segment ingestion".
 */
export interface EventsMigration {
  id: string;
  sql: string[];
}

export const EVENTS_MIGRATIONS: EventsMigration[] = [
  {
    id: 'events-001-log',
    sql: [
      `CREATE TABLE IF NOT EXISTS events (
        seq          BIGINT      NOT NULL,
        source_id    VARCHAR     NOT NULL,
        message_id   VARCHAR     NOT NULL,
        dedupe_key   UHUGEINT    NOT NULL,
        type         VARCHAR     NOT NULL,
        event        VARCHAR,
        user_id      VARCHAR,
        anonymous_id VARCHAR,
        "timestamp"  TIMESTAMPTZ NOT NULL,
        received_at  TIMESTAMPTZ NOT NULL,
        raw          JSON        NOT NULL
      )`,
      // Counters per source, updated in the same transaction as the events.
      `CREATE TABLE IF NOT EXISTS ingest_stats (
        source_id     VARCHAR PRIMARY KEY,
        received      BIGINT NOT NULL DEFAULT 0,
        accepted      BIGINT NOT NULL DEFAULT 0,
        rejected      BIGINT NOT NULL DEFAULT 0,
        duplicates    BIGINT NOT NULL DEFAULT 0,
        last_event_at TIMESTAMPTZ
      )`,
      // The most recent rejected events per source (pruned), so the debugger
      // shows them with their reason after a restart too.
      `CREATE TABLE IF NOT EXISTS events_rejected (
        id           BIGINT      NOT NULL,
        source_id    VARCHAR     NOT NULL,
        received_at  TIMESTAMPTZ NOT NULL,
        batch_index  INTEGER     NOT NULL,
        reason       VARCHAR     NOT NULL,
        type         VARCHAR,
        event        VARCHAR,
        user_id      VARCHAR,
        anonymous_id VARCHAR,
        message_id   VARCHAR,
        payload      VARCHAR     NOT NULL
      )`,
    ],
  },
  {
    id: 'events-002-journal',
    sql: [
      // How far the ingest journal (journal.ts) has been loaded into events, committed with them.
      `CREATE TABLE IF NOT EXISTS ingest_journal (
        id       INTEGER PRIMARY KEY,
        segment  BIGINT NOT NULL,
        "offset" BIGINT NOT NULL
      )`,
    ],
  },
];

/** The dedupe key as SQL over columns named source_id and message_id (same as dedupeKey() in log.ts). */
export const DEDUPE_KEY_SQL = `md5_number(concat(strlen(source_id), ':', source_id, message_id))`;
