/**
 * checkEvents (the ingest route's fast verdicts) must agree exactly with
 * prepareEvents (what the journal's loader runs later on the same bytes):
 * same accepted events, same rejected indices and reasons, same generated
 * messageIds. And jsonBytesBound must never undercount JSON.stringify.
 * Checked on every shared fixture, on generated traffic, and on crafted
 * events around the size limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toStoredJson } from '../../../src-main/core/events/serialize';
import { checkEvents, DEFAULT_MAX_EVENT_BYTES, jsonBytesBound, prepareEvents, splitBody, type IngestRoute } from '../../../src-main/core/ingest/batch';
import { normalizeEvent } from '../../../src-main/core/ingest/normalize';
import { EVENT_TYPES } from '../../../src-main/core/ingest/validate';
import { fixturesDir, repoRoot } from '../../helpers/tmp';

const NOW = new Date('2025-11-03T10:00:07.000Z');
const REQUEST_ID = '0b7c6f2e-2d1f-4c55-9b8e-5a4c3b2a1f00';

interface Case {
  label: string;
  /** The request body (sent as its JSON text). */
  body: unknown;
  route?: IngestRoute;
  maxEventBytes?: number;
  /** Default REQUEST_ID; null: none (random generated ids). */
  requestId?: string | null;
  /** Also check jsonBytesBound on every value of the body (default true). */
  bounds?: boolean;
}

type Json = Record<string, any>;

/** The value and every value nested in it. */
function* values(v: unknown): Generator<unknown> {
  yield v;
  if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) yield* values((v as Record<string, unknown>)[k]);
}

/** Values whose bound is under their JSON's UTF-8 length (with a short description). */
function underBounds(root: unknown): string[] {
  const bad: string[] = [];
  for (const v of values(root)) {
    const bytes = Buffer.byteLength(JSON.stringify(v));
    const bound = jsonBytesBound(v);
    if (bound < bytes) bad.push(`${JSON.stringify(v).slice(0, 80)}: bound ${bound} < ${bytes}`);
  }
  return bad;
}

/** Compare the verdicts of checkEvents and prepareEvents on one request; returns the verdict counts. */
function agree(c: Case): { accepted: number; rejected: number; sizeRejected: number } {
  const text = JSON.stringify(c.body);
  const route = c.route ?? 'events';
  const requestId = c.requestId === null ? undefined : (c.requestId ?? REQUEST_ID);
  const opts = { receivedAt: NOW, maxEventBytes: c.maxEventBytes, requestId };
  // As in production: the route checks the parsed body, the loader parses the same bytes again.
  const routeReq = splitBody(JSON.parse(text), route, Number.MAX_SAFE_INTEGER);
  const checked = checkEvents(routeReq, { ...opts, sample: routeReq.items.length });
  const prepared = prepareEvents(splitBody(JSON.parse(text), route, Number.MAX_SAFE_INTEGER), opts);

  const label = `${c.label} (max ${c.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES})`;
  expect(checked.accepted, label).toBe(prepared.accepted.length);
  expect(
    checked.sampled().map((s) => s.index),
    label,
  ).toEqual(prepared.accepted.map((a) => a.index));
  expect(
    checked.rejected.map((r) => [r.index, r.reason]),
    label,
  ).toEqual(prepared.rejected.map((r) => [r.index, r.reason]));
  if (requestId !== undefined) {
    // Deterministic ids: the debugger's normalized events and facts are the ones the log stores.
    expect(
      checked.sampled().map((s) => s.normalized),
      label,
    ).toEqual(prepared.accepted.map((a) => a.normalized));
    expect(
      checked.sampled().map((s) => s.facts),
      label,
    ).toEqual(prepared.accepted.map((a) => a.facts));
    expect(
      checked.rejected.map((r) => r.record),
      label,
    ).toEqual(prepared.rejected.map((r) => r.record));
    // A partial sample: the last accepted events, with prepareEvents' messageIds.
    const few = checkEvents(splitBody(JSON.parse(text), route, Number.MAX_SAFE_INTEGER), { ...opts, sample: 3 });
    expect(
      few.sampled().map((s) => [s.index, s.normalized.messageId]),
      label,
    ).toEqual(prepared.accepted.slice(-3).map((a) => [a.index, a.normalized.messageId]));
  }
  if (c.bounds !== false) expect(underBounds(JSON.parse(text)), label).toEqual([]);
  return {
    accepted: prepared.accepted.length,
    rejected: prepared.rejected.length,
    sizeRejected: prepared.rejected.filter((r) => /over the limit/.test(r.reason)).length,
  };
}

