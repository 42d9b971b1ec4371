/**
 * The event log on a real DuckDB file: group commit, durability before the
 * answer, deduplication, overload (503 + Retry-After), storage failure (500,
 * nothing stored), counters and sample persisted across restarts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEventLog, dedupeKey, LogClosedError, OverloadedError, StorageError } from '../../../src-main/core/events/log';
import { DEDUPE_KEY_SQL } from '../../../src-main/core/events/schema';
import type { AppendEvent, RejectedEvent } from '../../../src-main/core/events/types';
import { countEvents, json, openWarehouse, removeDir, send, startServer, type TestWarehouse } from './helpers';

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
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function server(opts: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(opts);
  cleanup.push(() => s.stop());
  return s;
}

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

  it('through the log API: 8 concurrent 500-event appends make one commit, cheaper than 8 sequential ones', async () => {
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
    console.info(`[group commit, log API] 5 rounds of 8 x 500 events: sequential ${times.sequential.toFixed(0)} ms (40 commits), concurrent ${times.concurrent.toFixed(0)} ms (5 commits)`);
    expect(times.concurrent).toBeLessThan(times.sequential);
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
  it('answers 503 with Retry-After when the queue is full, and loses nothing it answered 200 for', async () => {
    const s = await server({ log: { maxPendingEvents: 1200, retryAfterSeconds: 7 } });
    const bodies = Array.from({ length: 24 }, (_, k) => JSON.stringify(segmentBatch(500, `o${k}`)));
    const rs = await Promise.all(bodies.map((b) => send(s, '/v1/events', b, json())));
    const ok = rs.filter((r) => r.status === 200);
    const busy = rs.filter((r) => r.status === 503);
    expect(ok.length + busy.length).toBe(24);
    expect(busy.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of busy) {
      expect(r.headers['retry-after']).toBe('7');
      expect(r.json.error.code).toBe('unavailable');
    }
    await s.log.flush();
    // exactly the events of the 200s are stored, each once
    const okIds = new Set<number>();
    rs.forEach((r, k) => r.status === 200 && okIds.add(k));
    const stored = await s.wh.query<[string, bigint]>(`SELECT split_part(message_id, '-', 1), count(*) FROM events GROUP BY 1`);
    const byRequest = new Map(stored.map(([p, n]) => [Number(p.slice(1)), Number(n)]));
    expect([...byRequest.keys()].sort((a, b) => a - b)).toEqual([...okIds].sort((a, b) => a - b));
    for (const n of byRequest.values()) expect(n).toBe(500);
    expect(s.log.metrics().overloaded).toBe(busy.length);
    // once drained, it accepts again
    expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(500, 'after')), json())).status).toBe(200);
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
  it('fails every request of the failing group with 500 and stores nothing of them', async () => {
    let failing = true;
    const s = await server({
      log: {
        beforeCommit: () => {
          if (failing) throw new Error('disk full (injected)');
        },
      },
    });
    const bodies = Array.from({ length: 6 }, (_, k) => JSON.stringify(segmentBatch(200, `f${k}`)));
    const rs = await Promise.all(bodies.map((b) => send(s, '/v1/events', b, json())));
    expect(rs.map((r) => r.status)).toEqual(Array(6).fill(500));
    expect(rs[0].json.error).toEqual({ code: 'internal', message: 'The events could not be stored; nothing of this request was stored. Retry later.' });
    // the events were inserted inside the transaction, then rolled back
    expect(await countEvents(s.wh)).toBe(0);
    expect(s.log.counters('src_1').received).toBe(0);
    expect(Number((await s.wh.query<[bigint]>('SELECT count(*) FROM ingest_stats'))[0][0])).toBe(0);
    expect(s.log.metrics().failedCommits).toBeGreaterThanOrEqual(1);
    expect(s.sample.recent('src_1')).toEqual([]);
    // recovers, and a retry of the same batches is stored in full
    failing = false;
    const again = await Promise.all(bodies.map((b) => send(s, '/v1/events', b, json())));
    expect(again.map((r) => r.json.accepted)).toEqual(Array(6).fill(200));
    expect(await countEvents(s.wh)).toBe(1200);
  });

  it('a real DuckDB failure (the table is gone) is a 500 with nothing stored, and the log recovers', async () => {
    const s = await server();
    expect((await send(s, '/v1/events', JSON.stringify(segmentBatch(5, 'pre')), json())).status).toBe(200);
    const admin = await s.wh.connect();
    await admin.run('ALTER TABLE events RENAME TO events_moved');
    const rs = await Promise.all([0, 1, 2].map((k) => send(s, '/v1/events', JSON.stringify(segmentBatch(50, `gone${k}`)), json())));
    expect(rs.map((r) => r.status)).toEqual([500, 500, 500]);
    expect(s.log.metrics().lastError).toMatch(/events/);
    await admin.run('ALTER TABLE events_moved RENAME TO events');
    expect(await countEvents(s.wh)).toBe(5);
    expect(s.log.counters('src_1').received).toBe(5);
    const ok = await send(s, '/v1/events', JSON.stringify(segmentBatch(50, 'gone0')), json());
    expect(ok.json).toEqual({ accepted: 50, rejected: [], duplicates: 0 });
    expect(await countEvents(s.wh)).toBe(55);
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
