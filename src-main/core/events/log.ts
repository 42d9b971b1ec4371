/**
 * The event log: durable, deduplicated, append-only storage of accepted
 * events in the warehouse's `events` table, with group commit. The ingest
 * route does not write here directly: requests are durable in the journal
 * (journal.ts) and the loader (loader.ts) brings them here with appendRows,
 * one batch per transaction, with the journal mark it reached.
 *
 * append() checks a request's events and encodes them at once, as UTF-8 rows
 * (on the caller's turn, while the writer may be busy with the previous
 * group), and queues them; one writer drains the queue. Each drain takes
 * everything pending (up to maxGroupEvents) and, in ONE transaction, hands the
 * group's rows to DuckDB as ONE parameter of a prepared INSERT ... SELECT,
 * which splits them, drops the events already in the log by an anti-join on
 * dedupe_key (repeats inside the group are dropped before, here), records
 * rejected events and the per-source counters, and COMMITs. Only then do the
 * requests' promises resolve. If anything fails, the transaction is rolled
 * back and every request of the group rejects with a StorageError: nothing of
 * them is stored.
 *
 * Why one parameter and not the appender: the appender costs one native call
 * per value on the JavaScript thread (about 5 µs per event, and the writer
 * waits for it); the rows cost one UTF-8 encoding per request, done before the
 * writer needs them, and the splitting runs on DuckDB's side.
 *
 * The queue is bounded (maxPendingEvents and maxPendingBytes, counting queued
 * and in-flight events): when full, append() rejects at once with
 * OverloadedError, which the ingest route answers with 503 + Retry-After.
 * Segment retries those.
 *
 * The connection is dedicated to the log; reads (recentBySource, stats) are
 * serialized with the writes on it.
 */
