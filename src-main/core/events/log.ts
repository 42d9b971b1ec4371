/**
 * The event log: durable, deduplicated, append-only storage of accepted
 * events in the warehouse's `events` table, with group commit.
 *
 * append() queues a request; one writer drains the queue. Each drain takes
 * everything pending (up to maxGroupEvents) and, in ONE transaction, appends
 * it through DuckDB's appender into a per-connection staging table, inserts
 * the events not already in the log with one set-based INSERT (duplicates in
 * the group are dropped before, duplicates already stored by the anti-join on
 * dedupe_key), records rejected events and the per-source counters, and
 * COMMITs. Only then do the requests' promises resolve. If anything fails,
 * the transaction is rolled back and every request of the group rejects with
 * a StorageError: nothing of them is stored.
 *
 * The queue is bounded (maxPendingEvents, counting queued and in-flight
 * events): when full, append() rejects at once with OverloadedError, which the
 * ingest route answers with 503 + Retry-After. Segment retries those.
 *
 * The connection is dedicated to the log (its temp staging table lives on it);
 * reads (recentBySource, stats) are serialized with the writes on it.
 */
import { createHash } from 'node:crypto';
import { DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { DEDUPE_KEY_SQL } from './schema';
import type { AppendEvent, AppendResult, EventStats, RejectedEvent, SampleEntry, SourceCounters } from './types';

export class OverloadedError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'OverloadedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class LogClosedError extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('The event log is closing');
    this.name = 'LogClosedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export interface CommitInfo {
  requests: number;
  events: number;
  rejected: number;
}

