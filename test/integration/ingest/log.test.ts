/**
 * The event log on a real DuckDB file, behind the ingest journal: group
 * commit, durability before the answer, deduplication, overload (503 +
 * Retry-After from the journal's bounds, OverloadedError from the log's own),
 * storage failure (a failing warehouse: answered 200 from the journal, loaded
 * once when it recovers; a failing journal: 500, nothing stored), counters and
 * sample persisted across restarts.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventLog, dedupeKey, LogClosedError, OverloadedError, StorageError } from '../../../src-main/core/events/log';
import { DEDUPE_KEY_SQL } from '../../../src-main/core/events/schema';
import type { AppendEvent, RejectedEvent } from '../../../src-main/core/events/types';
import { countEvents, json, openWarehouse, removeDir, send, startServer, type RawResponse, type TestServer, type TestWarehouse } from './helpers';

/** Realistic Segment events (~0.9 KB each, like analytics.js output). */
function segmentBatch(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({
    type: i % 3 === 0 ? 'identify' : 'track',
    event: 'Report Exported',
    userId: `user-${i % 50}`,
    anonymousId: `anon-${prefix}-${i}`,
    messageId: `${prefix}-${i}`,
    originalTimestamp: '2025-11-02T09:00:00.000Z',
    sentAt: '2025-11-02T09:00:00.200Z',
    traits: { email: `user${i}@example.com`, plan: 'Pro', company: 'Acme Corp' },
    properties: { format: 'csv', rows: i },
    context: {
      ip: '172.91.24.57',
      library: { name: 'analytics.js', version: '5.2.0' },
      locale: 'en-US',
      page: { path: '/dashboard', title: 'User Dashboard', url: 'https://app.example.com/dashboard' },
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15',
      screen: { width: 3024, height: 1964, density: 2 },
    },
  }));
}

const ev = (id: string, extra: Partial<AppendEvent> = {}): AppendEvent => ({
  messageId: id,
  type: 'track',
  event: 'E',
  userId: 'u',
  anonymousId: null,
  timestamp: '2025-11-02T09:00:00.000Z',
  receivedAt: '2025-11-02T09:00:01.000Z',
  raw: JSON.stringify({ type: 'track', messageId: id }),
  ...extra,
});

const rej = (index: number, reason = 'bad'): RejectedEvent => ({
  index,
  reason,
  receivedAt: '2025-11-02T09:00:01.000Z',
  type: null,
  event: null,
  userId: null,
  anonymousId: null,
  messageId: null,
  payload: '"junk"',
});

