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
import type { EventsReceived } from '../../../src-main/core/events/types';
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
    expect(r.json).toEqual({ accepted: 5, rejected: [], duplicates: 0 });
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
    expect(r.json).toEqual({ accepted: 2, rejected: [], duplicates: 0 });
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
    // a retry of the same body (messageIds derived from content) is deduplicated
    const again = await send(s, '/v1/batch', bytes('http-api-batch.json'), basic());
    expect(again.json).toEqual({ accepted: 0, rejected: [], duplicates: 2 });
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
      expect(r.json).toEqual({ accepted: 1, rejected: [], duplicates: 0 });
      const id = JSON.parse(bytes(file).toString()).messageId;
      const [row] = await rows(s, `message_id = '${id}'`);
      expect(row.type).toBe(type);
      expect(row.raw.type).toBe(type);
    });
  }

  it('stores a /v1/screen call, and the type always comes from the path', async () => {
    const r = await send(s, '/v1/screen', JSON.stringify({ anonymousId: 'a-screen', name: 'Home', messageId: 'screen-1' }), json());
    expect(r.json).toEqual({ accepted: 1, rejected: [], duplicates: 0 });
    const r2 = await send(s, '/v1/track', JSON.stringify({ type: 'page', userId: 'u-path', event: 'Clicked', messageId: 'path-1' }), json());
    expect(r2.json).toEqual({ accepted: 1, rejected: [], duplicates: 0 });
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
      expect(r.json, file).toEqual({ accepted: 1, rejected: [], duplicates: 0 });
    }
    expect(await countEvents(s.wh, 'src_2')).toBe(5);
  });

  it('accepts gzip and text/plain bodies', async () => {
    const batch = JSON.stringify([{ type: 'track', userId: 'gz', event: 'Zipped', messageId: 'gz-1' }]);
    const r = await send(s, '/v1/events', gzipSync(batch), { ...json(), 'content-encoding': 'gzip' });
    expect(r.json).toEqual({ accepted: 1, rejected: [], duplicates: 0 });
    const t = await send(s, '/v1/events', JSON.stringify({ type: 'track', userId: 'tp', event: 'Plain', messageId: 'tp-1' }), {
      'content-type': 'text/plain; charset=utf-8',
      ...bearer(),
    });
    expect(t.json).toEqual({ accepted: 1, rejected: [], duplicates: 0 });
    const g = await send(s, '/v1/batch', gzipSync(bytes('http-api-batch.json')), { ...basic(KEY2), 'content-encoding': 'gzip' });
    expect(g.json).toEqual({ accepted: 2, rejected: [], duplicates: 0 });
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
    const r = await send(s, '/v1/events', bytes('webhook-batch.json'), json());
    expect(r.json).toEqual({ accepted: 0, rejected: [], duplicates: 5 });
    const twice = JSON.stringify([
      { type: 'track', userId: 'd', event: 'Dup', messageId: 'dup-1' },
      { type: 'track', userId: 'd', event: 'Dup', messageId: 'dup-1' },
      { type: 'track', userId: 'd', event: 'Dup', messageId: 'dup-2' },
    ]);
    expect((await send(s, '/v1/events', twice, json())).json).toEqual({ accepted: 2, rejected: [], duplicates: 1 });
    expect(await countEvents(s.wh, 'src_1')).toBe(before + 2);
    expect((await send(s, '/v1/events', bytes('webhook-batch.json'), json(KEY2))).json).toEqual({ accepted: 5, rejected: [], duplicates: 0 });
    const dupEntries = s.sample.recent('src_1').filter((e) => e.status === 'duplicate');
    expect(dupEntries.length).toBeGreaterThanOrEqual(6);
  });

  it('stores the good events of a mixed batch and reports each bad one with its index and reason', async () => {
    const before = await countEvents(s.wh, 'src_1');
    const statsBefore = s.log.counters('src_1');
    const r = await send(s, '/v1/events', bytes('invalid/mixed-batch.json'), json());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      accepted: 3,
      duplicates: 0,
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
    // the debugger shows all 8, newest (highest index) first, rejected ones with their reason and payload
    const recent = s.sample.recent('src_1', 8);
    expect(recent.map((e) => e.status)).toEqual(['accepted', 'rejected', 'rejected', 'accepted', 'rejected', 'rejected', 'rejected', 'accepted']);
    expect(recent[1]).toMatchObject({ status: 'rejected', reason: 'traits must be an object (got string)', userId: 'ok-4', payload: { traits: 'should be an object' } });
    expect(recent[2]).toMatchObject({ status: 'rejected', payload: 'not an object', type: null });
    expect(recent[0]).toMatchObject({ status: 'accepted', userId: 'ok-5', type: 'identify', payload: { traits: { email: 'ok5@example.com' } } });
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
    await s.log.flush();
    const counters = s.log.counters('src_1');
    const live = s.sample.recent('src_1', 100);
    // a second log on the same file, as after a restart
    const log2 = await createEventLog(await s.wh.connect());
    expect(log2.counters('src_1')).toEqual(counters);
    expect(log2.sourceIds().sort()).toEqual(['src_1', 'src_2']);
    const sample2 = createEventSample();
    await sample2.restore(log2);
    const restored = sample2.recent('src_1', 100);
    // the same accepted and rejected entries (duplicates are not kept in the log), each kind newest first;
    // entries received in the same millisecond may interleave differently.
    const key = (e: { id: string; status: string; reason?: string }) => `${e.id}|${e.status}|${e.reason ?? ''}`;
    const liveKept = live.filter((e) => e.status !== 'duplicate');
    expect(restored.length).toBe(Math.min(100, liveKept.length));
    expect(new Set(restored.map(key))).toEqual(new Set(liveKept.map(key)));
    for (const status of ['accepted', 'rejected']) {
      expect(restored.filter((e) => e.status === status).map(key)).toEqual(liveKept.filter((e) => e.status === status).map(key));
    }
    expect(restored.find((e) => e.reason === 'traits must be an object (got string)')).toMatchObject({ payload: { traits: 'should be an object' } });
    const stats = await log2.stats('src_1', NOW);
    expect(stats).toMatchObject({ ...counters });
    expect(stats.today).toBe(await countEvents(s.wh, 'src_1'));
    await log2.close();
  });

  it('serves only ingestion routes beside the health check', async () => {
    expect((await send(s, '/health', undefined, {}, 'GET')).status).toBe(200);
    expect((await send(s, '/v1/events', undefined, {}, 'GET')).status).toBe(404);
    expect((await send(s, '/api/sources.list', '{}', json())).status).toBe(404);
  });
});
