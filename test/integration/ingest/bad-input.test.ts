/**
 * Every "Bad input" item of issue 3, over real HTTP: the right status and a
 * JSON error, never a crash, and nothing partial stored from a failed request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, KEY, bearer, countEvents, json, send, startServer, type RawResponse, type TestServer } from './helpers';

const MiB = 1024 * 1024;

function expectError(r: RawResponse, status: number, code: string, message?: RegExp | string) {
  expect(r.status, r.text).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.json?.error?.code).toBe(code);
  expect(typeof r.json?.error?.message).toBe('string');
  if (message) expect(r.json.error.message).toMatch(message);
}

/** A valid batch of n events of about `size` bytes each. */
function batch(n: number, size = 200, prefix = 'b') {
  const pad = 'x'.repeat(Math.max(0, size - 120));
  return Array.from({ length: n }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'Bulk', messageId: `${prefix}-${i}`, properties: { pad } }));
}

describe('bad input', () => {
  let s: TestServer;
  let stored = 0;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s?.stop();
  });
  // Nothing partial is ever stored by a failed request; the tests that store say how much.
  afterEach(async () => {
    await s.loader.flush();
    await s.log.flush();
    expect(await countEvents(s.wh)).toBe(stored);
    // every accepted event is new here: the log counts them all as stored, none as duplicates
    expect(s.log.counters('src_1')).toMatchObject({ accepted: stored, duplicates: 0 });
  });

  it('truncated JSON (the fixture): 400 with the parse position', async () => {
    const r = await send(s, '/v1/events', readFileSync(join(FIXTURES, 'invalid/truncated-json.txt')), json());
    expectError(r, 400, 'bad_request', "Invalid JSON at position 59 (line 1, column 60): unexpected end of input, expected ',' or '}'");
  });

  it('invalid JSON: 400 with the position', async () => {
    expectError(await send(s, '/v1/events', '{"type":"track",,}', json()), 400, 'bad_request', /^Invalid JSON at position 16 \(line 1, column 17\)/);
    expectError(await send(s, '/v1/events', "[{'type':'track'}]", json()), 400, 'bad_request', /position 2/);
    expectError(await send(s, '/v1/events', '[1] [2]', json()), 400, 'bad_request', /position 4/);
  });

  it('empty body, empty array, empty batch, or a body that is no event: 400', async () => {
    expectError(await send(s, '/v1/events', '', json()), 400, 'bad_request', 'The request body is empty');
    expectError(await send(s, '/v1/events', '  \n', json()), 400, 'bad_request', 'The request body is empty');
    expectError(await send(s, '/v1/events', '[]', json()), 400, 'bad_request', /batch is empty/);
    expectError(await send(s, '/v1/batch', '{"batch":[]}', json()), 400, 'bad_request', /batch is empty/);
    expectError(await send(s, '/v1/batch', '{"batch":{"type":"track"}}', json()), 400, 'bad_request', 'batch must be an array of events');
    expectError(await send(s, '/v1/batch', '{"batch":[{"type":"track","userId":"u","event":"E"}],"context":"x"}', json()), 400, 'bad_request');
    expectError(await send(s, '/v1/batch', '{"batch":[{"type":"track","userId":"u","event":"E"}],"sentAt":"later"}', json()), 400, 'bad_request');
    expectError(await send(s, '/v1/events', '42', json()), 400, 'bad_request');
    expectError(await send(s, '/v1/events', 'null', json()), 400, 'bad_request');
    expectError(await send(s, '/v1/track', '[{"userId":"u","event":"E"}]', json()), 400, 'bad_request', /must be one event/);
    expectError(await send(s, '/v1/events', gzipSync(''), { ...json(), 'content-encoding': 'gzip' }), 400, 'bad_request', 'The request body is empty');
  });

  it('missing, malformed, unknown or deleted write key: 401', async () => {
    const body = JSON.stringify({ type: 'track', userId: 'u', event: 'E', messageId: 'k-1' });
    const ct = { 'content-type': 'application/json' };
    expectError(await send(s, '/v1/track', body, ct), 401, 'unauthorized', /Missing write key/);
    for (const authorization of ['Bearer', 'Bearer two words', 'Token abc', 'Basic !!!', `Basic ${Buffer.from(`${KEY}:password`).toString('base64')}`]) {
      expectError(await send(s, '/v1/track', body, { ...ct, authorization }), 401, 'unauthorized', /Authorization/);
    }
    expectError(await send(s, '/v1/track', JSON.stringify({ type: 'track', userId: 'u', event: 'E', writeKey: 42 }), ct), 401, 'unauthorized', /Malformed writeKey/);
    expectError(await send(s, '/v1/track', body, { ...ct, authorization: 'Bearer wk_unknown' }), 401, 'unauthorized', /Unknown write key/);
    expectError(await send(s, '/v1/track', JSON.stringify({ type: 'track', userId: 'u', event: 'E', writeKey: 'wk_unknown' }), ct), 401, 'unauthorized');
    // a key that worked stops working as soon as it is deleted
    s.keys.set('wk_temporary_key_0001', 'src_1');
    expect((await send(s, '/v1/track', body, { ...ct, authorization: 'Bearer wk_temporary_key_0001' })).status).toBe(200);
    stored += 1;
    s.keys.delete('wk_temporary_key_0001');
    expectError(await send(s, '/v1/track', JSON.stringify({ userId: 'u', event: 'E', messageId: 'k-2' }), { ...ct, authorization: 'Bearer wk_temporary_key_0001' }), 401, 'unauthorized');
  });

  it('over 4 MiB with Content-Length: 413 naming the limit, before the body is read', async () => {
    const big = Buffer.from(JSON.stringify(batch(4500, 1000, 'big')));
    expect(big.length).toBeGreaterThan(4 * MiB);
    const r = await send(s, '/v1/events', big, json());
    expectError(r, 413, 'payload_too_large', /over the limit of 4 MiB \(4194304 bytes\)/);
  });

  it('over 4 MiB chunked, without Content-Length: 413 naming the limit', async () => {
    const chunk = Buffer.from(JSON.stringify(batch(100, 1000, 'chunk')).slice(1, -1) + ',');
    const chunks = [Buffer.from('['), ...Array.from({ length: Math.ceil((5 * MiB) / chunk.length) }, () => chunk), Buffer.from('{}]')];
    const r = await send(s, '/v1/events', chunks, { ...json(), 'transfer-encoding': 'chunked' });
    expectError(r, 413, 'payload_too_large', /4 MiB/);
    expect(r.headers.connection).toBe('close');
  });

  it('over 4 MiB once gunzipped (a zip bomb): 413', async () => {
    const bomb = gzipSync(Buffer.concat([Buffer.from('['), Buffer.alloc(50 * MiB, 0x20), Buffer.from(']')]));
    expect(bomb.length).toBeLessThan(MiB);
    expectError(await send(s, '/v1/events', bomb, { ...json(), 'content-encoding': 'gzip' }), 413, 'payload_too_large', /once decompressed/);
  });

  it('over 5000 events: 413; exactly 5000 is fine', async () => {
    expectError(await send(s, '/v1/events', JSON.stringify(batch(5001, 100, 'n')), json()), 413, 'payload_too_large', /5001 events, over the limit of 5000/);
    const r = await send(s, '/v1/events', JSON.stringify(batch(5000, 100, 'ok5000')), json());
    expect(r.json).toEqual({ accepted: 5000, rejected: [] });
    stored += 5000;
  });

  it('bad gzip: 400', async () => {
    expectError(await send(s, '/v1/events', Buffer.from('this is not gzip'), { ...json(), 'content-encoding': 'gzip' }), 400, 'bad_request', /^Bad gzip/);
    const truncated = gzipSync(JSON.stringify(batch(10))).subarray(0, 40);
    expectError(await send(s, '/v1/events', truncated, { ...json(), 'content-encoding': 'gzip' }), 400, 'bad_request', /^Bad gzip/);
  });

  it('wrong content type or encoding: 415', async () => {
    const body = JSON.stringify(batch(1));
    expectError(await send(s, '/v1/events', body, { ...bearer(), 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    expectError(await send(s, '/v1/events', body, { ...bearer(), 'content-type': 'text/html' }), 415, 'unsupported_media_type');
    expectError(await send(s, '/v1/events', body, { ...bearer(), 'content-type': 'text/plain; charset=iso-8859-1' }), 415, 'unsupported_media_type');
    expectError(await send(s, '/v1/events', body, bearer()), 415, 'unsupported_media_type', /Missing Content-Type/);
    expectError(await send(s, '/v1/events', body, { ...json(), 'content-encoding': 'br' }), 415, 'unsupported_media_type');
  });

  it('deeply nested events: rejected with a reason, never a crash; their neighbours are stored', async () => {
    const deepValue = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const body = `[{"type":"track","userId":"u","event":"Deep","messageId":"deep-1","properties":${deepValue}},{"type":"track","userId":"u","event":"Fine","messageId":"deep-ok"}]`;
    const r = await send(s, '/v1/events', body, json());
    expect(r.json).toEqual({ accepted: 1, rejected: [{ index: 0, reason: 'The event nests deeper than 64 levels' }] });
    stored += 1;
    // a body that is one huge nested array: not an event
    const arrays = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const r2 = await send(s, '/v1/events', arrays, json());
    expect(r2.json).toEqual({ accepted: 0, rejected: [{ index: 0, reason: 'The event is not a JSON object (got an array)' }] });
  });

  it('huge single events: over 32 KiB rejected with a reason; their neighbours are stored', async () => {
    const huge = { type: 'track', userId: 'u', event: 'Huge', messageId: 'huge-1', properties: { blob: 'x'.repeat(40 * 1024) } };
    const wide = { type: 'identify', userId: 'u', messageId: 'huge-2', traits: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) };
    const multibyte = { type: 'track', userId: 'u', event: 'Bytes', messageId: 'huge-3', properties: { s: 'é'.repeat(20 * 1024) } }; // 20K chars, 40 KiB
    const r = await send(s, '/v1/events', JSON.stringify([huge, batch(1, 100, 'huge-ok')[0], wide, multibyte]), json());
    expect(r.json.accepted).toBe(1);
    expect(r.json.rejected.map((x: { index: number }) => x.index)).toEqual([0, 2, 3]);
    for (const x of r.json.rejected) expect(x.reason).toMatch(/^The event is \d+ bytes, over the limit of 32 KiB per event$/);
    stored += 1;
    // the debugger keeps a preview, not the whole thing
    const entry = s.sample.recent('src_1').find((e) => e.messageId === 'huge-1');
    expect(entry).toMatchObject({ status: 'rejected', payload: { truncated: true } });
    expect(JSON.stringify(entry?.payload).length).toBeLessThan(4000);
  });

  it('non-UTF-8 bytes: stored with U+FFFD, never a crash', async () => {
    const body = Buffer.concat([
      Buffer.from('[{"type":"identify","userId":"latin1","messageId":"utf8-1","traits":{"name":"Jos'),
      Buffer.from([0xe9]), // "é" in Latin-1: not UTF-8
      Buffer.from(' M'),
      Buffer.from([0xfc, 0xff, 0xc0, 0x80]),
      Buffer.from('ller"}}]'),
    ]);
    const r = await send(s, '/v1/events', body, json());
    expect(r.json).toEqual({ accepted: 1, rejected: [] });
    stored += 1;
    const rows = await s.wh.query<[string]>(`SELECT raw->>'$.traits.name' FROM events WHERE message_id = 'utf8-1'`);
    expect(rows[0][0]).toBe('Jos\ufffd M\ufffd\ufffd\ufffd\ufffdller');
  });

  it('escaped lone surrogates and NUL characters are stored safely', async () => {
    const body = '[{"type":"track","userId":"u\\u0000x","event":"Odd \\ud800","messageId":"sur-1","properties":{"s":"\\udc00\\ud83d\\ude00","n":"a\\u0000b"}}]';
    const r = await send(s, '/v1/events', body, json());
    expect(r.json).toEqual({ accepted: 1, rejected: [] });
    stored += 1;
    const rows = await s.wh.query<[string, string]>(`SELECT CAST(raw AS VARCHAR), event FROM events WHERE message_id = 'sur-1'`);
    const raw = JSON.parse(rows[0][0]);
    expect(raw.properties).toEqual({ s: '\ufffd😀', n: 'a\u0000b' });
    expect(raw.event).toBe('Odd \ufffd');
  });

  it('"__proto__" keys: stored as plain data, no prototype pollution', async () => {
    const body =
      '[{"type":"identify","userId":"proto","messageId":"proto-1","__proto__":{"polluted":"yes"},"traits":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}},"context":{"__proto__":{"ip":"6.6.6.6"}}}]';
    const envelope = '{"batch":[{"type":"track","userId":"proto","event":"P","messageId":"proto-2"}],"context":{"__proto__":{"polluted":"env"}}}';
    expect((await send(s, '/v1/events', body, json())).json).toEqual({ accepted: 1, rejected: [] });
    expect((await send(s, '/v1/batch', envelope, json())).json).toEqual({ accepted: 1, rejected: [] });
    stored += 2;
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(probe.isAdmin).toBeUndefined();
    expect(probe.ip).toBeUndefined();
    const rows = await s.wh.query<[string]>(`SELECT CAST(raw AS VARCHAR) FROM events WHERE user_id = 'proto' ORDER BY seq`);
    const [a, b] = rows.map((x) => JSON.parse(x[0]));
    expect(a.__proto__).toEqual({ polluted: 'yes' });
    expect(a.traits.__proto__).toEqual({ isAdmin: true });
    expect(a.context.__proto__).toEqual({ ip: '6.6.6.6' });
    expect(b.context).toEqual(JSON.parse('{"__proto__":{"polluted":"env"}}'));
    const entry = s.sample.recent('src_1').find((e) => e.messageId === 'proto-1');
    expect(Object.getPrototypeOf(entry?.payload)).toBe(Object.prototype);
  });

  it('the server is still healthy after all of the above', async () => {
    expect((await send(s, '/health', undefined, {}, 'GET')).status).toBe(200);
    const r = await send(s, '/v1/events', JSON.stringify(batch(3, 100, 'final')), json());
    expect(r.json).toEqual({ accepted: 3, rejected: [] });
    stored += 3;
  });
});