let cleanup: (() => Promise<void>)[] = [];
/** Injected warehouse faults: cleared first, so that a test failing half-way leaves a loader that can finish and stop. */
let faults: { failing: boolean }[] = [];
afterEach(async () => {
  for (const f of faults) f.failing = false;
  faults = [];
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function server(opts: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(opts);
  cleanup.push(() => s.stop());
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const until = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A warehouse that fails every commit while `failing` is set (the loader retries); cleared after each test. */
function failingWarehouse(message: string) {
  const fault = {
    failing: true,
    beforeCommit: () => {
      if (fault.failing) throw new Error(message);
    },
  };
  faults.push(fault);
  return fault;
}

/** Events stored per request (the messageId prefix before '-'), and how many distinct messageIds each has. */
async function storedByRequest(s: TestServer): Promise<Map<string, { rows: number; distinct: number }>> {
  const rows = await s.wh.query<[string, bigint, bigint]>(`SELECT split_part(message_id, '-', 1), count(*), count(DISTINCT message_id) FROM events GROUP BY 1`);
  return new Map(rows.map(([p, n, d]) => [p, { rows: Number(n), distinct: Number(d) }]));
}

const statuses = (rs: RawResponse[]) => rs.map((r) => r.status);

async function warehouse(options?: Record<string, string>) {
  const wh = await openWarehouse(undefined, options);
  cleanup.push(async () => {
    await wh.close();
    removeDir(wh.dir);
  });
  return wh;
}

async function seqs(wh: TestWarehouse): Promise<number[]> {
  return (await wh.query<[bigint]>('SELECT seq FROM events ORDER BY rowid')).map((r) => Number(r[0]));
}

describe('group commit', () => {
  it('8 concurrent 500-event requests share commits, and cost far less than 8 commits', async () => {
    const s = await server();
    const bodies = Array.from({ length: 8 }, (_, k) => JSON.stringify(segmentBatch(500, `c${k}`)));
    const seqBodies = Array.from({ length: 8 }, (_, k) => JSON.stringify(segmentBatch(500, `s${k}`)));
    // warm up
    await send(s, '/v1/events', JSON.stringify(segmentBatch(10, 'warm')), json());

    let m0 = s.log.metrics();
    let t = performance.now();
    for (const b of seqBodies) expect((await send(s, '/v1/events', b, json())).status).toBe(200);
    const sequentialMs = performance.now() - t;
    const sequentialCommits = s.log.metrics().commits - m0.commits;
    const sequentialWriteMs = s.log.metrics().writeMs - m0.writeMs;

    m0 = s.log.metrics();
    t = performance.now();
    const rs = await Promise.all(bodies.map((b) => send(s, '/v1/events', b, json())));
    const concurrentMs = performance.now() - t;
    const m1 = s.log.metrics();
    expect(rs.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(rs.map((r) => r.json.accepted)).toEqual(Array(8).fill(500));
    const concurrentCommits = m1.commits - m0.commits;
    console.info(
      `[group commit] 8 x 500 events: sequential ${sequentialCommits} commits, ${sequentialMs.toFixed(0)} ms end to end, ` +
        `${sequentialWriteMs.toFixed(0)} ms in the log; concurrent ${concurrentCommits} commits, ${concurrentMs.toFixed(0)} ms end to end, ` +
        `${(m1.writeMs - m0.writeMs).toFixed(0)} ms in the log (largest group ${m1.maxGroupRequests} requests)`,
    );
    expect(sequentialCommits).toBe(8);
    expect(concurrentCommits).toBeLessThan(8);
    expect(concurrentCommits).toBeLessThanOrEqual(4);
    expect(m1.maxGroupRequests).toBeGreaterThanOrEqual(2);
    expect(await countEvents(s.wh)).toBe(10 + 16 * 500);
    // seq strictly increasing in storage order, no duplicates
    const all = await seqs(s.wh);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1]);
  });

  it('through the log API: 8 concurrent 500-event appends make one commit (8 sequential ones make 8)', async () => {
    // No automatic checkpoint in the middle of a round (it would land on either side at random).
    const wh = await warehouse({ checkpoint_threshold: '1GB' });
    const log = await createEventLog(await wh.connect());
    const make = (p: string) => Array.from({ length: 500 }, (_, i) => ev(`${p}-${i}`, { raw: JSON.stringify(segmentBatch(1, `${p}-${i}`)[0]) }));
    const times = { sequential: 0, concurrent: 0 };
    for (let round = 0; round < 5; round++) {
      let m0 = log.metrics();
      let t = performance.now();
      for (let k = 0; k < 8; k++) await log.append('src_1', make(`s${round}-${k}`));
      times.sequential += performance.now() - t;
      expect(log.metrics().commits - m0.commits).toBe(8);
      m0 = log.metrics();
      t = performance.now();
      const rs = await Promise.all(Array.from({ length: 8 }, (_, k) => log.append('src_1', make(`c${round}-${k}`))));
      times.concurrent += performance.now() - t;
      expect(rs.every((r) => r.stored === 500)).toBe(true);
      expect(log.metrics().commits - m0.commits).toBe(1);
    }
    // Times are printed, not asserted: on a shared machine they are noise (bench:ingest measures throughput).
    console.info(`[group commit, log API] 5 rounds of 8 x 500 events: sequential ${times.sequential.toFixed(0)} ms (40 commits), concurrent ${times.concurrent.toFixed(0)} ms (5 commits)`);
    expect(await countEvents(wh)).toBe(2 * 5 * 8 * 500);
    await log.close();
  });

  it('resolves each request only after its events are committed (visible to another connection)', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect());
    const reader = await wh.connect();
    const results = await Promise.all(
      Array.from({ length: 6 }, async (_, k) => {
        const r = await log.append('src_1', [ev(`vis-${k}-a`), ev(`vis-${k}-b`)]);
        // at this point the rows must be visible to any other connection
        const seen = await reader.runAndReadAll(`SELECT count(*) FROM events WHERE message_id LIKE 'vis-${k}-%'`);
        return { r, seen: Number(seen.getRows()[0][0]) };
      }),
    );
    for (const { r, seen } of results) {
      expect(r.stored).toBe(2);
      expect(seen).toBe(2);
    }
    await log.close();
  });

  it('assigns strictly increasing seqs, reports duplicates as null, and keeps counters', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect());
    const a = await log.append('src_1', [ev('m1'), ev('m2'), ev('m1')], [rej(3)]);
    expect(a.stored).toBe(2);
    expect(a.duplicates).toBe(1);
    expect(a.seqs[2]).toBeNull();
    expect(a.seqs[1]!).toBeGreaterThan(a.seqs[0]!);
    expect(a.rejectedIds).toHaveLength(1);
    const b = await log.append('src_1', [ev('m2'), ev('m3')]);
    expect(b.seqs[0]).toBeNull();
    expect(b.seqs[1]!).toBeGreaterThan(a.seqs[1]!);
    const c = await log.append('src_2', [ev('m1')]);
    expect(c.stored).toBe(1);
    expect(log.counters('src_1')).toMatchObject({ received: 6, accepted: 3, rejected: 1, duplicates: 2, lastEventAt: '2025-11-02T09:00:01.000Z' });
    expect(log.counters('src_2')).toMatchObject({ received: 1, accepted: 1, rejected: 0, duplicates: 0 });
    expect(log.counters('nope')).toEqual({ received: 0, accepted: 0, rejected: 0, duplicates: 0, lastEventAt: null });
    // persisted: a new log on the same file sees the same counters and continues the sequence
    await log.close();
    const log2 = await createEventLog(await wh.connect());
    expect(log2.counters('src_1')).toEqual(log.counters('src_1'));
    const d = await log2.append('src_1', [ev('m4'), ev('m3')]);
    expect(d.seqs[0]!).toBeGreaterThan(c.seqs[0]!);
    expect(d.seqs[1]).toBeNull();
    const rows = await wh.query<[bigint, string, string, string, bigint]>(
      'SELECT seq, source_id, message_id, type, epoch_ms("timestamp") FROM events ORDER BY seq',
    );
    expect(rows.map((r) => `${r[1]}/${r[2]}`)).toEqual(['src_1/m1', 'src_1/m2', 'src_1/m3', 'src_2/m1', 'src_1/m4']);
    expect(Number(rows[0][4])).toBe(Date.parse('2025-11-02T09:00:00.000Z'));
    await log2.close();
  });

  it('computes the dedupe key in SQL exactly as dedupeKey() does', async () => {
    const wh = await warehouse();
    const pairs = [
      ['src_1', 'm-1'],
      ['src_1', 'é😀'],
      ['src_10', '-1'],
      ['src_1', '0-1'],
    ];
    for (const [source_id, message_id] of pairs) {
      const r = await wh.query<[bigint]>(`SELECT ${DEDUPE_KEY_SQL} FROM (SELECT $1 AS source_id, $2 AS message_id)`, [source_id, message_id]);
      expect(r[0][0]).toBe(dedupeKey(source_id, message_id));
    }
    // the length prefix keeps ("src_1", "0-1") and ("src_10", "-1") apart
    expect(dedupeKey('src_1', '0-1')).not.toBe(dedupeKey('src_10', '-1'));
  });

  it('refuses malformed input before queueing it', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect());
    await expect(log.append('', [ev('x')])).rejects.toThrow(TypeError);
    await expect(log.append('s', [ev('')])).rejects.toThrow(TypeError);
    await expect(log.append('s', [ev('x', { timestamp: 'soon' })])).rejects.toThrow(TypeError);
    expect(await countEvents(wh)).toBe(0);
    await log.close();
  });

  it('stores every column exactly, whatever characters the fields hold (the group travels as one separated text)', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect());
    const odd = [
      ev('plain', { userId: 'u1', anonymousId: 'a1', event: 'Signed Up' }),
      ev('sep\u001e\u001fin-id', { userId: 'u\u001c2', anonymousId: null, event: 'E\u001d' }),
      ev('empty-strings', { userId: '', anonymousId: '', event: '', type: '' }),
      ev('nulls', { userId: null, anonymousId: 'a4', event: null, type: 'identify' }),
      ev('unicode-é😀\u0000', { userId: '用户', anonymousId: 'ü', event: 'naïve "quoted" \\ back' }),
      ev('old', { timestamp: '0001-01-01T00:00:00.000Z', receivedAt: '+275760-09-13T00:00:00.000Z' }),
      ev('raw-with-newline', { raw: '{\n\t"a": "x\\ny"\n}' }),
    ];
    const r = await log.append('src\u001f1', odd);
    expect(r.stored).toBe(odd.length);
    const rows = await wh.query<[string, string, string, string | null, string | null, string | null, bigint, bigint, string]>(
      `SELECT source_id, message_id, type, event, user_id, anonymous_id, epoch_ms("timestamp"), epoch_ms(received_at), CAST(raw AS VARCHAR) FROM events ORDER BY seq`,
    );
    expect(rows.map((x) => [x[0], x[1], x[2], x[3], x[4], x[5], Number(x[6]), Number(x[7]), x[8]])).toEqual(
      odd.map((e) => ['src\u001f1', e.messageId, e.type, e.event, e.userId, e.anonymousId, Date.parse(e.timestamp), Date.parse(e.receivedAt), e.raw]),
    );
    // the seqs are the ones reported, in order
    expect((await seqs(wh))).toEqual(r.seqs);
    await log.close();
  });

  it('deduplicates inside a group and against the log in the same commit, with several sources', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect());
    await log.append('src_1', [ev('old-1'), ev('old-2')]);
    // one group: repeats across requests and sources, events already stored, and lone surrogates (stored as U+FFFD)
    const [a, b, c] = await Promise.all([
      log.append('src_1', [ev('n1'), ev('old-1'), ev('n2'), ev('n1')]),
      log.append('src_2', [ev('n1'), ev('old-2'), ev('s\ud800')]),
      log.append('src_1', [ev('n2'), ev('n3'), ev('old-2')]),
      log.append('src_2', [ev('s\ufffd')]).then((d) => expect(d).toMatchObject({ stored: 0, duplicates: 1, seqs: [null] })),
    ]);
    expect(log.metrics().maxGroupRequests).toBeGreaterThanOrEqual(3);
    expect(a).toMatchObject({ stored: 2, duplicates: 2 });
    expect(a.seqs.map((x) => x !== null)).toEqual([true, false, true, false]);
    expect(b).toMatchObject({ stored: 3, duplicates: 0 });
    expect(c).toMatchObject({ stored: 1, duplicates: 2 });
    expect(c.seqs.map((x) => x !== null)).toEqual([false, true, false]);
    const stored = await wh.query<[bigint, string, string]>(`SELECT seq, source_id, message_id FROM events ORDER BY seq`);
    expect(stored.map((x) => `${x[1]}/${x[2]}`)).toEqual(['src_1/old-1', 'src_1/old-2', 'src_1/n1', 'src_1/n2', 'src_2/n1', 'src_2/old-2', 'src_2/s\ufffd', 'src_1/n3']);
    // every reported seq is the stored row's
    const bySeq = new Map(stored.map((x) => [Number(x[0]), `${x[1]}/${x[2]}`]));
    expect(a.seqs.filter((x) => x !== null).map((x) => bySeq.get(x!))).toEqual(['src_1/n1', 'src_1/n2']);
    expect(c.seqs.filter((x) => x !== null).map((x) => bySeq.get(x!))).toEqual(['src_1/n3']);
    expect(log.counters('src_1')).toMatchObject({ accepted: 5, duplicates: 4 });
    expect(log.counters('src_2')).toMatchObject({ accepted: 3, duplicates: 1 });
    await log.close();
  });

  it('refuses a raw text holding the separators (it is not JSON) without failing the other requests of the group', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect());
    const results = await Promise.allSettled([
      log.append('src_1', [ev('good-1')]),
      log.append('src_1', [ev('bad', { raw: '{"a":"\u001e"}' })]),
      log.append('src_1', [ev('bad2', { raw: '{"a":"\u001f"}' })]),
      log.append('src_1', [ev('good-2')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(TypeError);
    expect(await countEvents(wh)).toBe(2);
    await log.close();
  });

  it('recentBySource lists accepted and rejected events, newest first, and prunes old rejected ones', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect(), { keepRejectedPerSource: 3 });
    await log.append('src_1', [ev('r1', { receivedAt: '2025-11-02T09:00:01.000Z' })], [rej(1, 'first')]);
    await log.append('src_1', [ev('r2', { receivedAt: '2025-11-02T09:00:02.000Z' })], [{ ...rej(0, 'second'), receivedAt: '2025-11-02T09:00:02.000Z' }]);
    const recent = await log.recentBySource('src_1', 10);
    expect(recent.map((e) => [e.status, e.messageId ?? e.reason])).toEqual([
      ['accepted', 'r2'],
      ['rejected', 'second'],
      ['accepted', 'r1'],
      ['rejected', 'first'],
    ]);
    expect(recent[0]).toMatchObject({ sourceId: 'src_1', type: 'track', event: 'E', userId: 'u', payload: { type: 'track', messageId: 'r2' } });
    expect(await log.recentBySource('src_1', 1)).toHaveLength(1);
    for (let i = 0; i < 5; i++) await log.append('src_1', [], [rej(i, `more-${i}`)]);
    await log.close();
    const log2 = await createEventLog(await wh.connect(), { keepRejectedPerSource: 3 });
    expect(Number((await wh.query<[bigint]>(`SELECT count(*) FROM events_rejected`))[0][0])).toBe(3);
    expect(log2.counters('src_1').rejected).toBe(7);
    await log2.close();
  });
});