export interface EventLogOptions {
  /** Most events (accepted + rejected) queued or being written; beyond, append() rejects with OverloadedError. Default 50 000. */
  maxPendingEvents?: number;
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
  events: readonly AppendEvent[];
  rejected: readonly RejectedEvent[];
  size: number;
  micros: { ts: DuckDBTimestampTZValue; rec: DuckDBTimestampTZValue }[];
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const STAGING = 'events_staging';

const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (
  seq BIGINT, source_id VARCHAR, message_id VARCHAR, type VARCHAR, event VARCHAR,
  user_id VARCHAR, anonymous_id VARCHAR, "timestamp" TIMESTAMPTZ, received_at TIMESTAMPTZ, raw VARCHAR
)`;

const INSERT_SQL = `INSERT INTO events (seq, source_id, message_id, dedupe_key, type, event, user_id, anonymous_id, "timestamp", received_at, raw)
SELECT s.seq, s.source_id, s.message_id, s.dedupe_key, s.type, s.event, s.user_id, s.anonymous_id, s."timestamp", s.received_at, s.raw
FROM (SELECT *, ${DEDUPE_KEY_SQL} AS dedupe_key FROM temp.main.${STAGING}) s
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.dedupe_key = s.dedupe_key)
ORDER BY s.seq
RETURNING seq`;

/**
 * The dedupe key of (sourceId, messageId) as DuckDB computes it (DEDUPE_KEY_SQL):
 * MD5 of `<byte length of sourceId>:<sourceId><messageId>`, read as a little-endian 128-bit integer.
 */
export function dedupeKey(sourceId: string, messageId: string): bigint {
  const d = createHash('md5').update(`${Buffer.byteLength(sourceId)}:${sourceId}${messageId}`).digest();
  return d.readBigUInt64LE(0) + (d.readBigUInt64LE(8) << 64n);
}

function isoMicros(iso: string, what: string): DuckDBTimestampTZValue {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new TypeError(`${what} is not a valid date: ${iso}`);
  return new DuckDBTimestampTZValue(BigInt(ms) * 1000n);
}

const zero = (): SourceCounters => ({ received: 0, accepted: 0, rejected: 0, duplicates: 0, lastEventAt: null });

function appendNullable(a: DuckDBAppender, v: string | null | undefined) {
  if (v === null || v === undefined) a.appendNull();
  else a.appendVarchar(v);
}

/** Open the event log on a connection dedicated to it. The events migrations must have been applied. */
export async function createEventLog(connection: DuckDBConnection, opts: EventLogOptions = {}): Promise<EventLog> {
  const maxPending = opts.maxPendingEvents ?? 50_000;
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

  await conn.run(STAGING_DDL);
  await conn.run(`DELETE FROM temp.main.${STAGING}`);
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
    const size = events.length + rejected.length;
    const pending = queuedEvents + inflightEvents;
    if (pending > 0 && pending + size > maxPending) {
      metrics.overloaded++;
      return Promise.reject(
        new OverloadedError(`The event log is busy: ${pending} events are waiting to be stored (limit ${maxPending}). Retry later.`, retryAfter),
      );
    }
    let micros: Pending['micros'];
    try {
      if (typeof sourceId !== 'string' || sourceId === '') throw new TypeError('sourceId is required');
      micros = events.map((e) => {
        if (typeof e.messageId !== 'string' || e.messageId === '') throw new TypeError('messageId is required');
        if (typeof e.raw !== 'string') throw new TypeError('raw is required');
        return { ts: isoMicros(e.timestamp, 'timestamp'), rec: isoMicros(e.receivedAt, 'receivedAt') };
      });
      for (const r of rejected) isoMicros(r.receivedAt, 'receivedAt');
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      queue.push({ sourceId, events, rejected, size, micros, resolve, reject });
      queuedEvents += size;
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
        try {
          await exclusive(() => writeGroup(group));
        } catch (err) {
          // writeGroup settles its requests itself; this is a safety net (a promise settles once).
          for (const p of group) p.reject(new StorageError(`The events could not be stored: ${(err as Error)?.message ?? err}`, { cause: err }));
        } finally {
          inflightEvents -= events;
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

  async function writeGroup(group: Pending[]) {
    const started = performance.now();
    // Sequence numbers and in-group duplicates are decided here, before any write.
    const seqBase = nextSeq;
    let ord = 0;
    const seen = new Set<string>();
    const seqs: (number | null)[][] = group.map((p) => new Array<number | null>(p.events.length).fill(null));
    const rejectedIds: number[][] = group.map((p) => p.rejected.map(() => 0));
    let rid = nextRejectedId;
    let rejectedCount = 0;
    for (let g = 0; g < group.length; g++) {
      const p = group[g];
      for (let i = 0; i < p.events.length; i++) {
        const key = `${p.sourceId}\u0000${p.events[i].messageId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        seqs[g][i] = seqBase + ord++;
      }
      for (let i = 0; i < p.rejected.length; i++) rejectedIds[g][i] = rid++;
      rejectedCount += p.rejected.length;
    }
    const stored = new Set<number>();
    const deltas = new Map<string, SourceCounters>();
    let begun = false;
    try {
      await conn.run('BEGIN TRANSACTION');
      begun = true;
      if (ord > 0) {
        const a = await conn.createAppender(STAGING, 'main', 'temp');
        try {
          for (let g = 0; g < group.length; g++) {
            const p = group[g];
            for (let i = 0; i < p.events.length; i++) {
              const seq = seqs[g][i];
              if (seq === null) continue;
              const e = p.events[i];
              a.appendBigInt(BigInt(seq));
              a.appendVarchar(p.sourceId);
              a.appendVarchar(e.messageId);
              a.appendVarchar(e.type);
              appendNullable(a, e.event);
              appendNullable(a, e.userId);
              appendNullable(a, e.anonymousId);
              a.appendTimestampTZ(p.micros[i].ts);
              a.appendTimestampTZ(p.micros[i].rec);
              a.appendVarchar(e.raw);
              a.endRow();
            }
          }
        } finally {
          a.closeSync(); // flushes into the staging table, inside the transaction
        }
        const t1 = performance.now();
        metrics.stageMs += t1 - started;
        const res = await conn.runAndReadAll(INSERT_SQL);
        for (const row of res.getRows()) stored.add(Number(row[0]));
        await conn.run(`DELETE FROM temp.main.${STAGING}`);
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
              a.appendTimestampTZ(isoMicros(r.receivedAt, 'receivedAt'));
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
        const d = deltas.get(p.sourceId) ?? zero();
        let accepted = 0;
        for (const s of seqs[g]) if (s !== null && stored.has(s)) accepted++;
        d.received += p.events.length + p.rejected.length;
        d.accepted += accepted;
        d.duplicates += p.events.length - accepted;
        d.rejected += p.rejected.length;
        let last = d.lastEventAt ? Date.parse(d.lastEventAt) : -Infinity;
        for (const e of p.events) last = Math.max(last, Date.parse(e.receivedAt));
        for (const r of p.rejected) last = Math.max(last, Date.parse(r.receivedAt));
        d.lastEventAt = Number.isFinite(last) ? new Date(last).toISOString() : null;
        deltas.set(p.sourceId, d);
      }
      for (const [sourceId, d] of deltas) {
        await conn.run(
          `INSERT INTO ingest_stats (source_id, received, accepted, rejected, duplicates, last_event_at)
           VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMPTZ)
           ON CONFLICT (source_id) DO UPDATE SET
             received = ingest_stats.received + excluded.received,
             accepted = ingest_stats.accepted + excluded.accepted,
             rejected = ingest_stats.rejected + excluded.rejected,
             duplicates = ingest_stats.duplicates + excluded.duplicates,
             last_event_at = greatest(ingest_stats.last_event_at, excluded.last_event_at)`,
          [sourceId, d.received, d.accepted, d.rejected, d.duplicates, d.lastEventAt],
        );
      }
      if (opts.beforeCommit) await opts.beforeCommit({ requests: group.length, events: ord, rejected: rejectedCount });
      const t2 = performance.now();
      await conn.run('COMMIT');
      metrics.commitMs += performance.now() - t2;
    } catch (err) {
      if (begun) await conn.run('ROLLBACK').catch(() => undefined);
      metrics.failedCommits++;
      metrics.lastError = (err as Error)?.message ?? String(err);
      metrics.writeMs += performance.now() - started;
      const failure = new StorageError(`The events could not be stored: ${metrics.lastError}`, { cause: err });
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
    for (let g = 0; g < group.length; g++) {
      const p = group[g];
      const out = seqs[g].map((s) => (s !== null && stored.has(s) ? s : null));
      const storedHere = out.reduce<number>((n, s) => n + (s === null ? 0 : 1), 0);
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
    },
  };
}
