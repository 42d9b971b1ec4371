import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIsoDate } from '../../../src-main/core/ingest/dates';
import { generateMessageId, normalizeEvent } from '../../../src-main/core/ingest/normalize';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(FIXTURES + name, 'utf8'));
const NOW = new Date('2025-11-03T10:00:07.000Z');

describe('normalizeEvent', () => {
  it('sets receivedAt to the server time', () => {
    const n = normalizeEvent({ type: 'track', userId: 'u', event: 'E', receivedAt: '2020-01-01T00:00:00.000Z' }, { receivedAt: NOW });
    expect(n.receivedAt).toBe(NOW.toISOString());
  });

  it('corrects timestamp for clock skew: receivedAt - (sentAt - originalTimestamp)', () => {
    const n = normalizeEvent(fixture('track-with-context-traits.json'), { receivedAt: NOW });
    // sentAt - originalTimestamp = 16:20:01.500 - 16:20:01.120 = 380 ms
    expect(n.timestamp).toBe(new Date(NOW.getTime() - 380).toISOString());
    expect(n.sentAt).toBe('2025-10-20T16:20:01.500Z');
    expect(n.originalTimestamp).toBe('2025-10-20T16:20:01.120Z');
  });

  it('uses the envelope sentAt when the event has none', () => {
    const batch = fixture('http-api-batch.json');
    const n = normalizeEvent(batch.batch[0], { receivedAt: NOW, envelope: { context: batch.context, sentAt: batch.sentAt } });
    // sentAt 10:00:05, originalTimestamp 10:00:00 -> 5 s before receivedAt
    expect(n.sentAt).toBe('2025-11-03T10:00:05.000Z');
    expect(n.timestamp).toBe('2025-11-03T10:00:02.000Z');
    expect(n.context).toEqual({ library: { name: 'analytics-node', version: '3.1.0' } });
  });

  it("keeps the client's timestamp when there is no originalTimestamp, else uses receivedAt", () => {
    const wb = fixture('webhook-batch.json');
    expect(normalizeEvent(wb[0], { receivedAt: NOW }).timestamp).toBe('2025-11-02T09:00:00.000Z');
    expect(normalizeEvent({ type: 'identify', userId: 'u' }, { receivedAt: NOW }).timestamp).toBe(NOW.toISOString());
    expect(normalizeEvent({ type: 'identify', userId: 'u', timestamp: '2025-11-02T11:00:00+02:00' }, { receivedAt: NOW }).timestamp).toBe(
      '2025-11-02T09:00:00.000Z',
    );
    // originalTimestamp without any sentAt: taken as is
    expect(normalizeEvent({ type: 'identify', userId: 'u', originalTimestamp: '2025-11-02T09:00:00Z' }, { receivedAt: NOW }).timestamp).toBe(
      '2025-11-02T09:00:00.000Z',
    );
  });

  it("keeps Segment's timestamp on events forwarded by Segment (they carry Segment's receivedAt)", () => {
    const n = normalizeEvent(fixture('identify.json'), { receivedAt: NOW });
    expect(n.timestamp).toBe('2025-10-20T16:15:24.010Z');
    expect(n.receivedAt).toBe(NOW.toISOString());
    // forwarded without timestamp: the skew is measured against Segment's receivedAt
    const f = { ...fixture('identify.json') };
    delete f.timestamp;
    expect(normalizeEvent(f, { receivedAt: NOW }).timestamp).toBe(new Date(Date.parse('2025-10-20T16:15:24.340Z') - 335).toISOString());
  });

  it('generates a messageId when missing: derived from the content when the event has its own time, else random', () => {
    const e = { type: 'identify', userId: 'u', timestamp: '2025-11-02T09:00:00.000Z' };
    const a = normalizeEvent(e, { receivedAt: NOW }).messageId;
    const b = normalizeEvent({ ...e, sentAt: '2025-11-02T09:00:01.000Z' }, { receivedAt: new Date() }).messageId;
    expect(a).toMatch(/^gen-[0-9a-f]{32}$/);
    expect(b).toBe(a); // a retry (new sentAt) gets the same id
    expect(normalizeEvent({ ...e, userId: 'v' }, { receivedAt: NOW }).messageId).not.toBe(a);
    const r1 = normalizeEvent({ type: 'identify', userId: 'u' }, { receivedAt: NOW }).messageId;
    const r2 = normalizeEvent({ type: 'identify', userId: 'u' }, { receivedAt: NOW }).messageId;
    expect(r1).toMatch(/^gen-[0-9a-f-]{36}$/);
    expect(r1).not.toBe(r2);
    expect(generateMessageId({ userId: 'u', timestamp: 'x' }, 'track')).not.toBe(generateMessageId({ userId: 'u', timestamp: 'x' }, 'identify'));
    expect(normalizeEvent({ type: 'identify', userId: 'u', messageId: 'm-1' }, { receivedAt: NOW }).messageId).toBe('m-1');
    expect(normalizeEvent({ type: 'identify', userId: 'u', messageId: 77 }, { receivedAt: NOW }).messageId).toBe('77');
  });

  it('merges the envelope context into each event (the event wins key by key)', () => {
    const n = normalizeEvent(
      { type: 'track', userId: 'u', event: 'E', context: { ip: '1.2.3.4', library: { name: 'mine' } } },
      { receivedAt: NOW, envelope: { context: { library: { name: 'analytics-node' }, locale: 'en-US' } } },
    );
    expect(n.context).toEqual({ library: { name: 'mine' }, locale: 'en-US', ip: '1.2.3.4' });
    expect(normalizeEvent({ type: 'track', userId: 'u', event: 'E' }, { receivedAt: NOW }).context).toEqual({});
  });

  it('takes the type from the path', () => {
    expect(normalizeEvent({ type: 'page', userId: 'u', event: 'E' }, { receivedAt: NOW, pathType: 'track' }).type).toBe('track');
  });

  it('keeps context.traits and exposes it as traits for non-identify events', () => {
    const n = normalizeEvent(fixture('track-with-context-traits.json'), { receivedAt: NOW });
    expect(n.traits).toEqual({ email: 'emily.johnson@example.com', firstName: 'Emily', lastName: 'Johnson' });
    expect((n.context as { traits: unknown }).traits).toEqual(n.traits);
    const id = normalizeEvent({ type: 'identify', userId: 'u', context: { traits: { a: 1 } } }, { receivedAt: NOW });
    expect(id.traits).toBeUndefined();
    const g = normalizeEvent({ ...fixture('group.json'), context: { traits: { email: 'x' } } }, { receivedAt: NOW });
    expect(g.traits).toEqual(fixture('group.json').traits);
    const own = normalizeEvent({ type: 'track', userId: 'u', event: 'E', traits: { a: 1 }, context: { traits: { b: 2 } } }, { receivedAt: NOW });
    expect(own.traits).toEqual({ a: 1 });
  });

  it('stringifies numeric ids, nulls absent ones, drops writeKey, never mutates the input', () => {
    const input = { type: 'group', userId: 42, groupId: 7, writeKey: 'secret', anonymousId: '' };
    const copy = structuredClone(input);
    const n = normalizeEvent(input, { receivedAt: NOW });
    expect(n.userId).toBe('42');
    expect(n.groupId).toBe('7');
    expect(n.anonymousId).toBeNull();
    expect('writeKey' in n).toBe(false);
    expect(input).toEqual(copy);
  });

  it('keeps a "__proto__" key as plain data, without touching prototypes', () => {
    const input = JSON.parse('{"type":"identify","userId":"u","__proto__":{"polluted":true},"traits":{"__proto__":{"admin":true}}}');
    const n = normalizeEvent(input, { receivedAt: NOW });
    expect(Object.getPrototypeOf(n)).toBe(Object.prototype);
    expect((n as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(n, '__proto__')).toBe(true);
    expect(JSON.stringify(n)).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('parseIsoDate', () => {
  it('reads the ISO 8601 forms libraries send, as UTC when no offset is given', () => {
    expect(parseIsoDate('2025-11-02T09:00:00.000Z')).toBe(Date.UTC(2025, 10, 2, 9));
    expect(parseIsoDate('2025-11-02T09:00:00Z')).toBe(Date.UTC(2025, 10, 2, 9));
    expect(parseIsoDate('2025-11-02T09:00:00.123456Z')).toBe(Date.UTC(2025, 10, 2, 9, 0, 0, 123));
    expect(parseIsoDate('2025-11-02T11:00:00+02:00')).toBe(Date.UTC(2025, 10, 2, 9));
    expect(parseIsoDate('2025-11-02T11:00:00+0200')).toBe(Date.UTC(2025, 10, 2, 9));
    expect(parseIsoDate('2025-11-02T09:00')).toBe(Date.UTC(2025, 10, 2, 9));
    expect(parseIsoDate('2025-11-02 09:00:00')).toBe(Date.UTC(2025, 10, 2, 9));
    expect(parseIsoDate('2025-11-02')).toBe(Date.UTC(2025, 10, 2));
    expect(parseIsoDate('2024-02-29T00:00:00.000Z')).toBe(Date.UTC(2024, 1, 29));
  });
  it('refuses what is not a date', () => {
    for (const v of ['2025-02-30T00:00:00.000Z', '2025-02-29', '2025-13-01', '2025-11-02T25:00:00Z', 'Nov 2 2025', '', 1730000000000, null, '2025-11-02T09:00:00+25:00']) {
      expect(parseIsoDate(v), String(v)).toBeNull();
    }
  });
});
