/**
 * The ingest endpoint end to end: a real fastify server on 127.0.0.1:0, a real
 * DuckDB file, real HTTP requests carrying the fixtures byte for byte as
 * Segment sends them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventLog } from '../../../src-main/core/events/log';
import { createEventSample } from '../../../src-main/core/events/sample';
import type { EventsReceived, SampleEntry } from '../../../src-main/core/events/types';
import { FIXTURES, KEY, KEY2, bearer, countEvents, json, send, startServer, type TestServer } from './helpers';

const NOW = new Date('2025-11-03T10:00:07.000Z');
const bytes = (name: string) => readFileSync(join(FIXTURES, name));
const basic = (key = KEY) => ({ 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

interface Row {
  seq: number;
  source_id: string;
  message_id: string;
  type: string;
  event: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  ts: string;
  received_at: string;
  raw: Record<string, any>;
}

async function rows(s: TestServer, where = 'true'): Promise<Row[]> {
  const r = await s.wh.db.runAndReadAll(
    `SELECT seq, source_id, message_id, type, event, user_id, anonymous_id, strftime("timestamp" AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ'),
            strftime(received_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ'), CAST(raw AS VARCHAR)
       FROM events WHERE ${where} ORDER BY seq`,
  );
  return r.getRows().map((x) => ({
    seq: Number(x[0]),
    source_id: x[1] as string,
    message_id: x[2] as string,
    type: x[3] as string,
    event: x[4] as string | null,
    user_id: x[5] as string | null,
    anonymous_id: x[6] as string | null,
    ts: x[7] as string,
    received_at: x[8] as string,
    raw: JSON.parse(x[9] as string),
  }));
}

describe('ingest protocol', () => {
  let s: TestServer;
  const pushes: EventsReceived[] = [];
  beforeAll(async () => {
    s = await startServer({ now: () => NOW });
    s.sample.subscribe((m) => pushes.push(m));
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("stores Segment's Webhook destination batch (a bare JSON array) sent to /v1/events", async () => {
    const r = await send(s, '/v1/events', bytes('webhook-batch.json'), json());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 5, rejected: [] });
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const stored = await rows(s, `message_id LIKE 'wb-%'`);
    expect(stored.map((x) => [x.message_id, x.type, x.event, x.user_id, x.anonymous_id, x.ts])).toEqual([
      ['wb-1', 'identify', null, 'u-1001', 'anon-1001', '2025-11-02T09:00:00.000Z'],
      ['wb-2', 'track', 'Signed Up', 'u-1001', null, '2025-11-02T09:00:01.000Z'],
      ['wb-3', 'identify', null, 'u-1002', null, '2025-11-02T09:05:00.000Z'],
      ['wb-4', 'page', null, null, 'anon-2000', '2025-11-02T09:06:00.000Z'],
      ['wb-5', 'identify', null, 'u-1003', null, '2025-11-02T09:07:00.000Z'],
    ]);
    expect(stored.every((x) => x.source_id === 'src_1' && x.received_at === NOW.toISOString())).toBe(true);
    const original = JSON.parse(bytes('webhook-batch.json').toString());
    // raw = the event as sent plus the normalized fields; nothing lost (UTF-8 intact)
    expect(stored[4].raw).toEqual({ ...original[4], anonymousId: null, receivedAt: NOW.toISOString(), context: {} });
    expect(stored[4].raw.traits.email).toBe('zoë.müller@example.de');
    expect(stored[0].raw.traits.address).toEqual({ city: 'Lisbon', country: 'PT' });
    // seqs strictly increasing
    for (let i = 1; i < stored.length; i++) expect(stored[i].seq).toBeGreaterThan(stored[i - 1].seq);
  });

  it("stores an HTTP Tracking API /v1/batch body (envelope context and sentAt) with Segment's Basic auth", async () => {
    const r = await send(s, '/v1/batch', bytes('http-api-batch.json'), basic());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 2, rejected: [] });
    const stored = await rows(s, `user_id = 'u-2001'`);
    expect(stored).toHaveLength(2);
    const [identify, track] = stored;
    expect(identify.type).toBe('identify');
    expect(track.event).toBe('Plan Upgraded');
    // timestamp = receivedAt - (sentAt - originalTimestamp): 10:00:07 - (10:00:05 - 10:00:00) = 10:00:02
    expect(identify.ts).toBe('2025-11-03T10:00:02.000Z');
    expect(track.ts).toBe('2025-11-03T10:00:04.000Z');
    expect(identify.raw.context).toEqual({ library: { name: 'analytics-node', version: '3.1.0' } });
    expect(identify.raw.sentAt).toBe('2025-11-03T10:00:05.000Z');
    expect(identify.message_id).toMatch(/^gen-[0-9a-f]{32}$/);
    // a retry of the same body (messageIds derived from content) is accepted again, and deduplicated by the log
    const before = s.log.counters('src_1');
    const again = await send(s, '/v1/batch', bytes('http-api-batch.json'), basic());
    expect(again.json).toEqual({ accepted: 2, rejected: [] });
    expect((await rows(s, `user_id = 'u-2001'`)).map((x) => x.seq)).toEqual(stored.map((x) => x.seq));
    const after = s.log.counters('src_1');
    expect([after.received - before.received, after.accepted - before.accepted, after.duplicates - before.duplicates]).toEqual([2, 0, 2]);
  });

  const singles: [string, string][] = [
    ['identify', 'identify.json'],
    ['track', 'track-with-context-traits.json'],
    ['page', 'page-anonymous.json'],
    ['group', 'group.json'],
    ['alias', 'alias.json'],
  ];
  for (const [type, file] of singles) {
    it(`stores a single ${type} call sent to /v1/${type}`, async () => {
      const r = await send(s, `/v1/${type}`, bytes(file), json());
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ accepted: 1, rejected: [] });
      const id = JSON.parse(bytes(file).toString()).messageId;
      const [row] = await rows(s, `message_id = '${id}'`);
      expect(row.type).toBe(type);
      expect(row.raw.type).toBe(type);
    });
  }

  it('stores a /v1/screen call, and the type always comes from the path', async () => {
    const r = await send(s, '/v1/screen', JSON.stringify({ anonymousId: 'a-screen', name: 'Home', messageId: 'screen-1' }), json());
    expect(r.json).toEqual({ accepted: 1, rejected: [] });
    const r2 = await send(s, '/v1/track', JSON.stringify({ type: 'page', userId: 'u-path', event: 'Clicked', messageId: 'path-1' }), json());
    expect(r2.json).toEqual({ accepted: 1, rejected: [] });
    expect((await rows(s, `message_id IN ('screen-1', 'path-1')`)).map((x) => [x.type, x.event])).toEqual([
      ['screen', null],
      ['track', 'Clicked'],
    ]);
  });

  it('applies the normalization rules to the fixtures', async () => {
    const [identify] = await rows(s, `message_id = 'f9189a52-b37b-4d7d-9f2d-08b91d85fa9c'`);
    // forwarded by Segment: Segment's timestamp kept, receivedAt is ours
    expect(identify.ts).toBe('2025-10-20T16:15:24.010Z');
    expect(identify.raw.receivedAt).toBe(NOW.toISOString());
    const [track] = await rows(s, `message_id = '2b1f7e0c-55aa-4c6e-8d4b-1f0e9c3a7b21'`);
    expect(track.ts).toBe(new Date(NOW.getTime() - 380).toISOString());
    expect(track.raw.traits).toEqual({ email: 'emily.johnson@example.com', firstName: 'Emily', lastName: 'Johnson' });
    expect(track.raw.context.traits).toEqual(track.raw.traits);
    const [page] = await rows(s, `message_id = '9c0e4d1a-7f3b-4b8e-a1c2-6e5d4c3b2a19'`);
    expect([page.user_id, page.anonymous_id, page.ts, page.raw.name]).toEqual([null, '0d6a4f3e-8c1b-4f7e-9a55-2c7b1e9d4a10', '2025-10-20T16:10:00.000Z', 'Pricing']);
    const [alias] = await rows(s, `type = 'alias'`);
    expect(alias.raw.previousId).toBe('0d6a4f3e-8c1b-4f7e-9a55-2c7b1e9d4a10');
  });

  it('accepts each fixture as a single event on /v1/events too', async () => {
    for (const [, file] of singles) {
      const r = await send(s, '/v1/events', bytes(file), json(KEY2));
      expect(r.json, file).toEqual({ accepted: 1, rejected: [] });
    }
    expect(await countEvents(s.wh, 'src_2')).toBe(5);
  });

  it('accepts gzip and text/plain bodies', async () => {
    const batch = JSON.stringify([{ type: 'track', userId: 'gz', event: 'Zipped', messageId: 'gz-1' }]);
    const r = await send(s, '/v1/events', gzipSync(batch), { ...json(), 'content-encoding': 'gzip' });
    expect(r.json).toEqual({ accepted: 1, rejected: [] });
    const t = await send(s, '/v1/events', JSON.stringify({ type: 'track', userId: 'tp', event: 'Plain', messageId: 'tp-1' }), {
      'content-type': 'text/plain; charset=utf-8',
      ...bearer(),
    });
    expect(t.json).toEqual({ accepted: 1, rejected: [] });
    const g = await send(s, '/v1/batch', gzipSync(bytes('http-api-batch.json')), { ...basic(KEY2), 'content-encoding': 'gzip' });
    expect(g.json).toEqual({ accepted: 2, rejected: [] });
  });

  it('accepts the three auth styles, and never stores the writeKey', async () => {
    const ev = (id: string, extra = {}) => ({ type: 'track', userId: 'auth', event: 'Auth', messageId: id, ...extra });
    const h = { 'content-type': 'application/json' };
    expect((await send(s, '/v1/track', JSON.stringify(ev('a-bearer')), { ...h, authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await send(s, '/v1/track', JSON.stringify(ev('a-basic')), { ...h, authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` })).status).toBe(200);
    expect((await send(s, '/v1/track', JSON.stringify(ev('a-body', { writeKey: KEY })), h)).status).toBe(200);
    expect((await send(s, '/v1/batch', JSON.stringify({ batch: [ev('a-env')], writeKey: KEY }), h)).status).toBe(200);
    expect((await send(s, '/v1/events', JSON.stringify([ev('a-arr', { writeKey: KEY })]), h)).status).toBe(200);
    const stored = await rows(s, `message_id LIKE 'a-%'`);
    expect(stored).toHaveLength(5);
    expect(stored.every((x) => x.source_id === 'src_1' && !('writeKey' in x.raw) && !JSON.stringify(x.raw).includes(KEY))).toBe(true);
  });

  it('stores a retried batch once and counts duplicates (in the log and within a request); dedupe is per source', async () => {
    const before = await countEvents(s.wh, 'src_1');
    const c0 = s.log.counters('src_1');
    // The answer counts the valid events; the log stores each (source, messageId) once and counts the rest as duplicates.
    const r = await send(s, '/v1/events', bytes('webhook-batch.json'), json());
    expect(r.json).toEqual({ accepted: 5, rejected: [] });
    expect(await countEvents(s.wh, 'src_1')).toBe(before);
    const c1 = s.log.counters('src_1');
    expect([c1.received - c0.received, c1.accepted - c0.accepted, c1.duplicates - c0.duplicates, c1.rejected - c0.rejected]).toEqual([5, 0, 5, 0]);
    const twice = JSON.stringify([
      { type: 'track', userId: 'd', event: 'Dup', messageId: 'dup-1' },
      { type: 'track', userId: 'd', event: 'Dup', messageId: 'dup-1' },
      { type: 'track', userId: 'd', event: 'Dup', messageId: 'dup-2' },
    ]);
    expect((await send(s, '/v1/events', twice, json())).json).toEqual({ accepted: 3, rejected: [] });
    expect(await countEvents(s.wh, 'src_1')).toBe(before + 2);
    // the first of the repeated events is the one stored
    expect((await rows(s, `message_id IN ('dup-1', 'dup-2')`)).map((x) => x.message_id)).toEqual(['dup-1', 'dup-2']);
    const c2 = s.log.counters('src_1');
    expect([c2.received - c1.received, c2.accepted - c1.accepted, c2.duplicates - c1.duplicates]).toEqual([3, 2, 1]);
    // another source with the same messageIds: stored, no duplicates
    const other = s.log.counters('src_2');
    const otherBefore = await countEvents(s.wh, 'src_2');
    expect((await send(s, '/v1/events', bytes('webhook-batch.json'), json(KEY2))).json).toEqual({ accepted: 5, rejected: [] });
    expect(await countEvents(s.wh, 'src_2')).toBe(otherBefore + 5);
    const other2 = s.log.counters('src_2');
    expect([other2.accepted - other.accepted, other2.duplicates - other.duplicates]).toEqual([5, 0]);
    // The debugger shows each event of a live request as it was answered (accepted), with an id of the request's:
    // a retry is not told apart there, only in the counters.
    const recent = s.sample.recent('src_1', 8);
    expect(recent.map((e) => [e.status, e.messageId])).toEqual([
      ['accepted', 'dup-2'],
      ['accepted', 'dup-1'],
      ['accepted', 'dup-1'],
      ['accepted', 'wb-5'],
      ['accepted', 'wb-4'],
      ['accepted', 'wb-3'],
      ['accepted', 'wb-2'],
      ['accepted', 'wb-1'],
    ]);
    const requestIds = recent.map((e) => /^a(.+)-(\d+)$/.exec(e.id));
    expect(requestIds.every((m) => m !== null)).toBe(true);
    expect(requestIds.map((m) => Number(m![2]))).toEqual([2, 1, 0, 4, 3, 2, 1, 0]);
    expect(new Set(requestIds.slice(0, 3).map((m) => m![1])).size).toBe(1);
    expect(new Set(requestIds.slice(3).map((m) => m![1])).size).toBe(1);
    expect(requestIds[0]![1]).not.toBe(requestIds[3]![1]);
    expect(s.sample.recent('src_1').map((e) => e.status)).not.toContain('duplicate');
  });

  it('stores the good events of a mixed batch and reports each bad one with its index and reason', async () => {
    const before = await countEvents(s.wh, 'src_1');
    const statsBefore = s.log.counters('src_1');
    const r = await send(s, '/v1/events', bytes('invalid/mixed-batch.json'), json());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      accepted: 3,
      rejected: [
        { index: 1, reason: 'userId or anonymousId is required' },
        { index: 2, reason: 'track needs an event name (event)' },
        { index: 3, reason: 'Unknown type "launch" (expected one of identify, track, page, screen, group, alias)' },
        { index: 5, reason: 'The event is not a JSON object (got string)' },
        { index: 6, reason: 'traits must be an object (got string)' },
      ],
    });
    expect(await countEvents(s.wh, 'src_1')).toBe(before + 3);
    const ids = (await rows(s, `user_id IN ('ok-1','ok-5') OR anonymous_id = 'anon-only'`)).map((x) => x.user_id ?? x.anonymous_id);
    expect(ids).toEqual(['ok-1', 'anon-only', 'ok-5']);
    const after = s.log.counters('src_1');
    expect(after.received - statsBefore.received).toBe(8);
    expect(after.accepted - statsBefore.accepted).toBe(3);
    expect(after.rejected - statsBefore.rejected).toBe(5);
    expect(after.duplicates - statsBefore.duplicates).toBe(0);
    // the debugger shows all 8, newest (highest index) first, rejected ones with their reason and payload
    const recent = s.sample.recent('src_1', 8);
    expect(recent.map((e) => e.status)).toEqual(['accepted', 'rejected', 'rejected', 'accepted', 'rejected', 'rejected', 'rejected', 'accepted']);
    expect(recent[1]).toMatchObject({ status: 'rejected', reason: 'traits must be an object (got string)', userId: 'ok-4', payload: { traits: 'should be an object' } });
    expect(recent[2]).toMatchObject({ status: 'rejected', payload: 'not an object', type: null });
    expect(recent[0]).toMatchObject({ status: 'accepted', userId: 'ok-5', type: 'identify', payload: { traits: { email: 'ok5@example.com' } } });
    // ids of the request's: a<request>-<index> for accepted events, x<request>-<index> for rejected ones
    const entryIds = recent.map((e) => /^([ax])(.+)-(\d+)$/.exec(e.id));
    expect(entryIds.map((m) => m && [m[1], Number(m[3])])).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map((i, k) => [recent[k].status === 'accepted' ? 'a' : 'x', i]));
    expect(new Set(entryIds.map((m) => m?.[2])).size).toBe(1);
  });

  it('pushes events.received to subscribers within 250 ms of the commit', async () => {
    pushes.length = 0;
    const t0 = performance.now();
    const r = await send(s, '/v1/track', JSON.stringify({ userId: 'live', event: 'Live', messageId: 'live-1' }), json());
    const answered = performance.now();
    expect(r.status).toBe(200);
    while (!pushes.some((p) => p.events.some((e) => e.messageId === 'live-1')) && performance.now() - answered < 1000) {
      await new Promise((res) => setTimeout(res, 5));
    }
    const got = pushes.find((p) => p.events.some((e) => e.messageId === 'live-1'));
    expect(got?.sourceId).toBe('src_1');
    expect(performance.now() - t0).toBeLessThan(250 + (answered - t0));
    expect(got?.events[0]).toMatchObject({ status: 'accepted', type: 'track', event: 'Live', userId: 'live', sourceId: 'src_1' });
  });

  it('keeps the stats and the debugger sample across a restart', async () => {
    await s.loader.flush();
    await s.log.flush();
    const counters = s.log.counters('src_1');
    const inTable = await countEvents(s.wh, 'src_1');
    // what this file sent to src_1: the retried webhook batch (5), the retried /v1/batch body (2) and dup-1 (1) were duplicates
    expect(counters.accepted).toBe(inTable);
    expect(counters.duplicates).toBe(8);
    expect(counters.received).toBe(counters.accepted + counters.duplicates + counters.rejected);
    const live = s.sample.recent('src_1', 100);
    expect(live.length).toBeLessThan(100); // the whole history of src_1 is in the sample
    // a second log on the same file, as after a restart
    const log2 = await createEventLog(await s.wh.connect());
    expect(log2.counters('src_1')).toEqual(counters);
    expect(log2.sourceIds().sort()).toEqual(['src_1', 'src_2']);
    const sample2 = createEventSample();
    await sample2.restore(log2);
    const restored = sample2.recent('src_1', 100);
    // Live entries carry ids of their request (a<request>-<index>, x<request>-<index>); restored ones the log's (e<seq>, r<id>).
    expect(live.every((e) => /^[ax].+-\d+$/.test(e.id) && e.id[0] === (e.status === 'accepted' ? 'a' : 'x'))).toBe(true);
    expect(restored.every((e) => (e.status === 'accepted' ? /^e\d+$/ : /^r\d+$/).test(e.id))).toBe(true);
    // The log keeps each event once, as first received: the live entries of retried events are not restored.
    const firstArrivals = (entries: SampleEntry[]) => {
      const seen = new Set<string | null | undefined>();
      return [...entries]
        .reverse()
        .filter((e) => !seen.has(e.messageId) && seen.add(e.messageId))
        .reverse();
    };
    const strip = ({ id: _id, ...rest }: SampleEntry) => rest;
    const liveAccepted = firstArrivals(live.filter((e) => e.status === 'accepted'));
    const liveRejected = live.filter((e) => e.status === 'rejected');
    expect(liveAccepted.length).toBe(live.filter((e) => e.status === 'accepted').length - 8);
    expect(restored.length).toBe(liveAccepted.length + liveRejected.length);
    // the same accepted and rejected entries, each kind newest first (entries received in the same millisecond
    // may interleave differently between the kinds).
    const restoredAccepted = restored.filter((e) => e.status === 'accepted');
    expect(restoredAccepted.map(strip)).toEqual(liveAccepted.map(strip));
    expect(restored.filter((e) => e.status === 'rejected').map(strip)).toEqual(liveRejected.map(strip));
    expect(restoredAccepted.map((e) => e.id)).toEqual((await rows(s, `source_id = 'src_1'`)).map((x) => `e${x.seq}`).reverse());
    expect(restored.find((e) => e.reason === 'traits must be an object (got string)')).toMatchObject({ payload: { traits: 'should be an object' } });
    const stats = await log2.stats('src_1', NOW);
    expect(stats).toMatchObject({ ...counters });
    expect(stats.today).toBe(inTable);
    await log2.close();
  });

  it('serves only ingestion routes beside the health check', async () => {
    expect((await send(s, '/health', undefined, {}, 'GET')).status).toBe(200);
    expect((await send(s, '/v1/events', undefined, {}, 'GET')).status).toBe(404);
    expect((await send(s, '/api/sources.list', '{}', json())).status).toBe(404);
  });
});
