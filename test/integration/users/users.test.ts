import { readFile } from 'node:fs/promises';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_MIGRATIONS } from '../../../src-main/core/events/schema';
import { registerExportRoutes } from '../../../src-main/core/users/export';
import { openDomain, seedUsers, type Domain } from '../model/ctx';

const N = 300;

async function waitExport(d: Domain, id: string) {
  for (let i = 0; i < 200; i++) {
    const s = await d.ok('users.exportStatus', { id });
    if (s.state !== 'running') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not finish');
}

describe('users.list / users.get / users.export (real DuckDB file)', () => {
  let d: Domain;
  beforeAll(async () => {
    d = await openDomain();
    await seedUsers(d, N);
    await d.conn.run(`INSERT INTO user_identities (_user_id, source_id, user_id, anonymous_id, first_seen, last_seen)
      SELECT _id, 'src_a', 'customer-' || substr(_id, 2), 'anon-' || substr(_id, 2), _created_at, _updated_at FROM users`);
    await d.conn.run(`INSERT INTO user_identities (_user_id, source_id, user_id, anonymous_id, first_seen, last_seen)
      VALUES ('u000007', 'src_b', NULL, 'device-XYZ', TIMESTAMPTZ '2023-01-01 00:00:00+00', TIMESTAMPTZ '2025-01-01 00:00:00+00')`);
  });
  afterAll(() => d.cleanup());

  it('lists the first page newest first with the total', async () => {
    const r = await d.ok('users.list');
    expect(r.total).toBe(N);
    expect(r.users).toHaveLength(100);
    expect(r.users[0]._id).toBe('u000299');
    expect(Object.keys(r.users[0]).slice(0, 4)).toEqual(['_id', '_created_at', '_updated_at', 'email']);
    expect(r.users[0]._created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(r.users[0].created_at).toMatch(/Z$/);
  });

  it('pages with offset and limit', async () => {
    const all = await d.ok('users.list', { limit: 1000 });
    expect(all.users).toHaveLength(N);
    const page = await d.ok('users.list', { offset: 250, limit: 100 });
    expect(page.users.map((u: any) => u._id)).toEqual(all.users.slice(250).map((u: any) => u._id));
    expect((await d.ok('users.list', { offset: 5000 })).users).toEqual([]);
  });

  it.each([
    ['_id', 'asc'],
    ['_created_at', 'asc'],
    ['_updated_at', 'desc'],
    ['first_name', 'asc'],
    ['first_name', 'desc'],
    ['last_name', 'asc'],
    ['created_at', 'desc'],
  ] as const)('sorts server-side by %s %s (nulls last, _id breaks ties)', async (property, direction) => {
    const r = await d.ok('users.list', { sort: { property, direction }, limit: 1000 });
    const dir = direction.toUpperCase();
    const expected = (await d.rows(`SELECT _id FROM users ORDER BY "${property}" ${dir} NULLS LAST, _id ${dir}`)).map((x) => x[0]);
    expect(r.users.map((u: any) => u._id)).toEqual(expected);
    if (property === 'first_name') expect(r.users.at(-1).first_name).toBeNull();
  });

  it('searches string properties case-insensitively, and identities exactly', async () => {
    const byEmail = await d.ok('users.list', { search: 'USER12@' });
    expect(byEmail.total).toBe(1);
    expect(byEmail.users[0].email).toBe('user12@example.com');
    const byName = await d.ok('users.list', { search: 'anna' });
    expect(byName.total).toBe(Number((await d.rows(`SELECT count(*) FROM users WHERE first_name = 'Anna'`))[0][0]));
    const byUserId = await d.ok('users.list', { search: 'customer-000042' });
    expect(byUserId.users.map((u: any) => u._id)).toEqual(['u000042']);
    const byAnon = await d.ok('users.list', { search: ' device-XYZ ' });
    expect(byAnon.users.map((u: any) => u._id)).toEqual(['u000007']);
    const byId = await d.ok('users.list', { search: 'u000123' });
    expect(byId.users.map((u: any) => u._id)).toEqual(['u000123']);
    const sorted = await d.ok('users.list', { search: 'city 3', sort: { property: 'email', direction: 'asc' }, limit: 5 });
    expect(sorted.total).toBe(Number((await d.rows(`SELECT count(*) FROM users WHERE city ILIKE '%city 3%'`))[0][0]));
    expect(sorted.users.map((u: any) => u.email)).toEqual([...sorted.users.map((u: any) => u.email)].sort());
  });

  it.each([
    "'; DROP TABLE users; --",
    "' OR 1=1 --",
    '%',
    '_',
    'x\') OR (\'1\'=\'1',
    '$1',
    '\\',
  ])('treats %j as text, never as SQL', async (search) => {
    const r = await d.ok('users.list', { search });
    expect(r.total).toBe(0);
    expect(Number((await d.rows('SELECT count(*) FROM users'))[0][0])).toBe(N);
  });

  it.each([
    [{ sort: { property: 'nope', direction: 'asc' } }, 'sort.property', /Unknown sort column "nope"/],
    [{ sort: { property: 'email; drop table users', direction: 'asc' } }, 'sort.property', /Unknown sort column/],
    [{ sort: { property: 'email', direction: 'up' } }, 'sort.direction', /Invalid/],
    [{ offset: -1 }, 'offset', /Offset must be 0 or more/],
    [{ limit: 1001 }, 'limit', /at most 1000/],
    [{ limit: 0 }, 'limit', /at least 1/],
    [{ limit: 1.5 }, 'limit', /Invalid/],
    [{ search: 'x'.repeat(201) }, 'search', /longer than 200/],
    [{ page: 2 }, 'page', /Unknown field/],
  ])('refuses %j with a 400 naming the field', async (args, field, message) => {
    const r = await d.call('users.list', args);
    expect(r).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', field } });
    expect((r as any).error.message).toMatch(message);
  });

  it('users.get returns properties, identities and first/last seen; events [] without an event log', async () => {
    await d.conn.run('DROP TABLE IF EXISTS events');
    const r = await d.ok('users.get', { id: 'u000007' });
    expect(r.user).toMatchObject({ _id: 'u000007', email: 'user7@example.com' });
    expect(r.identities).toHaveLength(2);
    expect(r.identities[0]).toEqual({ sourceId: 'src_b', userId: null, anonymousId: 'device-XYZ', firstSeen: '2023-01-01T00:00:00.000Z', lastSeen: '2025-01-01T00:00:00.000Z' });
    expect(r.firstSeen).toBe('2023-01-01T00:00:00.000Z');
    expect(r.lastSeen).toBe('2025-01-01T00:00:00.000Z');
    expect(r.events).toEqual([]);
    expect(await d.call('users.get', { id: 'missing' })).toMatchObject({ ok: false, status: 404 });
  });

  it('users.get returns the recent events of the identities, newest first, at most 50', async () => {
    await d.conn.run(EVENTS_MIGRATIONS[0].sql[0]);
    await d.conn.run(`INSERT INTO events (seq, source_id, message_id, dedupe_key, type, event, user_id, anonymous_id, "timestamp", received_at, raw)
      SELECT i, 'src_a', 'm' || i, i, 'track', 'Clicked', CASE WHEN i % 2 = 0 THEN 'customer-000007' END, CASE WHEN i % 2 = 1 THEN 'device-XYZ' END,
             TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(i), now(), json_object('type', 'track', 'n', i)
        FROM range(1, 61) t(i)`);
    await d.conn.run(`INSERT INTO events VALUES (100, 'src_a', 'other', 100, 'track', 'X', 'customer-000008', NULL, now(), now(), '{}')`);
    const r = await d.ok('users.get', { id: 'u000007' });
    expect(r.events).toHaveLength(50);
    expect(r.events[0]).toMatchObject({ seq: 60, sourceId: 'src_a', type: 'track', event: 'Clicked', raw: { type: 'track', n: 60 } });
    expect(r.events.map((e: any) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 60 - i));
  });

  it('exports the current view (search + sort) to CSV and serves it once', async () => {
    const started = await d.ok('users.export', { format: 'csv', search: 'city 3', sort: { property: 'email', direction: 'desc' } });
    expect(started.state).toBe('running');
    const done = await waitExport(d, started.id);
    expect(done).toMatchObject({ state: 'done', progress: 1, downloadPath: `/download/${started.id}` });
    expect(done.rows).toBe(Number((await d.rows(`SELECT count(*) FROM users WHERE city ILIKE '%city 3%'`))[0][0]));
    const app = Fastify();
    registerExportRoutes(app, d.ctx);
    const res = await app.inject({ method: 'GET', url: done.downloadPath });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="users-.*\.csv"/);
    const lines = res.body.trim().split('\n');
    expect(lines[0].split(',').slice(0, 4)).toEqual(['_id', '_created_at', '_updated_at', 'email']);
    expect(lines).toHaveLength(done.rows + 1);
    const emails = lines.slice(1).map((l) => l.split(',')[3]);
    expect(emails).toEqual([...emails].sort().reverse());
    expect((await app.inject({ method: 'GET', url: done.downloadPath })).statusCode).toBe(404);
    await app.close();
  });

  it('exports chosen columns to Parquet that DuckDB reads back', async () => {
    const started = await d.ok('users.export', { format: 'parquet', columns: ['_id', 'email', 'created_at'] });
    const done = await waitExport(d, started.id);
    expect(done.state).toBe('done');
    const dest = `${d.dir}/out.parquet`;
    const { saveExportTo } = await import('../../../src-main/core/users/export');
    await saveExportTo(d.ctx, started.id, dest);
    const r = await d.rows(`SELECT count(*), count(DISTINCT _id), any_value(typeof(created_at)) FROM read_parquet('${dest}')`);
    expect(r[0]).toEqual(['300', '300', 'TIMESTAMP WITH TIME ZONE']);
    expect((await readFile(dest)).subarray(0, 4).toString()).toBe('PAR1');
    expect(await d.call('users.export', { format: 'csv', columns: ['nope'] })).toMatchObject({ ok: false, status: 400, error: { field: 'columns.0' } });
    expect(await d.call('users.export', { format: 'xlsx' })).toMatchObject({ ok: false, status: 400, error: { field: 'format' } });
  });

  it('warehouse.tables lists users and user_identities with their columns', async () => {
    const r = await d.ok('warehouse.tables');
    expect(r.tables[0].name).toBe('users');
    expect(r.tables[0].columns.slice(0, 4)).toEqual([
      { name: '_id', type: 'VARCHAR' },
      { name: '_created_at', type: 'TIMESTAMPTZ' },
      { name: '_updated_at', type: 'TIMESTAMPTZ' },
      { name: 'email', type: 'VARCHAR' },
    ]);
    expect(r.tables[1].name).toBe('user_identities');
    expect(r.tables.map((t: any) => t.name)).toContain('events');
  });

  it('the users list follows a model change at once', async () => {
    const model = await d.ok('model.get');
    await d.ok('model.update', { properties: [...model.properties, { name: 'loyalty_points', type: 'int' }] });
    const r = await d.ok('users.list', { sort: { property: 'loyalty_points', direction: 'asc' }, limit: 1 });
    expect(r.users[0]).toHaveProperty('loyalty_points', null);
  });
});