const LIMITS = [undefined, 4096, 1024, 512];

// ---- fixtures

function fixtureFiles(): { name: string; value: unknown }[] {
  const out: { name: string; value: unknown }[] = [];
  for (const dir of [fixturesDir, join(fixturesDir, 'invalid')]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
      out.push({ name: f, value: JSON.parse(readFileSync(join(dir, f), 'utf8')) });
    }
  }
  return out;
}

/** Every way a fixture can be sent: as is, as a bare array, in an envelope (with a context and sentAt), by its path. */
function fixtureCases(): Case[] {
  const cases: Case[] = [];
  const envelopeContext = { library: { name: 'analytics-node', version: '6.0.0' }, traits: { plan: 'Pro', email: 'env@example.com' }, ip: '10.0.0.1' };
  for (const { name, value } of fixtureFiles()) {
    const v = value as any;
    const items: unknown[] = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray(v.batch) ? v.batch : [v];
    const forms: [string, unknown, IngestRoute][] = [
      [`${name} as is`, v, 'events'],
      [`${name} as an array`, items, 'events'],
      [`${name} in an envelope`, { batch: items, context: envelopeContext, sentAt: '2025-11-03T10:00:05.000Z' }, 'batch'],
      [`${name} in its own envelope`, { ...(Array.isArray(v) ? {} : v), batch: items }, 'events'],
    ];
    for (const item of items) {
      const t = (item as any)?.type;
      if (typeof t === 'string' && (EVENT_TYPES as readonly string[]).includes(t)) forms.push([`${name} item by path /v1/${t}`, item, t as IngestRoute]);
    }
    for (const [label, body, route] of forms) {
      for (const maxEventBytes of LIMITS) {
        cases.push({ label, body, route, maxEventBytes });
        cases.push({ label: `${label}, no request id`, body, route, maxEventBytes, requestId: null });
      }
    }
  }
  return cases;
}

// ---- generated traffic

async function generated(count: number, seed: number): Promise<Json[]> {
  const mod = (await import(pathToFileURL(join(repoRoot, '..', 'shared', 'tools', 'segment-events.mjs')).href)) as {
    generateEvents(o: { count: number; seed?: number }): Iterable<Json>;
  };
  const out: Json[] = [];
  let i = 0;
  for (const e of mod.generateEvents({ count, seed })) {
    // Some without messageId nor a time of their own: their ids derive from the request id.
    if (i % 7 === 3) {
      delete e.messageId;
      delete e.originalTimestamp;
    }
    // Some with numeric ids, some with context.traits on a track, some invalid.
    if (i % 11 === 5) e.userId = 100000 + i;
    if (i % 13 === 1 && e.type === 'track') e.context = { ...e.context, traits: { email: `t${i}@example.com`, note: 'Ünïcødé 😀'.repeat(i % 40) } };
    if (i % 97 === 0) delete e.anonymousId;
    out.push(e);
    i++;
  }
  return out;
}

// ---- crafted events around the limit

/** The size of an event once normalized (JSON bytes, as stored), valid or not. */
function normalizedBytes(event: Json, envelope?: Json): number {
  const e = JSON.parse(JSON.stringify(event)) as Json;
  const env = envelope ? (JSON.parse(JSON.stringify(envelope)) as Json) : undefined;
  return Buffer.byteLength(toStoredJson(normalizeEvent(e, { receivedAt: NOW, envelope: env, fallbackId: `${REQUEST_ID}-0` })));
}