describe('overload', () => {
  it('answers 503 with Retry-After once maxBacklogBytes wait to be loaded (the warehouse fails), and stores each request answered 200 exactly once', async () => {
    const fault = failingWarehouse('the warehouse is unavailable (injected)');
    const bodies = Array.from({ length: 24 }, (_, k) => JSON.stringify(segmentBatch(500, `o${k}`)));
    // Room for one request, not two: whatever is journaled before the first write ends is accepted, everything after is refused.
    const s = await server({
      answerWhenLoaded: false,
      log: { beforeCommit: fault.beforeCommit },
      journal: { maxBacklogBytes: Math.round(Buffer.byteLength(bodies[0]) * 1.5), retryAfterSeconds: 7 },
    });
    const rs = await Promise.all(bodies.map((b) => send(s, '/v1/events', b, json())));
    const ok = rs.filter((r) => r.status === 200);
    const busy = rs.filter((r) => r.status === 503);
    expect(ok.length + busy.length).toBe(24);
    expect(ok.length).toBeGreaterThan(0);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of ok) expect(r.json).toEqual({ accepted: 500, rejected: [] });
    for (const r of busy) {
      expect(r.headers['retry-after']).toBe('7');
      expect(r.json.error.code).toBe('unavailable');
      expect(r.json.error.message).toMatch(/waiting to be loaded/);
    }
    expect(s.journal.appended).toBe(ok.length);
    // the warehouse stored nothing yet: the loader keeps retrying
    await waitFor('a failed load', () => s.loader.metrics().retries >= 1);
    expect(await countEvents(s.wh)).toBe(0);
    expect(s.loader.lag).toBe(ok.length);
    expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(500, 'late')), json())).status).toBe(503);

    // the fault clears: the loader catches up with exactly the requests answered 200, each once
    fault.failing = false;
    expect(await s.loader.flush(20_000)).toBe(true);
    const okIds = rs.flatMap((r, k) => (r.status === 200 ? [`o${k}`] : [])).sort();
    const stored = await storedByRequest(s);
    expect([...stored.keys()].sort()).toEqual(okIds);
    for (const n of stored.values()) expect(n).toEqual({ rows: 500, distinct: 500 });
    expect(s.log.metrics().duplicates).toBe(0);
    expect(s.loader.metrics()).toMatchObject({ mismatches: 0, failedRecords: 0 });
    expect(s.loader.metrics().retries).toBeGreaterThan(0);
    expect(s.log.counters('src_1')).toMatchObject({ received: 500 * ok.length, accepted: 500 * ok.length, duplicates: 0 });
    expect(s.journal.backlogBytes).toBe(0);
    // once loaded, it accepts again
    const after = await send(s, '/v1/events', JSON.stringify(segmentBatch(500, 'after')), json());
    expect(after.status).toBe(200);
    expect(await s.loader.flush(20_000)).toBe(true);
    expect(await countEvents(s.wh)).toBe(500 * (ok.length + 1));
  });

  it('answers 503 with Retry-After to requests arriving while maxPendingBytes wait to be written, and stores each request answered 200 exactly once', async () => {
    // A bound of one byte: a request arriving while another one is being written and synced is refused.
    const s = await server({ answerWhenLoaded: false, journal: { maxPendingBytes: 1, retryAfterSeconds: 3 } });
    const sent: { id: string; r: RawResponse }[] = [];
    // Concurrent requests overlap in the journal's writer almost always; a few more rounds make sure.
    for (let round = 0; round < 5 && !sent.some((x) => x.r.status === 503); round++) {
      const ids = Array.from({ length: 40 }, (_, k) => `w${round}x${k}`);
      const rs = await Promise.all(ids.map((id) => send(s, '/v1/events', JSON.stringify(segmentBatch(20, id)), json())));
      rs.forEach((r, k) => sent.push({ id: ids[k], r }));
    }
    const ok = sent.filter((x) => x.r.status === 200);
    const busy = sent.filter((x) => x.r.status === 503);
    expect(ok.length + busy.length).toBe(sent.length);
    expect(ok.length).toBeGreaterThan(0);
    expect(busy.length).toBeGreaterThan(0);
    for (const { r } of ok) expect(r.json).toEqual({ accepted: 20, rejected: [] });
    for (const { r } of busy) {
      expect(r.headers['retry-after']).toBe('3');
      expect(r.json.error.code).toBe('unavailable');
      expect(r.json.error.message).toMatch(/waiting to be written/);
    }
    expect(await s.loader.flush(20_000)).toBe(true);
    const stored = await storedByRequest(s);
    expect([...stored.keys()].sort()).toEqual(ok.map((x) => x.id).sort());
    for (const n of stored.values()) expect(n).toEqual({ rows: 20, distinct: 20 });
    expect(s.log.metrics().duplicates).toBe(0);
    // one at a time, nothing waits: all accepted
    for (let k = 0; k < 3; k++) expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(20, `seq${k}`)), json())).status).toBe(200);
    expect(await s.loader.flush(20_000)).toBe(true);
    expect(await countEvents(s.wh)).toBe(20 * (ok.length + 3));
  });

  it('answers 503 with Retry-After once the journal is closed (shutting down), and stores nothing of those requests', async () => {
    const s = await server({ journal: { retryAfterSeconds: 2 } });
    expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(5, 'open')), json())).status).toBe(200);
    await s.journal.close();
    const r = await send(s, '/v1/events', JSON.stringify(segmentBatch(5, 'closed')), json());
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('2');
    expect(r.json.error.code).toBe('unavailable');
    expect(await s.loader.flush(5_000)).toBe(true);
    expect([...(await storedByRequest(s)).keys()]).toEqual(['open']);
    expect(s.journal.appended).toBe(1);
  });

  it('refuses with OverloadedError at once from the log API, and after close() with LogClosedError (503)', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect(), { maxPendingEvents: 3 });
    const first = log.append('s', [ev('a'), ev('b')]);
    const t = performance.now();
    await expect(log.append('s', [ev('c'), ev('d')])).rejects.toBeInstanceOf(OverloadedError);
    expect(performance.now() - t).toBeLessThan(50);
    await first;
    await log.close();
    await expect(log.append('s', [ev('e')])).rejects.toBeInstanceOf(LogClosedError);
  });

  it('bounds the bytes waiting too, not only the number of events', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect(), { maxPendingBytes: 10_000 });
    const big = (id: string) => ev(id, { raw: JSON.stringify({ type: 'track', messageId: id, pad: 'x'.repeat(8_000) }) });
    const first = log.append('s', [big('a')]); // alone, it is accepted whatever its size
    await expect(log.append('s', [big('b')])).rejects.toBeInstanceOf(OverloadedError);
    expect((await first).stored).toBe(1);
    expect((await log.append('s', [big('c')])).stored).toBe(1); // once drained, it accepts again
    expect(log.metrics().overloaded).toBe(1);
    await log.close();
  });
});

