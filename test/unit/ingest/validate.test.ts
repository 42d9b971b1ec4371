import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan, validateEvent } from '../../../src-main/core/ingest/validate';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(FIXTURES + name, 'utf8'));

const reason = (e: unknown, opts = {}) => {
  const v = validateEvent(e, opts);
  return v.ok ? null : v.reason;
};

describe('validateEvent', () => {
  it('accepts every valid fixture', () => {
    for (const f of ['identify.json', 'track-with-context-traits.json', 'page-anonymous.json', 'group.json', 'alias.json']) {
      expect(validateEvent(fixture(f)), f).toEqual({ ok: true, type: fixture(f).type });
    }
    for (const e of fixture('webhook-batch.json')) expect(validateEvent(e).ok).toBe(true);
    for (const e of fixture('http-api-batch.json').batch) expect(validateEvent(e).ok).toBe(true);
  });

  it('rejects exactly indexes 1, 2, 3, 5 and 6 of the mixed batch, each with its reason', () => {
    const batch = fixture('invalid/mixed-batch.json') as unknown[];
    const reasons = batch.map((e) => reason(e));
    expect(reasons.map((r, i) => (r ? i : -1)).filter((i) => i >= 0)).toEqual([1, 2, 3, 5, 6]);
    expect(reasons[1]).toBe('userId or anonymousId is required');
    expect(reasons[2]).toBe('track needs an event name (event)');
    expect(reasons[3]).toMatch(/^Unknown type "launch"/);
    expect(reasons[5]).toBe('The event is not a JSON object (got string)');
    expect(reasons[6]).toBe('traits must be an object (got string)');
  });

  it('accepts an anonymous identify (traits before a user id is known)', () => {
    expect(validateEvent({ type: 'identify', anonymousId: 'a', traits: { email: 'x@y.z' } }).ok).toBe(true);
  });

  it('checks what each type needs', () => {
    expect(reason({ type: 'group', userId: 'u' })).toBe('group needs a groupId');
    expect(reason({ type: 'group', userId: 'u', groupId: 42 })).toBeNull();
    expect(reason({ type: 'alias', userId: 'u' })).toBe('alias needs a previousId');
    expect(reason({ type: 'alias', previousId: 'p', anonymousId: 'a' })).toBe('alias needs a userId (the new id)');
    expect(reason({ type: 'track', userId: 'u', event: 42 })).toBe('event must be a string');
    expect(reason({ type: 'page', anonymousId: 'a', name: ['x'] })).toBe('name must be a string');
    expect(reason({ type: 'screen', anonymousId: 'a', name: 'Home' })).toBeNull();
  });

  it('checks types of fields', () => {
    expect(reason({ userId: 'u' })).toBe('type is missing');
    expect(reason({ type: 7, userId: 'u' })).toBe('type must be a string');
    expect(reason({ type: 'identify', userId: { id: 1 } })).toBe('userId must be a string');
    expect(reason({ type: 'identify', userId: true })).toBe('userId must be a string');
    expect(reason({ type: 'identify', userId: 12345 })).toBeNull();
    expect(reason({ type: 'identify', userId: '', anonymousId: null })).toBe('userId or anonymousId is required');
    expect(reason({ type: 'identify', userId: 'u', messageId: ['m'] })).toBe('messageId must be a string');
    expect(reason({ type: 'identify', userId: 'x'.repeat(1025) })).toBe('userId is longer than 1024 characters');
    expect(reason({ type: 'track', userId: 'u', event: 'E', properties: [1, 2] })).toBe('properties must be an object (got an array)');
    expect(reason({ type: 'track', userId: 'u', event: 'E', properties: null })).toBeNull();
    expect(reason({ type: 'identify', userId: 'u', context: 'web' })).toBe('context must be an object (got string)');
    expect(reason({ type: 'identify', userId: 'u', context: { traits: 5 } })).toBe('context.traits must be an object');
    expect(reason({ type: 'identify', userId: 'u', integrations: 1 })).toBe('integrations must be an object (got number)');
  });

  it('checks dates', () => {
    expect(reason({ type: 'identify', userId: 'u', timestamp: 'yesterday' })).toMatch(/^timestamp is not an ISO 8601 date/);
    expect(reason({ type: 'identify', userId: 'u', timestamp: 1730000000000 })).toMatch(/^timestamp is not an ISO 8601 date/);
    expect(reason({ type: 'identify', userId: 'u', sentAt: '2025-02-30T00:00:00.000Z' })).toMatch(/^sentAt is not/);
    expect(reason({ type: 'identify', userId: 'u', originalTimestamp: '2025-11-02T09:00:00+02:00' })).toBeNull();
    expect(reason({ type: 'identify', userId: 'u', timestamp: null })).toBeNull();
  });

  it('takes the type from the path when given', () => {
    expect(validateEvent({ userId: 'u', event: 'E' }, { pathType: 'track' })).toEqual({ ok: true, type: 'track' });
    expect(validateEvent({ type: 'launch', userId: 'u' }, { pathType: 'identify' })).toEqual({ ok: true, type: 'identify' });
    expect(reason({ userId: 'u' }, { pathType: 'track' })).toBe('track needs an event name (event)');
  });

  it('rejects deeply nested events without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(reason({ type: 'track', userId: 'u', event: 'E', properties: deep })).toBe('The event nests deeper than 64 levels');
    let ok: unknown = 1;
    for (let i = 0; i < 60; i++) ok = [ok];
    expect(reason({ type: 'track', userId: 'u', event: 'E', properties: { ok } })).toBeNull();
    expect(nestsDeeperThan({ a: { b: 1 } }, 2)).toBe(false);
    expect(nestsDeeperThan({ a: { b: {} } }, 2)).toBe(true);
  });

  it('treats a "__proto__" key as data', () => {
    const e = JSON.parse('{"type":"identify","userId":"u","__proto__":{"type":"track"},"traits":{"__proto__":{"admin":true}}}');
    expect(validateEvent(e)).toEqual({ ok: true, type: 'identify' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