/** The largest n whose size is at most maxBytes (sizeOf grows with n, roughly linearly). */
function crossing(sizeOf: (n: number) => number, maxBytes: number): number {
  const s0 = sizeOf(0);
  const step = sizeOf(64) - s0;
  if (step <= 0) throw new Error('the size does not grow with n');
  // Approximate, then walk to the exact crossing (sizes are only roughly linear: JSON escapes vary).
  let n = Math.max(0, Math.floor(((maxBytes - s0) * 64) / step));
  while (n > 0 && sizeOf(n) > maxBytes) n--;
  while (sizeOf(n + 1) <= maxBytes) n++;
  return n;
}

/** make(n) for the n around the one whose normalized size crosses maxBytes (`spread` on either side). */
function around(make: (n: number) => Json, maxBytes: number, spread = 4, envelope?: Json): Json[] {
  const n = crossing((k) => normalizedBytes(make(k), envelope), maxBytes);
  const out: Json[] = [];
  for (let k = Math.max(0, n - spread); k <= n + spread + 1; k++) out.push(make(k));
  return out;
}

const PADS: [string, string][] = [
  ['ascii', 'x'],
  ['2-byte', 'é'],
  ['3-byte', '€'],
  ['astral', '😀'],
  ['control', '\u0001'],
  ['quote', '"'],
  ['backslash', '\\'],
  ['line separator', '\u2028'],
  ['lone high surrogate', '\ud800'],
  ['lone low surrogate', '\udfff'],
  ['mixed', 'aé€😀\u0000"\\\ud800\n'],
];

const pad = (unit: string, n: number) => unit.repeat(n);

const trackBase = (i: number): Json => ({ type: 'track', event: 'Report Exported', userId: `u-${i}`, messageId: `m-${i}`, timestamp: '2025-11-03T10:00:00.000Z' });

function nest(depth: number, leaf: unknown): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { d: v };
  return v;
}

// ---- random events (seeded)

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '0', ' ', 'é', '€', '東', '😀', '\u0000', '\u001f', '\u007f', '"', '\\', '/', '\n', '\u2028', '\ud800', '\udc00', '\ufeff', '<'];
/**
 * Numbers of every print width JSON.parse can return up to 24 characters. (Negative numbers of magnitude
 * in [1e-6, 1e-5) with 17 significant digits print in 25 characters: see the tests below.)
 */
const NUMBERS = (
  [
    '0', '-0', '1', '-1', '42', '3.14', '-2.5', '1e21', '-1e21', '123456789012345680000', '-123456789012345680000',
    '1.7976931348623157e308', '-1.7976931348623157e308', '5e-324', '-5e-324', '2.2250738585072014e-308', '-2.2250738585072014e-308',
    '0.30000000000000004', '-0.000009999999999999999', '1.2345678901234567e-7', '-1.2345678901234567e-7', '9007199254740993',
    '0.0000012345678901234567', '1E+2', '-0.0', '100000000000000000000000',
  ] as const
).map((t) => JSON.parse(t) as number);

function randomValue(r: () => number, depth: number, size: number): unknown {
  const pick = r();
  if (depth <= 0 || pick < 0.45) {
    const k = r();
    if (k < 0.5) return randomString(r, Math.floor(r() * size));
    if (k < 0.75) return r() < 0.5 ? NUMBERS[Math.floor(r() * NUMBERS.length)] : Math.round((r() - 0.5) * 1e6) / 100;
    if (k < 0.9) return r() < 0.5;
    return null;
  }
  const n = Math.floor(r() * 5);
  if (pick < 0.7) return Array.from({ length: n }, () => randomValue(r, depth - 1, size));
  const o: Json = {};
  for (let i = 0; i < n; i++) o[r() < 0.05 ? '__proto__' : randomString(r, 1 + Math.floor(r() * 8))] = randomValue(r, depth - 1, size);
  return o;
}

