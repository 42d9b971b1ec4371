import { describe, expect, it } from 'vitest';
import { keyFromAuthorization, keyFromBody, resolveKey } from '../../../src-main/core/ingest/auth';
import { IngestError } from '../../../src-main/core/ingest/errors';

const basic = (user: string, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function status(fn: () => unknown): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(IngestError);
    return (err as IngestError).status;
  }
}

describe('keyFromAuthorization', () => {
  it('reads Bearer and Basic (key as user name, empty password)', () => {
    expect(keyFromAuthorization('Bearer wk_abc')).toEqual({ key: 'wk_abc', scheme: 'bearer' });
    expect(keyFromAuthorization('bearer   wk_abc ')).toEqual({ key: 'wk_abc', scheme: 'bearer' });
    expect(keyFromAuthorization(basic('wk_abc'))).toEqual({ key: 'wk_abc', scheme: 'basic' });
    // Segment's libraries send base64("<writeKey>:")
    expect(keyFromAuthorization(`Basic ${Buffer.from('wk_abc:').toString('base64')}`)).toEqual({ key: 'wk_abc', scheme: 'basic' });
    expect(keyFromAuthorization(undefined)).toBeNull();
  });
  it('a malformed header is 401', () => {
    for (const h of ['', 'Bearer', 'Bearer ', 'Bearer a b', 'Token wk_abc', 'Basic %%%', basic('wk_abc', 'secret'), basic(''), `Bearer ${'x'.repeat(600)}`, 'Bearer wk_\u00e9']) {
      expect(status(() => keyFromAuthorization(h)), JSON.stringify(h)).toBe(401);
    }
  });
});

describe('keyFromBody', () => {
  it('reads writeKey from an event, an envelope, or the first event of an array', () => {
    expect(keyFromBody({ writeKey: 'wk_1', type: 'track' })).toBe('wk_1');
    expect(keyFromBody({ batch: [], writeKey: 'wk_2' })).toBe('wk_2');
    expect(keyFromBody([{ writeKey: 'wk_3' }, { writeKey: 'other' }])).toBe('wk_3');
    expect(keyFromBody([{ type: 'track' }])).toBeUndefined();
    expect(keyFromBody({ writeKey: null })).toBeUndefined();
    expect(keyFromBody('wk_4')).toBeUndefined();
  });
  it('ignores an inherited writeKey and refuses a malformed one', () => {
    expect(keyFromBody(Object.create({ writeKey: 'wk_inherited' }))).toBeUndefined();
    expect(status(() => keyFromBody({ writeKey: 42 }))).toBe(401);
    expect(status(() => keyFromBody({ writeKey: '' }))).toBe(401);
  });
});

describe('resolveKey', () => {
  it('asks the resolver every time: unknown or deleted keys are 401', async () => {
    const keys = new Map([['wk_1', 'src_1']]);
    const resolve = (k: string) => (keys.has(k) ? { sourceId: keys.get(k)! } : null);
    expect(await resolveKey('wk_1', resolve)).toEqual({ sourceId: 'src_1' });
    keys.delete('wk_1');
    await expect(resolveKey('wk_1', resolve)).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    await expect(resolveKey('wk_2', async () => undefined)).rejects.toMatchObject({ status: 401 });
  });
});