import { createHash } from 'node:crypto';
import { DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { LogClosedError, OverloadedError, StorageError } from './errors';
import type { JournalMark } from './journal';
import { encodeEvents, epochMs, ROW_SEP_BUF, ROW_SEP_BYTE, wellFormed, type EncodedRows } from './rows';
import { DEDUPE_KEY_SQL } from './schema';
import type { AppendEvent, AppendResult, EventStats, RejectedEvent, SampleEntry, SourceCounters } from './types';

export { LogClosedError, OverloadedError, StorageError } from './errors';

export interface CommitInfo {
  requests: number;
  events: number;
  rejected: number;
}

export interface EventLogOptions {
  /** Most events (accepted + rejected) queued or being written; beyond, append() rejects with OverloadedError. Default 50 000. */
  maxPendingEvents?: number;
  /**
   * Most bytes of encoded events queued or being written (events can be up to 32 KiB each, so a count
   * alone does not bound memory); beyond, append() rejects with OverloadedError. Default 64 MiB.
   */
  maxPendingBytes?: number;
  /** Most events one commit takes from the queue (a larger single request still goes alone). Default 20 000. */
  maxGroupEvents?: number;
  /** Retry-After advertised with OverloadedError, seconds. Default 5. */
  retryAfterSeconds?: number;
  /** Rejected events kept per source for the debugger (older ones are pruned). Default 100. */
  keepRejectedPerSource?: number;
  /**
   * Called inside the group's transaction after every write, before COMMIT;
   * throwing aborts the group (fault injection in tests, metrics).
   */
  beforeCommit?: (info: CommitInfo) => void | Promise<void>;
}

export interface EventLogMetrics {
  /** Successful commits (groups). */
  commits: number;
  /** Groups that failed and were rolled back. */
  failedCommits: number;
  /** Requests committed. */
  requests: number;
  /** Events stored. */
  stored: number;
  duplicates: number;
  rejected: number;
  /** Requests refused with OverloadedError. */
  overloaded: number;
  /** Largest number of requests in one commit. */
  maxGroupRequests: number;
  /** Time spent writing groups (BEGIN..COMMIT), ms, and its parts. */
  writeMs: number;
  stageMs: number;
  insertMs: number;
  commitMs: number;
  lastError: string | null;
}

export interface EventLog {
  /**
   * Store a request's accepted events (and record its rejected ones) durably.
   * Resolves after COMMIT. Rejects with OverloadedError (queue full, at once),
   * LogClosedError (after close()) or StorageError (the group's transaction failed).
   */
  append(sourceId: string, events: readonly AppendEvent[], rejected?: readonly RejectedEvent[]): Promise<AppendResult>;
  /**
   * The same, for rows encoded elsewhere (the journal's loader); `mark` is stored as the journal's
   * loaded position in the same transaction.
   */
  appendRows(sourceId: string, rows: EncodedRows, rejected?: readonly RejectedEvent[], mark?: JournalMark): Promise<AppendResult>;
  /** Where the journal was loaded up to (committed with the events), or null. */
  journalMark(): Promise<JournalMark | null>;
  /** The most recent entries of a source (accepted events and rejected ones), newest first. */
  recentBySource(sourceId: string, limit: number): Promise<SampleEntry[]>;
  /** Sources that ever sent events (have counters). */
  sourceIds(): string[];
  /** Counters of a source, from memory (persisted in ingest_stats with each commit). */
  counters(sourceId: string): SourceCounters;
  /** Counters plus events accepted since local midnight (one query). */
  stats(sourceId: string, now?: Date): Promise<EventStats>;
  metrics(): EventLogMetrics;
  /** Events queued or being written. */
  readonly pendingEvents: number;
  /** Resolves when everything appended so far is committed (or failed). */
  flush(): Promise<void>;
  /** Refuse new appends (LogClosedError) and flush. The connection stays open (its owner closes it). */
  close(): Promise<void>;
}

interface Pending {
  sourceId: string;
  /** The messageId of each event. */
  ids: string[];
  /** The events' rows (see encodeRow) as UTF-8, separated by U+001E, encoded off the writer's path. */
  data: Uint8Array;
  /** The journal position this request ends at, recorded in the same transaction (journaled requests). */
  mark?: JournalMark;
  rejected: readonly RejectedEvent[];
  size: number;
  /** Epoch ms of the newest receivedAt of the request (events and rejected), or -Infinity. */
  lastMs: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const field = (i: number, nullable: boolean) => {
  const plain = nullable ? `nullif(p[${i + 1}], '')` : `p[${i + 1}]`;
  return `CASE WHEN p[9] = '' THEN ${plain} ELSE json_extract_string(p[9], '$[${i}]') END`;
};

/**
 * $1: the group's rows (UTF-8), $2: the seq of its first row (row n gets $2 + n), $3: its number of rows.
 * Rows already in the log are skipped. Rows that do not split into exactly $3 rows of 10 fields fail
 * the statement (append() never builds such rows).
 */
const INSERT_SQL = `INSERT INTO events (seq, source_id, message_id, dedupe_key, type, event, user_id, anonymous_id, "timestamp", received_at, raw)
SELECT s.seq, s.source_id, s.message_id, s.dedupe_key, s.type, s.event, s.user_id, s.anonymous_id, s."timestamp", s.received_at, s.raw
FROM (
  SELECT seq, source_id, message_id, ${DEDUPE_KEY_SQL} AS dedupe_key, type, event, user_id, anonymous_id, "timestamp", received_at, raw
  FROM (
    SELECT $2::BIGINT + ord AS seq,
      ${field(0, false)} AS source_id,
      ${field(1, false)} AS message_id,
      ${field(2, false)} AS type,
      ${field(3, true)} AS event,
      ${field(4, true)} AS user_id,
      ${field(5, true)} AS anonymous_id,
      make_timestamptz(CAST(p[7] AS BIGINT) * 1000) AS "timestamp",
      make_timestamptz(CAST(p[8] AS BIGINT) * 1000) AS received_at,
      CASE WHEN len(p) = 10 AND n = $3::BIGINT THEN p[10] ELSE error('malformed group of events') END AS raw
    FROM (
      SELECT ord, n, string_split(line, chr(31)) AS p
      FROM (SELECT unnest(l) AS line, unnest(range(len(l))) AS ord, len(l) AS n FROM (SELECT string_split(decode($1::BLOB), chr(30)) AS l))
    )
  )
) s
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.dedupe_key = s.dedupe_key)
ORDER BY s.seq`;

const STATS_SQL = `INSERT INTO ingest_stats (source_id, received, accepted, rejected, duplicates, last_event_at)
VALUES ($1, $2, $3, $4, $5, make_timestamptz($6::BIGINT * 1000))
ON CONFLICT (source_id) DO UPDATE SET
  received = ingest_stats.received + excluded.received,
  accepted = ingest_stats.accepted + excluded.accepted,
  rejected = ingest_stats.rejected + excluded.rejected,
  duplicates = ingest_stats.duplicates + excluded.duplicates,
  last_event_at = greatest(ingest_stats.last_event_at, excluded.last_event_at)`;

/**
 * The dedupe key of (sourceId, messageId) as DuckDB computes it (DEDUPE_KEY_SQL):
 * MD5 of `<byte length of sourceId>:<sourceId><messageId>`, read as a little-endian 128-bit integer.
 */
export function dedupeKey(sourceId: string, messageId: string): bigint {
  const d = createHash('md5').update(`${Buffer.byteLength(sourceId)}:${sourceId}${messageId}`).digest();
  return d.readBigUInt64LE(0) + (d.readBigUInt64LE(8) << 64n);
}

const compareMarks = (a: JournalMark, b: JournalMark) => a.segment - b.segment || a.offset - b.offset;

const zero = (): SourceCounters => ({ received: 0, accepted: 0, rejected: 0, duplicates: 0, lastEventAt: null });

function appendNullable(a: DuckDBAppender, v: string | null | undefined) {
  if (v === null || v === undefined) a.appendNull();
  else a.appendVarchar(v);
}

/** Open the event log on a connection dedicated to it. The events migrations must have been applied. */
export async function createEventLog(connection: DuckDBConnection, opts: EventLogOptions = {}): Promise<EventLog> {
  const maxPending = opts.maxPendingEvents ?? 50_000;
  const maxPendingBytes = opts.maxPendingBytes ?? 64 * 1024 * 1024;
  const maxGroup = opts.maxGroupEvents ?? 20_000;
  const retryAfter = opts.retryAfterSeconds ?? 5;
  const keepRejected = opts.keepRejectedPerSource ?? 100;
  const conn = connection;

  // ---- the connection is used by one thing at a time
  let lock: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  }

  // The staging table of earlier versions is no longer used.
  await conn.run(`DROP TABLE IF EXISTS temp.main.events_staging`);
  const counters = new Map<string, SourceCounters>();
  for (const r of (await conn.runAndReadAll(`SELECT source_id, received, accepted, rejected, duplicates, epoch_ms(last_event_at) FROM ingest_stats`)).getRows()) {
    counters.set(String(r[0]), {
      received: Number(r[1]),
      accepted: Number(r[2]),
      rejected: Number(r[3]),
      duplicates: Number(r[4]),
      lastEventAt: r[5] === null ? null : new Date(Number(r[5])).toISOString(),
    });
  }
  const maxRow = (await conn.runAndReadAll(`SELECT (SELECT coalesce(max(seq), 0) FROM events), (SELECT coalesce(max(id), 0) FROM events_rejected)`)).getRows()[0];
  let nextSeq = Number(maxRow[0]) + 1;
  let nextRejectedId = Number(maxRow[1]) + 1;
  await pruneRejected();
  let rejectedSincePrune = 0;

  const metrics: EventLogMetrics = {
    commits: 0,
    failedCommits: 0,
    requests: 0,
    stored: 0,
    duplicates: 0,
    rejected: 0,
    overloaded: 0,
    maxGroupRequests: 0,
    writeMs: 0,
    stageMs: 0,
    insertMs: 0,
    commitMs: 0,
    lastError: null,
  };

  let queue: Pending[] = [];
  let queuedEvents = 0;
  let inflightEvents = 0;
  let pendingBytes = 0;
  let writerRunning = false;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  async function pruneRejected() {
    await conn.run(
      `DELETE FROM events_rejected WHERE id IN (
         SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY source_id ORDER BY id DESC) AS rn FROM events_rejected) WHERE rn > $1)`,
      [keepRejected],
    );
  }

  function append(sourceId: string, events: readonly AppendEvent[], rejected: readonly RejectedEvent[] = []): Promise<AppendResult> {
    if (closed) return Promise.reject(new LogClosedError(retryAfter));
    let rows: EncodedRows;
    try {
      // UTF-8 now, while the writer may be busy: the writer then only concatenates the requests' bytes.
      rows = encodeEvents(sourceId, events, rejected);
    } catch (err) {
      return Promise.reject(err);
    }
    // The bounds protect memory from callers that append directly; the journal's loader bounds its own batches
    // (a refusal of part of a loader batch would make it retry that batch for ever).
    const size = rows.ids.length + rejected.length;
    const pending = queuedEvents + inflightEvents;
    if (pending > 0 && pending + size > maxPending) {
      metrics.overloaded++;
      return Promise.reject(
        new OverloadedError(`The event log is busy: ${pending} events are waiting to be stored (limit ${maxPending}). Retry later.`, retryAfter),
      );
    }
    if (pendingBytes > 0 && pendingBytes + rows.data.length > maxPendingBytes) {
      metrics.overloaded++;
      return Promise.reject(
        new OverloadedError(`The event log is busy: ${Math.round(pendingBytes / 1048576)} MiB of events are waiting to be stored. Retry later.`, retryAfter),
      );
    }
    return enqueue(sourceId, rows, rejected, size);
  }

  function appendRows(sourceId: string, rows: EncodedRows, rejected: readonly RejectedEvent[] = [], mark?: JournalMark): Promise<AppendResult> {
    if (closed) return Promise.reject(new LogClosedError(retryAfter));
    const size = rows.ids.length + rejected.length;
    return enqueue(sourceId, rows, rejected, size, mark);
  }

  function enqueue(sourceId: string, rows: EncodedRows, rejected: readonly RejectedEvent[], size: number, mark?: JournalMark): Promise<AppendResult> {
    const { ids, data, lastMs } = rows;
    return new Promise<AppendResult>((resolve, reject) => {
      queue.push({ sourceId, ids, data, rejected, size, lastMs, mark, resolve, reject });
      queuedEvents += size;
      pendingBytes += data.length;
      if (!writerRunning) {
        writerRunning = true;
        // Let requests arriving in the same turn of the event loop join the first group.
        setImmediate(() => void runWriter().catch(() => undefined));
      }
    });
  }

  async function runWriter() {
    try {
      while (queue.length > 0) {
        let take = 0;
        let events = 0;
        while (take < queue.length && (take === 0 || events + queue[take].size <= maxGroup)) {
          events += queue[take].size;
          take++;
        }
        const group = queue.slice(0, take);
        queue = queue.slice(take);
        queuedEvents -= events;
        inflightEvents += events;
        let released = false;
        // Called before the group's requests are answered, so that an answered client finds room at once.
        const release = () => {
          if (released) return;
          released = true;
          inflightEvents -= events;
          for (const p of group) pendingBytes -= p.data.length;
        };
        try {
          await exclusive(() => writeGroup(group, release));
        } catch (err) {
          // writeGroup settles its requests itself; this is a safety net (a promise settles once).
          release();
          for (const p of group) p.reject(new StorageError(`The events could not be stored: ${(err as Error)?.message ?? err}`, { cause: err }));
        } finally {
          release();
        }
        if (rejectedSincePrune >= Math.max(1000, keepRejected * 10)) {
          rejectedSincePrune = 0;
          await exclusive(pruneRejected).catch(() => undefined);
        }
      }
    } finally {
      writerRunning = false;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  // Prepared once, on first use (and again after a failure: the table may have changed).
  let insertStmt: DuckDBPreparedStatement | null = null;
  let statsStmt: DuckDBPreparedStatement | null = null;
  function dropStatements() {
    for (const st of [insertStmt, statsStmt]) {
      try {
        st?.destroySync();
      } catch {
        /* already gone */
      }
    }
    insertStmt = null;
    statsStmt = null;
  }

  async function writeGroup(group: Pending[], release: () => void) {
    const started = performance.now();
    // Sequence numbers and in-group duplicates are decided here, before any write:
    // row n of the group string gets seq seqBase + n; repeats of a (source, messageId) already in the group are not sent.
    const seqBase = nextSeq;
    let ord = 0;
    const seen = new Map<string, Set<string>>();
    const seqs: (number | null)[][] = new Array(group.length);
    const rejectedIds: number[][] = new Array(group.length);
    const parts: Uint8Array[] = [];
    let rid = nextRejectedId;
    let rejectedCount = 0;
    for (let g = 0; g < group.length; g++) {
      const p = group[g];
      const source = wellFormed(p.sourceId);
      let ids = seen.get(source);
      if (!ids) seen.set(source, (ids = new Set()));
      const out = new Array<number | null>(p.ids.length);
      let repeats = false;
      for (let i = 0; i < p.ids.length; i++) {
        const id = p.ids[i];
        if (ids.has(id)) {
          out[i] = null;
          repeats = true;
          continue;
        }
        ids.add(id);
        out[i] = seqBase + ord++;
      }
      seqs[g] = out;
      if (!repeats) {
        if (p.ids.length > 0) {
          if (parts.length > 0) parts.push(ROW_SEP_BUF);
          parts.push(p.data);
        }
      } else {
        // Rare: keep the rows of the events that are not repeats.
        let start = 0;
        for (let i = 0; i < out.length; i++) {
          let end = p.data.indexOf(ROW_SEP_BYTE, start);
          if (end < 0) end = p.data.length;
          if (out[i] !== null) {
            if (parts.length > 0) parts.push(ROW_SEP_BUF);
            parts.push(p.data.subarray(start, end));
          }
          start = end + 1;
        }
      }
      const rids = new Array<number>(p.rejected.length);
      for (let i = 0; i < p.rejected.length; i++) rids[i] = rid++;
      rejectedIds[g] = rids;
      rejectedCount += p.rejected.length;
    }
    let allStored = true;
    const stored = new Set<number>();
    const isStored = (s: number | null) => s !== null && (allStored || stored.has(s));
    const deltas = new Map<string, SourceCounters & { lastMs: number }>();
    let begun = false;
    try {
      await conn.run('BEGIN TRANSACTION');
      begun = true;
      if (ord > 0) {
        insertStmt ??= await conn.prepare(INSERT_SQL);
        insertStmt.bindBlob(1, parts.length === 1 ? parts[0] : Buffer.concat(parts));
        insertStmt.bindBigInt(2, BigInt(seqBase));
        insertStmt.bindBigInt(3, BigInt(ord));
        const t1 = performance.now();
        metrics.stageMs += t1 - started;
        const inserted = (await insertStmt.run()).rowsChanged;
        if (inserted !== ord) {
          // Some were already in the log: which ones (inside the transaction, it sees its own rows).
          allStored = false;
          const res = await conn.runAndReadAll(`SELECT seq FROM events WHERE seq >= $1 AND seq < $2`, [seqBase, seqBase + ord]);
          for (const row of res.getRows()) stored.add(Number(row[0]));
        }
        metrics.insertMs += performance.now() - t1;
      }
      if (rejectedCount > 0) {
        const a = await conn.createAppender('events_rejected');
        try {
          for (let g = 0; g < group.length; g++) {
            const p = group[g];
            for (let i = 0; i < p.rejected.length; i++) {
              const r = p.rejected[i];
              a.appendBigInt(BigInt(rejectedIds[g][i]));
              a.appendVarchar(p.sourceId);
              a.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(epochMs(r.receivedAt, 'receivedAt')) * 1000n));
              a.appendInteger(r.index);
              a.appendVarchar(r.reason);
              appendNullable(a, r.type);
              appendNullable(a, r.event);
              appendNullable(a, r.userId);
              appendNullable(a, r.anonymousId);
              appendNullable(a, r.messageId);
              a.appendVarchar(r.payload);
              a.endRow();
            }
          }
        } finally {
          a.closeSync();
        }
      }
      // Counters: one upsert per source of the group.
      for (let g = 0; g < group.length; g++) {
        const p = group[g];
        let d = deltas.get(p.sourceId);
        if (!d) deltas.set(p.sourceId, (d = { ...zero(), lastMs: -Infinity }));
        let accepted = 0;
        for (const s of seqs[g]) if (isStored(s)) accepted++;
        d.received += p.ids.length + p.rejected.length;
        d.accepted += accepted;
        d.duplicates += p.ids.length - accepted;
        d.rejected += p.rejected.length;
        if (p.lastMs > d.lastMs) d.lastMs = p.lastMs;
      }
      statsStmt ??= await conn.prepare(STATS_SQL);
      for (const [sourceId, d] of deltas) {
        d.lastEventAt = Number.isFinite(d.lastMs) ? new Date(d.lastMs).toISOString() : null;
        statsStmt.bindVarchar(1, sourceId);
        statsStmt.bindBigInt(2, BigInt(d.received));
        statsStmt.bindBigInt(3, BigInt(d.accepted));
        statsStmt.bindBigInt(4, BigInt(d.rejected));
        statsStmt.bindBigInt(5, BigInt(d.duplicates));
        if (Number.isFinite(d.lastMs)) statsStmt.bindBigInt(6, BigInt(d.lastMs));
        else statsStmt.bindNull(6);
        await statsStmt.run();
      }
      let mark: JournalMark | undefined;
      for (const p of group) if (p.mark && (!mark || compareMarks(p.mark, mark) > 0)) mark = p.mark;
      if (mark) {
        await conn.run(
          `INSERT INTO ingest_journal (id, segment, "offset") VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET segment = excluded.segment, "offset" = excluded."offset"`,
          [mark.segment, mark.offset],
        );
      }
      if (opts.beforeCommit) await opts.beforeCommit({ requests: group.length, events: ord, rejected: rejectedCount });
      const t2 = performance.now();
      await conn.run('COMMIT');
      metrics.commitMs += performance.now() - t2;
    } catch (err) {
      if (begun) await conn.run('ROLLBACK').catch(() => undefined);
      dropStatements();
      metrics.failedCommits++;
      metrics.lastError = (err as Error)?.message ?? String(err);
      metrics.writeMs += performance.now() - started;
      const failure = new StorageError(`The events could not be stored: ${metrics.lastError}`, { cause: err });
      release();
      for (const p of group) p.reject(failure);
      return;
    }
    // Committed.
    nextSeq = seqBase + ord;
    nextRejectedId = rid;
    rejectedSincePrune += rejectedCount;
    for (const [sourceId, d] of deltas) {
      const c = counters.get(sourceId) ?? zero();
      c.received += d.received;
      c.accepted += d.accepted;
      c.rejected += d.rejected;
      c.duplicates += d.duplicates;
      if (d.lastEventAt && (!c.lastEventAt || d.lastEventAt > c.lastEventAt)) c.lastEventAt = d.lastEventAt;
      counters.set(sourceId, c);
    }
    metrics.commits++;
    metrics.requests += group.length;
    metrics.maxGroupRequests = Math.max(metrics.maxGroupRequests, group.length);
    metrics.rejected += rejectedCount;
    metrics.writeMs += performance.now() - started;
    release();
    for (let g = 0; g < group.length; g++) {
      const p = group[g];
      const out = seqs[g];
      let storedHere = 0;
      for (let i = 0; i < out.length; i++) {
        if (isStored(out[i])) storedHere++;
        else out[i] = null;
      }
      metrics.stored += storedHere;
      metrics.duplicates += out.length - storedHere;
      p.resolve({ stored: storedHere, duplicates: out.length - storedHere, seqs: out, rejectedIds: rejectedIds[g] });
    }
  }

  async function recentBySource(sourceId: string, limit: number): Promise<SampleEntry[]> {
    const n = Math.max(0, Math.min(1000, Math.floor(limit)));
    if (n === 0) return [];
    return exclusive(async () => {
      const acc = (
        await conn.runAndReadAll(
          `SELECT seq, epoch_ms(received_at), type, event, user_id, anonymous_id, message_id, CAST(raw AS VARCHAR)
             FROM events WHERE source_id = $1 ORDER BY seq DESC LIMIT $2`,
          [sourceId, n],
        )
      ).getRows();
      const rej = (
        await conn.runAndReadAll(
          `SELECT id, epoch_ms(received_at), type, event, user_id, anonymous_id, message_id, reason, payload
             FROM events_rejected WHERE source_id = $1 ORDER BY id DESC LIMIT $2`,
          [sourceId, n],
        )
      ).getRows();
      const entries: { at: number; e: SampleEntry }[] = [];
      for (const r of acc) {
        let payload: unknown;
        try {
          payload = JSON.parse(r[7] as string);
        } catch {
          payload = r[7];
        }
        entries.push({
          at: Number(r[1]),
          e: {
            id: `e${Number(r[0])}`,
            sourceId,
            receivedAt: new Date(Number(r[1])).toISOString(),
            type: r[2] as string,
            event: (r[3] as string | null) ?? null,
            userId: (r[4] as string | null) ?? null,
            anonymousId: (r[5] as string | null) ?? null,
            messageId: r[6] as string,
            status: 'accepted',
            payload,
          },
        });
      }
      for (const r of rej) {
        let payload: unknown;
        try {
          payload = JSON.parse(r[8] as string);
        } catch {
          payload = r[8];
        }
        entries.push({
          at: Number(r[1]),
          e: {
            id: `r${Number(r[0])}`,
            sourceId,
            receivedAt: new Date(Number(r[1])).toISOString(),
            type: (r[2] as string | null) ?? null,
            event: (r[3] as string | null) ?? null,
            userId: (r[4] as string | null) ?? null,
            anonymousId: (r[5] as string | null) ?? null,
            messageId: (r[6] as string | null) ?? null,
            status: 'rejected',
            reason: r[7] as string,
            payload,
          },
        });
      }
      // Newest first; the sort is stable, so each kind keeps its own newest-first order on ties.
      entries.sort((x, y) => y.at - x.at);
      return entries.slice(0, n).map((x) => x.e);
    });
  }

  async function stats(sourceId: string, now = new Date()): Promise<EventStats> {
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const today = await exclusive(async () => {
      const r = await conn.runAndReadAll(`SELECT count(*) FROM events WHERE source_id = $1 AND received_at >= $2`, [
        sourceId,
        new DuckDBTimestampTZValue(BigInt(midnight.getTime()) * 1000n),
      ]);
      return Number(r.getRows()[0][0]);
    });
    return { ...counters_(sourceId), today };
  }

  function counters_(sourceId: string): SourceCounters {
    return { ...(counters.get(sourceId) ?? zero()) };
  }

  function flush(): Promise<void> {
    if (!writerRunning && queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    append,
    appendRows,
    journalMark: () =>
      exclusive(async () => {
        const r = (await conn.runAndReadAll(`SELECT segment, "offset" FROM ingest_journal WHERE id = 1`)).getRows()[0];
        return r ? { segment: Number(r[0]), offset: Number(r[1]) } : null;
      }),
    recentBySource,
    sourceIds: () => [...counters.keys()],
    counters: counters_,
    stats,
    metrics: () => ({ ...metrics }),
    get pendingEvents() {
      return queuedEvents + inflightEvents;
    },
    flush,
    async close() {
      closed = true;
      await flush();
      dropStatements();
    },
  };
}