function randomString(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

function randomEvent(r: () => number, i: number, size: number): unknown {
  if (r() < 0.03) return randomValue(r, 1, 10);
  const type = r() < 0.05 ? 'nope' : EVENT_TYPES[Math.floor(r() * EVENT_TYPES.length)];
  const e: Json = { type };
  const id = () => (r() < 0.2 ? Math.floor(r() * 1e6) : randomString(r, 1 + Math.floor(r() * 12)));
  if (r() < 0.8) e.userId = id();
  if (r() < 0.6) e.anonymousId = id();
  if (type === 'alias' && r() < 0.9) e.previousId = id();
  if (type === 'group' && r() < 0.9) e.groupId = id();
  if (type === 'track' && r() < 0.95) e.event = randomString(r, 1 + Math.floor(r() * 20));
  if (r() < 0.6) e.messageId = r() < 0.9 ? `m-${i}-${randomString(r, 4)}` : i;
  if (r() < 0.4) e.timestamp = r() < 0.9 ? new Date(NOW.getTime() - Math.floor(r() * 1e9)).toISOString() : '2025-11-03 10:00';
  if (r() < 0.2) e.originalTimestamp = new Date(NOW.getTime() - Math.floor(r() * 1e9)).toISOString();
  if (r() < 0.3) e.sentAt = new Date(NOW.getTime() - Math.floor(r() * 1e4)).toISOString();
  if (r() < 0.7) e.properties = randomValue(r, 4, size);
  if (r() < 0.5) e.traits = r() < 0.05 ? null : randomValue(r, 3, size);
  if (r() < 0.6) e.context = { ...(randomValue(r, 3, size) as object), ...(r() < 0.5 ? { traits: randomValue(r, 3, size) } : {}) };
  if (r() < 0.05) e.writeKey = 'wk_secret';
  return e;
}

describe('checkEvents agrees with prepareEvents', () => {
  it('on every fixture (as arrays, envelopes and single calls), at several limits', () => {
    const cases = fixtureCases();
    expect(cases.length).toBeGreaterThan(100);
    let rejected = 0;
    for (const c of cases) rejected += agree(c).rejected;
    // The mixed batch's bad events and the small limits reject some.
    expect(rejected).toBeGreaterThan(0);
  });

  it('on generated traffic (a few thousand events, arrays and envelopes, several limits)', async () => {
    const events = await generated(3000, 11);
    const totals = { accepted: 0, rejected: 0, sizeRejected: 0 };
    let r = 0;
    for (let i = 0; i < events.length; ) {
      const n = 1 + ((r * 53) % 200);
      const chunk = events.slice(i, i + n);
      i += n;
      const body =
        r % 3 === 0
          ? chunk
          : { batch: chunk, sentAt: '2025-11-03T10:00:06.000Z', ...(r % 3 === 2 ? { context: { library: { name: 'analytics.js', version: '5.2.0' }, traits: { plan: 'Pro' } } } : {}) };
      for (const maxEventBytes of [undefined, 1200, 1024, 900]) {
        const v = agree({ label: `generated request ${r}`, body, maxEventBytes, requestId: `${REQUEST_ID}-${r}` });
        totals.accepted += v.accepted;
        totals.rejected += v.rejected;
        totals.sizeRejected += v.sizeRejected;
      }
      r++;
    }
    // The small limits sit inside the generated events' sizes: both verdicts occur often.
    expect(totals.accepted).toBeGreaterThan(3000);
    expect(totals.sizeRejected).toBeGreaterThan(1000);
  });

  describe('around the size limit', () => {
    for (const maxEventBytes of [DEFAULT_MAX_EVENT_BYTES, 1024, 4096]) {
      it(`strings of every kind of character just under and over ${maxEventBytes} bytes`, () => {
        for (const [name, unit] of PADS) {
          const batch = around((n) => ({ ...trackBase(n), properties: { pad: pad(unit, n) } }), maxEventBytes);
          const v = agree({ label: `${name} pad`, body: batch, maxEventBytes });
          expect(v.accepted, name).toBeGreaterThan(0);
          expect(v.sizeRejected, name).toBeGreaterThan(0);
          // The same characters in keys.
          const keyed = around((n) => ({ ...trackBase(n), properties: { [`k${pad(unit, n)}`]: 1 } }), maxEventBytes);
          const k = agree({ label: `${name} key`, body: keyed, maxEventBytes });
          expect(k.accepted + k.sizeRejected, name).toBe(keyed.length);
        }
      });

      it(`a track without traits whose context.traits is copied to traits, around ${maxEventBytes} bytes`, () => {
        // The event's own context.
        const own = around((n) => ({ ...trackBase(n), context: { ip: '10.1.2.3', traits: { bio: pad('é', n) } } }), maxEventBytes);
        const v = agree({ label: 'event context.traits', body: own, maxEventBytes });
        expect(v.accepted).toBeGreaterThan(0);
        expect(v.sizeRejected).toBeGreaterThan(0);

        // The envelope's context (shared by the batch, so one request per size), copied to traits too.
        const probe = (n: number) => ({ context: { library: { name: 'x' }, traits: { bio: pad('€', n) } }, sentAt: '2025-11-03T10:00:06.000Z' });
        let accepted = 0;
        let sizeRejected = 0;
        const n = crossing((k) => normalizedBytes(trackBase(1), probe(k)), maxEventBytes);
        for (let k = Math.max(0, n - 3); k <= n + 4; k++) {
          // The batch: a track without traits (copied), an identify (not copied), a track with its own traits.
          const body = {
            ...probe(k),
            batch: [
              { ...trackBase(1) },
              { type: 'identify', userId: 'u', messageId: 'i-1' },
              { ...trackBase(2), traits: { own: true } },
              { ...trackBase(3), context: { traits: { small: 1 } } },
            ],
          };
          const r = agree({ label: `envelope context.traits ${k}`, body, maxEventBytes, route: 'batch' });
          accepted += r.accepted;
          sizeRejected += r.sizeRejected;
        }
        expect(accepted).toBeGreaterThan(0);
        expect(sizeRejected).toBeGreaterThan(0);

        // Both: a big envelope context and a big event context (the event's wins key by key).
        const both = around(
          (n) => ({ ...trackBase(n), context: { traits: { a: pad('x', n) }, page: { title: pad('😀', n >> 2) } } }),
          maxEventBytes,
          4,
          { context: { traits: { b: 'y'.repeat(300) }, locale: 'fr-FR', page: { title: 'z'.repeat(200) } } },
        );
        agree({ label: 'both contexts', body: { batch: both, context: { traits: { b: 'y'.repeat(300) }, locale: 'fr-FR', page: { title: 'z'.repeat(200) } } }, maxEventBytes });
      });

      it(`deep nesting near the depth limit, around ${maxEventBytes} bytes`, () => {
        for (const depth of [60, 61, 62, 63, 64]) {
          const batch = around((n) => ({ ...trackBase(n), properties: nest(depth - 2, { s: pad('ü', n) }) as Json }), maxEventBytes, 2);
          agree({ label: `depth ${depth}`, body: batch, maxEventBytes });
          // Arrays nest too.
          const arrays = around((n) => ({ ...trackBase(n), properties: { a: JSON.parse('['.repeat(depth - 3) + JSON.stringify(pad('x', n)) + ']'.repeat(depth - 3)) } }), maxEventBytes, 2);
          agree({ label: `array depth ${depth}`, body: arrays, maxEventBytes });
        }
      });

      it(`numbers, ids and generated messageIds, around ${maxEventBytes} bytes`, () => {
        const nums = around((n) => ({ ...trackBase(n), properties: { v: Array.from({ length: n }, (_, i) => NUMBERS[i % NUMBERS.length]) } }), maxEventBytes, 3);
        agree({ label: 'numbers', body: nums, maxEventBytes });
        // Numeric ids (normalized to strings), no messageId nor time (generated from the request id), a path route.
        const ids = around(
          (n) => ({ userId: JSON.parse('-1.2345678901234567e-7') as number, anonymousId: JSON.parse('9007199254740993') as number, event: 'E', properties: { p: pad('x', n) } }),
          maxEventBytes,
          3,
        );
        agree({ label: 'numeric ids', body: ids.map((e) => ({ ...e, type: 'track' })), maxEventBytes });
        for (const e of ids) agree({ label: 'by path', body: e, route: 'track', maxEventBytes });
        const groups = around((n) => ({ type: 'group', userId: 'u', groupId: 12345.678, traits: { t: pad('東', n) } }), maxEventBytes, 3);
        agree({ label: 'numeric groupId', body: groups, maxEventBytes });
      });

      it(`__proto__ keys and a writeKey in the event, around ${maxEventBytes} bytes`, () => {
        const batch = around(
          (n) => JSON.parse(`{"type":"identify","userId":"u${n}","writeKey":"wk_x","__proto__":{"x":"${'p'.repeat(n)}"},"traits":{"__proto__":{"polluted":true}}}`) as Json,
          maxEventBytes,
          3,
        );
        agree({ label: '__proto__', body: batch, maxEventBytes });
        expect(({} as Json).polluted).toBeUndefined();
      });
    }

    it('a 1 KiB limit: every event is measured exactly', () => {
      for (const [name, unit] of PADS) agree({ label: name, body: around((n) => ({ type: 'page', anonymousId: 'a', name: pad(unit, n) }), 1024, 6), maxEventBytes: 1024 });
      agree({ label: 'tiny limit', body: [{ type: 'identify', userId: 'u' }, { type: 'track', userId: 'u', event: 'E' }], maxEventBytes: 64 });
    });
  });

  it('on random events (seeded): unicode, control characters, lone surrogates, numbers, nesting', () => {
    const r = rng(20251103);
    let accepted = 0;
    let rejected = 0;
    for (let req = 0; req < 300; req++) {
      const size = [4, 16, 64, 400][req % 4];
      const items = Array.from({ length: 1 + Math.floor(r() * 12) }, (_, i) => randomEvent(r, i, size));
      const body = req % 2 === 0 ? items : { batch: items, ...(r() < 0.5 ? { context: { traits: { a: randomString(r, size) }, x: randomValue(r, 2, size) } } : {}) };
      for (const maxEventBytes of [undefined, 2048, 1024]) {
        const v = agree({ label: `random request ${req}`, body, maxEventBytes, requestId: `req-${req}` });
        accepted += v.accepted;
        rejected += v.rejected;
      }
    }
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});

describe('jsonBytesBound', () => {
  it('is at least the UTF-8 length of the JSON text of values of every kind', () => {
    const samples: unknown[] = [
      '',
      'plain',
      '\u0000\u0001\u001f\u007f',
      '"\\/\b\f\n\r\t',
      'é€東😀',
      '\ud800',
      '\udfff\ud800',
      '\u2028\u2029',
      ...NUMBERS,
      true,
      false,
      null,
      [],
      {},
      [[[]]],
      { '': '' },
      { [`k\u0000"😀\ud800`]: [1, 'x', null, { y: false }] },
      JSON.parse('{"__proto__":{"a":[1,2,{"__proto__":null}]}}'),
      nest(70, 'deep'),
    ];
    for (const s of samples) expect(underBounds(JSON.parse(JSON.stringify(s))), JSON.stringify(s)).toEqual([]);
    const r = rng(7);
    for (let i = 0; i < 2000; i++) {
      const v = JSON.parse(JSON.stringify(randomValue(r, 5, 30)));
      expect(underBounds(v)).toEqual([]);
    }
  });

  // A double JSON.parse returns can print in 25 characters, e.g. -0.0000012345678901234567 (sign, "0.00000",
  // 17 significant digits); the bound once assumed 24.
  it('bounds every number JSON.parse returns, 25-character ones included', () => {
    for (const text of ['-0.0000012345678901234567', '-0.000001234567890123456', '-0.0000099999999999999999']) {
      const v = JSON.parse(text) as number;
      expect(jsonBytesBound(v), text).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(v)));
    }
  });

  // With a bound too small, an event of ~1250 such numbers was accepted by the route (checkEvents) and rejected
  // as too large by the loader (prepareEvents): the client was told it was accepted, the event was not stored.
  it('checkEvents agrees with prepareEvents on events made of 25-character numbers just over the limit', () => {
    const x = JSON.parse('-0.0000012345678901234567') as number;
    const make = (n: number) => ({ type: 'track', event: 'E', userId: 'u', messageId: `m-${n}`, properties: { v: new Array(n).fill(x) } });
    // From the largest event under the limit to ~100 numbers (~2.5 KiB) over it.
    const n0 = crossing((n) => normalizedBytes(make(n)), DEFAULT_MAX_EVENT_BYTES);
    const batch = Array.from({ length: 100 }, (_, k) => make(n0 + k));
    // The verdicts only (the bound is checked above).
    agree({ label: '25-character numbers', body: batch, bounds: false });
  });
});