describe('storage failure', () => {
  it('while every commit fails, requests are answered 200 (journaled) and nothing is stored; once it recovers, the retries store every event once', async () => {
    const fault = failingWarehouse('disk full (injected)');
    const s = await server({ answerWhenLoaded: false, log: { beforeCommit: fault.beforeCommit } });
    const bodies = Array.from({ length: 6 }, (_, k) => JSON.stringify(segmentBatch(200, `f${k}`)));
    const rs = await Promise.all(bodies.map((b) => send(s, '/v1/events', b, json())));
    expect(statuses(rs)).toEqual(Array(6).fill(200));
    for (const r of rs) expect(r.json).toEqual({ accepted: 200, rejected: [] });
    await waitFor('two failed loads', () => s.loader.metrics().retries >= 2);
    expect(s.loader.metrics().lastError).toMatch(/disk full \(injected\)/);
    expect(s.log.metrics().failedCommits).toBeGreaterThanOrEqual(2);
    expect(await s.loader.flush(300)).toBe(false);
    expect(s.loader.lag).toBe(6);
    // the events were inserted inside the transaction, then rolled back, each time
    expect(await countEvents(s.wh)).toBe(0);
    expect(s.log.counters('src_1').received).toBe(0);
    expect(Number((await s.wh.query<[bigint]>('SELECT count(*) FROM ingest_stats'))[0][0])).toBe(0);
    expect(await s.log.journalMark()).toBeNull();

    fault.failing = false;
    expect(await s.loader.flush(20_000)).toBe(true);
    const stored = await storedByRequest(s);
    expect([...stored.keys()].sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
    for (const n of stored.values()) expect(n).toEqual({ rows: 200, distinct: 200 });
    expect(s.log.metrics().duplicates).toBe(0);
    expect(s.log.counters('src_1')).toMatchObject({ received: 1200, accepted: 1200, duplicates: 0 });
    expect(s.loader.metrics()).toMatchObject({ mismatches: 0, failedRecords: 0 });
    expect(s.loader.metrics().retries).toBeGreaterThan(0);
    expect(s.loader.lag).toBe(0);
    expect(s.journal.backlogBytes).toBe(0);
    expect(await s.log.journalMark()).not.toBeNull();
    // later requests go straight through
    expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(10, 'after')), json())).status).toBe(200);
    expect(await s.loader.flush(20_000)).toBe(true);
    expect(await countEvents(s.wh)).toBe(1210);
  });

  it('a real DuckDB failure (the table is gone): answered 200, nothing stored while it lasts, every event stored once when the table is back', async () => {
    const s = await server({ answerWhenLoaded: false });
    expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(5, 'pre')), json())).status).toBe(200);
    expect(await s.loader.flush(20_000)).toBe(true);
    const admin = await s.wh.connect();
    await admin.run('ALTER TABLE events RENAME TO events_moved');
    let moved = true;
    // If the test fails half-way, put the table back so that the loader can finish and stop.
    cleanup.push(async () => {
      if (moved) await admin.run('ALTER TABLE events_moved RENAME TO events').catch(() => undefined);
    });
    const rs = await Promise.all([0, 1, 2].map((k) => send(s, '/v1/events', JSON.stringify(segmentBatch(50, `gone${k}`)), json())));
    expect(statuses(rs)).toEqual([200, 200, 200]);
    for (const r of rs) expect(r.json).toEqual({ accepted: 50, rejected: [] });
    await waitFor('a failed load', () => s.loader.metrics().retries >= 1);
    expect(s.log.metrics().lastError).toMatch(/events/);
    expect(s.loader.metrics().lastError).toMatch(/events/);
    expect(Number((await s.wh.query<[bigint]>('SELECT count(*) FROM events_moved'))[0][0])).toBe(5);
    expect(s.log.counters('src_1').received).toBe(5);
    expect(s.loader.lag).toBe(3);

    await admin.run('ALTER TABLE events_moved RENAME TO events');
    moved = false;
    expect(await s.loader.flush(20_000)).toBe(true);
    const stored = await storedByRequest(s);
    expect([...stored.entries()].sort()).toEqual([
      ['gone0', { rows: 50, distinct: 50 }],
      ['gone1', { rows: 50, distinct: 50 }],
      ['gone2', { rows: 50, distinct: 50 }],
      ['pre', { rows: 5, distinct: 5 }],
    ]);
    expect(s.log.metrics().duplicates).toBe(0);
    expect(s.log.counters('src_1')).toMatchObject({ received: 155, accepted: 155, duplicates: 0 });
    expect(s.loader.metrics().retries).toBeGreaterThan(0);
    expect(s.loader.metrics().mismatches).toBe(0);
    // a client sending one of those batches again anyway is answered 200, and nothing is stored twice
    const again = await send(s, '/v1/events', JSON.stringify(segmentBatch(50, 'gone0')), json());
    expect(again.json).toEqual({ accepted: 50, rejected: [] });
    expect(await s.loader.flush(20_000)).toBe(true);
    expect(await countEvents(s.wh)).toBe(155);
    expect(s.log.metrics().duplicates).toBe(50);
  });

  // The journal's segment is on a full disk: /dev/full takes the file's place (Linux), so every write fails with ENOSPC.
  it.skipIf(!existsSync('/dev/full'))('a journal write failure (the disk is full) is a 500, and nothing of those requests is stored', async () => {
    const wh = await warehouse();
    mkdirSync(join(wh.dir, 'journal'));
    symlinkSync('/dev/full', join(wh.dir, 'journal', '0000000001.journal'));
    const s = await server({ wh, answerWhenLoaded: false });
    const rs = await Promise.all([0, 1, 2].map((k) => send(s, '/v1/events', JSON.stringify(segmentBatch(20, `full${k}`)), json())));
    expect(statuses(rs)).toEqual([500, 500, 500]);
    for (const r of rs) {
      expect(r.json.error).toEqual({ code: 'internal', message: 'The events could not be stored; nothing of this request was stored. Retry later.' });
    }
    // while the disk stays full, the next request fails the same way
    expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(20, 'full3')), json())).status).toBe(500);
    expect(s.journal.appended).toBe(0);
    expect(s.journal.backlogBytes).toBe(0);
    expect(s.loader.lag).toBe(0);
    expect(await s.loader.flush(1_000)).toBe(true);
    expect(await countEvents(s.wh)).toBe(0);
    expect(s.log.counters('src_1').received).toBe(0);
    // not even in the debugger's feed
    expect(s.sample.recent('src_1')).toEqual([]);
  });

  it('rejects with StorageError from the log API', async () => {
    const wh = await warehouse();
    const log = await createEventLog(await wh.connect(), {
      beforeCommit: () => {
        throw new Error('nope');
      },
    });
    const results = await Promise.allSettled([log.append('s', [ev('x')]), log.append('s', [ev('y')], [rej(1)])]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
    }
    expect(await countEvents(wh)).toBe(0);
    expect(Number((await wh.query<[bigint]>('SELECT count(*) FROM events_rejected'))[0][0])).toBe(0);
    await log.close();
  });
});
