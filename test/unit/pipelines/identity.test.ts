import { describe, expect, it } from 'vitest';
import { mergeValues, resolveIdentities, type AcceptedEvent, type IdentityLookup } from '../../../src-main/core/pipelines/identity';

let n = 0;
const ev = (userId: string | null, anonymousId: string | null, ts: number, values: Record<string, unknown> = {}): AcceptedEvent => ({
  seq: ++n,
  ts,
  userId,
  anonymousId,
  values,
});
const ids = () => {
  let i = 0;
  return () => `new${++i}`;
};
const empty = (): IdentityLookup => ({ byUserId: new Map(), byAnonymousId: new Map() });

describe('identity resolution of a batch', () => {
  it('keys users by userId, anonymous events by anonymousId', () => {
    const r = resolveIdentities([ev('u1', null, 1), ev('u1', null, 2), ev(null, 'a1', 3), ev(null, 'a1', 4)], empty(), ids());
    expect(r.userOf).toEqual(['new1', 'new1', 'new2', 'new2']);
    expect([...r.created]).toEqual(['new1', 'new2']);
    expect(r.identities.map((x) => [x.userId, x.anonymousId, x.id])).toEqual([
      ['u1', null, 'new1'],
      [null, 'a1', 'new2'],
    ]);
  });

  it('an identify with both ids turns the anonymous user into the identified one, in one batch', () => {
    const r = resolveIdentities([ev(null, 'a1', 1), ev('u1', 'a1', 2), ev(null, 'a1', 3)], empty(), ids());
    expect(r.userOf).toEqual(['new1', 'new1', 'new1']);
    expect([...r.created]).toEqual(['new1']);
    expect(r.identities.map((x) => [x.userId, x.anonymousId, x.id])).toEqual([['u1', 'a1', 'new1']]);
    expect(r.joinedAnonymousIds).toEqual(['a1']);
  });

  it('joins an existing anonymous user into a new userId, keeping its _id', () => {
    const lookup = empty();
    lookup.byAnonymousId.set('a1', { id: 'X', userId: null });
    const r = resolveIdentities([ev('u1', 'a1', 5)], lookup, ids());
    expect(r.userOf).toEqual(['X']);
    expect(r.created.size).toBe(0);
    expect(r.merges.size).toBe(0);
    expect(r.joinedAnonymousIds).toEqual(['a1']);
  });

  it('merges an existing anonymous user into an existing identified one', () => {
    const lookup = empty();
    lookup.byUserId.set('u1', 'Y');
    lookup.byAnonymousId.set('a1', { id: 'X', userId: null });
    const r = resolveIdentities([ev(null, 'a1', 1), ev('u1', 'a1', 2), ev(null, 'a1', 3)], lookup, ids());
    expect(r.userOf).toEqual(['Y', 'Y', 'Y']);
    expect([...r.merges]).toEqual([['X', 'Y']]);
    expect(r.joinedAnonymousIds).toEqual(['a1']);
  });

  it('never merges two identified users sharing an anonymousId (shared device)', () => {
    const lookup = empty();
    lookup.byUserId.set('u1', 'Y1');
    lookup.byAnonymousId.set('a1', { id: 'Y1', userId: 'u1' });
    const r = resolveIdentities([ev('u2', 'a1', 1), ev(null, 'a1', 2)], lookup, ids());
    expect(r.userOf).toEqual(['new1', 'new1']); // the newest identity holding a1 wins for anonymous events
    expect(r.merges.size).toBe(0);
    expect(r.joinedAnonymousIds).toEqual([]);
  });

  it('an anonymous user created in the batch and merged is never created', () => {
    const lookup = empty();
    lookup.byUserId.set('u1', 'Y');
    const r = resolveIdentities([ev(null, 'a9', 1), ev('u1', 'a9', 2)], lookup, ids());
    expect(r.userOf).toEqual(['Y', 'Y']);
    expect(r.created.size).toBe(0);
    expect(r.merges.size).toBe(0);
  });
});

describe('newest non-null value wins', () => {
  it('by event timestamp within a batch, later event on ties', () => {
    const events = [ev('u', null, 20, { plan: 'Pro', email: 'a@x' }), ev('u', null, 10, { plan: 'Free', city: 'Rome' }), ev('u', null, 20, { email: 'b@x' })];
    const { users } = mergeValues(events, ['Y', 'Y', 'Y'], new Map(), new Map());
    expect(users).toEqual([{ id: 'Y', values: { plan: 'Pro', email: 'b@x', city: 'Rome' }, times: { plan: 20, email: 20, city: 10 } }]);
  });

  it('against what the user already holds', () => {
    const times = new Map([['Y', { plan: 30, email: 5 }]]);
    const { users } = mergeValues([ev('u', null, 20, { plan: 'Free', email: 'new@x' })], ['Y'], new Map(), times);
    expect(users[0].values).toEqual({ email: 'new@x' });
    expect(users[0].times).toEqual({ plan: 30, email: 20 });
  });

  it('a merged user brings the values newer than the target and the batch', () => {
    const times = new Map<string, Record<string, number>>([
      ['Y', { plan: 10, email: 50 }],
      ['X', { plan: 20, email: 5, city: 7 }],
    ]);
    const { users, merges } = mergeValues([ev('u', 'a', 15, { city: 'Oslo' })], ['Y'], new Map([['X', 'Y']]), times);
    expect(merges).toEqual([{ from: 'X', into: 'Y', take: ['plan'] }]);
    expect(users[0].values).toEqual({ city: 'Oslo' });
    expect(users[0].times).toEqual({ plan: 20, email: 50, city: 15 });
  });
});

describe('arrays are unioned', () => {
  const tags = new Set(['tags']);
  it('unions the batch values in event order after what the user holds, whatever their times', () => {
    const events = [ev('u', null, 20, { tags: ['a', 'b'] }), ev('u', null, 10, { tags: ['b', 'c'] }), ev('u', null, 30, { tags: [] })];
    const { users } = mergeValues(events, ['Y', 'Y', 'Y'], new Map(), new Map([['Y', { tags: 40 }]]), tags, new Map([['Y', { tags: ['z', 'a'] }]]));
    expect(users).toEqual([{ id: 'Y', values: { tags: ['z', 'a', 'b', 'c'] }, times: { tags: 40 } }]);
  });

  it('a merge unions the survivor, the merged user, then the batch (never taken as a whole)', () => {
    const times = new Map<string, Record<string, number>>([
      ['Y', { tags: 10 }],
      ['X', { tags: 20, plan: 20 }],
    ]);
    const arrays = new Map([
      ['Y', { tags: ['vip', 'beta'] }],
      ['X', { tags: ['beta', 'mobile'] }],
    ]);
    const { users, merges } = mergeValues([ev('u', 'a', 30, { tags: ['desktop'] })], ['Y'], new Map([['X', 'Y']]), times, tags, arrays);
    expect(merges).toEqual([{ from: 'X', into: 'Y', take: ['plan'] }]);
    expect(users[0].values).toEqual({ tags: ['vip', 'beta', 'mobile', 'desktop'] });
    expect(users[0].times).toEqual({ tags: 30, plan: 20 });
  });
});
