import { describe, expect, it } from 'vitest';
import { compatible, resolveIdentities, type AcceptedEvent, type KeySets } from '../../../src-main/core/pipelines/identity';
import { identifierKeys, makeRules, usableId } from '../../../src-main/core/identity/rules';

const rules = makeRules({ properties: [{ name: 'email', identifier: true }, { name: 'phone', identifier: true }, { name: 'plan' }] }, ['', 'null', 'anonymous']);
let n = 0;
const newId = () => `new-${++n}`;
const ev = (userId: string | null, anonymousId: string | null, values: Record<string, unknown> = {}, ts = 1): AcceptedEvent => ({
  seq: ++n,
  ts,
  userId: usableId(userId, rules),
  anonymousId: usableId(anonymousId, rules),
  values,
  keys: identifierKeys(values, rules),
});
const empty = () => ({ byUserId: new Map<string, string>(), byAnonymousId: new Map<string, { id: string; userId: string | null }>() });

describe('the identity resolver (pure)', () => {
  it('normalizes identifier values and leaves blocked ones out, in priority order', () => {
    expect(identifierKeys({ phone: 5551234, email: '  Ann@X.io ', plan: 'Pro' }, rules)).toEqual([
      { property: 'email', rank: 1, value: 'ann@x.io' },
      { property: 'phone', rank: 2, value: '5551234' },
    ]);
    expect(identifierKeys({ email: ' NULL ' }, rules)).toEqual([]);
    expect(usableId(' anonymous ', rules)).toBeNull();
  });

  it('a higher-priority conflict blocks a join; a shared higher value allows it', () => {
    const a: KeySets = new Map([[0, new Set(['u1'])], [1, new Set(['a@x.io'])]]);
    const b: KeySets = new Map([[0, new Set(['u2'])], [1, new Set(['a@x.io'])]]);
    expect(compatible(a, b, 1)).toBe(false);
    const c: KeySets = new Map([[1, new Set(['a@x.io'])], [2, new Set(['1'])]]);
    const d: KeySets = new Map([[1, new Set(['b@x.io'])], [2, new Set(['1'])]]);
    expect(compatible(c, d, 2)).toBe(false);
    expect(compatible(c, d, 0)).toBe(true);
  });

  it('email joins across users in one batch, a phone shared by different emails does not', () => {
    const r = resolveIdentities(
      [ev('u1', null, { email: 'a@x.io' }), ev(null, 'anon-1', { email: 'A@x.io ' }), ev(null, 'anon-2', { email: 'b@x.io', phone: '1' }), ev(null, 'anon-3', { email: 'c@x.io', phone: '1' })],
      empty(),
      newId,
    );
    expect(r.userOf[0]).toBe(r.userOf[1]);
    expect(new Set(r.userOf).size).toBe(3);
    expect(r.created.size).toBe(3);
  });
});
