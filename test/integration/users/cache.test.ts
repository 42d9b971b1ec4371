import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheTuning } from '../../../src-main/core/users/cache';
import { openDomain, seedUsers, type Domain } from '../model/ctx';

// The in-memory orders and search copy (used for big tables) give exactly what the direct
// queries give, and never serve data older than the users table.
describe('users.list through the in-memory orders and search copy', () => {
  let d: Domain;
  const saved = { ...cacheTuning };
  beforeAll(async () => {
    Object.assign(cacheTuning, { shallowRows: 0, searchCopyMinUsers: 0, searchRebuildMs: 0, fingerprintTtlMs: 0 });
    d = await openDomain();
    await seedUsers(d, 700);
    await d.conn.run(`INSERT INTO user_identities (_user_id, source_id, user_id, anonymous_id) VALUES ('u000011', 'src', 'known-user', 'anon-11')`);
  });
  afterAll(async () => {
    Object.assign(cacheTuning, saved);
    await d.cleanup();
  });

  const ids = async (args: object) => (await d.ok('users.list', { limit: 1000, ...args })).users.map((u: any) => u._id);
  const truth = async (where: string, order: string) => (await d.rows(`SELECT _id FROM users ${where} ORDER BY ${order}`)).map((r) => r[0]);

  it.each([
    ['_created_at', 'desc'],
    ['last_name', 'asc'],
    ['first_name', 'desc'],
    ['_id', 'asc'],
  ] as const)('orders by %s %s like the table does, page by page', async (property, direction) => {
    const dir = direction.toUpperCase();
    const expected = await truth('', property === '_id' ? `_id ${dir}` : `"${property}" ${dir} NULLS LAST, _id ${dir}`);
    expect(await ids({ sort: { property, direction } })).toEqual(expected);
    const page = await d.ok('users.list', { sort: { property, direction }, offset: 650, limit: 100 });
    expect(page.total).toBe(700);
    expect(page.users.map((u: any) => u._id)).toEqual(expected.slice(650));
  });

  it('searches through the copy with any sort, and identities still match', async () => {
    const where = `WHERE ${['email', 'first_name', 'last_name', 'phone', 'company', 'job_title', 'plan', 'country', 'city'].map((c) => `contains(lower(${c}), 'anna')`).join(' OR ')}`;
    expect(await ids({ search: 'ANNA' })).toEqual(await truth(where, '_created_at DESC NULLS LAST, _id DESC'));
    expect(await ids({ search: 'anna', sort: { property: 'email', direction: 'asc' } })).toEqual(await truth(where, 'email ASC NULLS LAST, _id ASC'));
    expect(await ids({ search: 'known-user' })).toEqual(['u000011']);
    expect(await ids({ search: 'u000012' })).toEqual(['u000012']);
  });

  it('sees writes at once (the fingerprint changes with every insert, update and delete)', async () => {
    cacheTuning.searchRebuildMs = 60_000; // no full rebuild: the copy is brought up to date in place
    expect((await d.ok('users.list', { search: 'zebra' })).total).toBe(0);
    await d.conn.run(`UPDATE users SET company = 'Zebra Inc', _updated_at = now() WHERE _id = 'u000100'`);
    expect(await ids({ search: 'zebra' })).toEqual(['u000100']);
    await d.conn.run(`INSERT INTO users (_id, email) VALUES ('zz', 'zebra@zoo.org')`);
    expect((await ids({ search: 'zebra' })).sort()).toEqual(['u000100', 'zz']);
    expect((await d.ok('users.list', { offset: 0, limit: 1, sort: { property: '_id', direction: 'desc' } })).users[0]._id).toBe('zz');
    await d.conn.run(`DELETE FROM users WHERE _id = 'zz'`);
    expect(await ids({ search: 'zebra' })).toEqual(['u000100']);
    expect((await d.ok('users.list', { limit: 1 })).total).toBe(700);
    // A row stamped long before the copy's watermark (a late commit) is still found.
    await d.conn.run(`UPDATE users SET city = 'Zebraville', _updated_at = TIMESTAMPTZ '2020-01-01 00:00:00+00' WHERE _id = 'u000200'`);
    expect(await ids({ search: 'zebra', sort: { property: '_id', direction: 'asc' } })).toEqual(['u000100', 'u000200']);
    cacheTuning.searchRebuildMs = 0;
  });

  it('follows a model change (rename) at once', async () => {
    const model = await d.ok('model.get');
    await d.ok('model.update', { properties: model.properties.map((p: any) => (p.name === 'company' ? { ...p, name: 'organization', previousName: 'company' } : p)) });
    const r = await d.ok('users.list', { search: 'zebra' });
    expect(r.users.map((u: any) => [u._id, u.organization])).toEqual([
      ['u000200', 'Acme 0'],
      ['u000100', 'Zebra Inc'],
    ]);
    expect(await ids({ sort: { property: 'organization', direction: 'asc' } })).toEqual(await truth('', 'organization ASC NULLS LAST, _id ASC'));
  });
});
