import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../helpers/tmp';
import { MAPPING, segment, startApp, type Json, type TestApp } from './helpers';

const T0 = Date.UTC(2025, 9, 20, 12, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe('the pipeline runner (real DuckDB file, real engines)', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.cleanup();
    app = null;
  });

  it('imports the guide identify event into a users row with the model types', async () => {
    app = await startApp();
    await app.createPipeline({ transformation: MAPPING });
    const identify = JSON.parse(await readFile(join(fixturesDir, 'identify.json'), 'utf8')) as Json;
    await app.append([{ ...identify, traits: { ...(identify.traits as Json), createdAt: '2024-03-01T10:00:00+02:00' } }]);
    await app.idle();
    const rows = await app.sql(`SELECT email, plan, company, country, typeof(created_at), created_at::VARCHAR FROM users`);
    expect(rows).toEqual([['emily.johnson@example.com', 'Enterprise', 'Acme Corp', 'United States', 'TIMESTAMP WITH TIME ZONE', '2024-03-01 08:00:00+00']]);
    const ids = await app.sql(`SELECT source_id, user_id, anonymous_id FROM user_identities`);
    expect(ids).toEqual([[app.sourceId, '703991475', 'b27c5d9f-92a7-4d30-b21a-4df21a6872c2']]);
    const m = await app.call('pipelines.metrics', { id: (await app.call('pipelines.list', { sourceId: app.sourceId })).pipelines[0].id });
    expect(m.totals).toMatchObject({ received: 1, filteredOut: 0, usersCreated: 1, usersUpdated: 0 });
  });

  it('the preset filter skips events without traits; a repeat identify updates the same user', async () => {
    app = await startApp();
    const p = await app.createPipeline({ transformation: MAPPING });
    expect(p.filterSummary).toBe('type is "identify" or traits is not empty');
    await app.append([
      segment({ type: 'identify', userId: 'u1', traits: { email: 'a@x.io', plan: 'Free' }, timestamp: at(0) }),
      segment({ type: 'page', anonymousId: 'anon-9', name: 'Home', timestamp: at(1) }),
      segment({ type: 'track', userId: 'u1', event: 'Upgraded', traits: { plan: 'Pro' }, timestamp: at(2) }),
      segment({ type: 'identify', userId: 'u1', traits: { firstName: 'Ana' }, timestamp: at(3) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT email, plan, first_name FROM users`)).toEqual([['a@x.io', 'Pro', 'Ana']]);
    const m = await app.call('pipelines.metrics', { id: p.id });
    // Users are counted once per batch: created (and updated in the same batch) counts as created.
    expect(m.totals).toMatchObject({ received: 4, filteredOut: 1, usersCreated: 1, usersUpdated: 0 });
  });

  it('joins an anonymous visitor into the identified user (across batches and in one batch)', async () => {
    app = await startApp();
    await app.createPipeline({ transformation: MAPPING, filter: null });
    // Batch 1: an anonymous visitor with traits.
    await app.append([segment({ type: 'track', anonymousId: 'anon-1', event: 'Signup Started', traits: { email: 'zoe@x.io' }, timestamp: at(0) })]);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[1]]);
    const [[anonUser]] = await app.sql<[string]>(`SELECT _id FROM users`);
    // Batch 2: the identify that carries both ids joins them; later anonymous events go to the same user.
    await app.append([
      segment({ type: 'identify', userId: 'u-zoe', anonymousId: 'anon-1', traits: { firstName: 'Zoë' }, timestamp: at(1) }),
      segment({ type: 'page', anonymousId: 'anon-1', traits: { plan: 'Pro' }, timestamp: at(2) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT _id, email, first_name, plan FROM users`)).toEqual([[anonUser, 'zoe@x.io', 'Zoë', 'Pro']]);
    expect(await app.sql(`SELECT user_id, anonymous_id, _user_id FROM user_identities ORDER BY 1 NULLS FIRST`)).toEqual([['u-zoe', 'anon-1', anonUser]]);

    // An existing identified user absorbs another anonymous visitor (one batch: anonymous then identify).
    await app.append([
      segment({ type: 'track', anonymousId: 'anon-2', event: 'Viewed', traits: { company: 'Hooli' }, timestamp: at(3) }),
      segment({ type: 'track', anonymousId: 'anon-3', event: 'Viewed', traits: { city: 'Oslo' }, timestamp: at(3) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[3]]);
    await app.append([segment({ type: 'identify', userId: 'u-zoe', anonymousId: 'anon-2', traits: {}, timestamp: at(4) })]);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[2]]);
    expect(await app.sql(`SELECT company, first_name FROM users WHERE _id = '${anonUser}'`)).toEqual([['Hooli', 'Zoë']]);
    expect(await app.sql(`SELECT count(*) FROM user_identities WHERE _user_id = '${anonUser}'`)).toEqual([[2]]);
    expect(await app.sql(`SELECT count(*) FROM user_property_times`)).toEqual([[2]]);
  });

  it('the newest non-null value wins by event timestamp, whatever the processing order', async () => {
    app = await startApp();
    await app.createPipeline({ transformation: MAPPING });
    // In one batch: a later event with an older timestamp does not win; null never erases.
    await app.append([
      segment({ type: 'identify', userId: 'u1', traits: { plan: 'Pro', email: 'new@x.io' }, timestamp: at(10) }),
      segment({ type: 'identify', userId: 'u1', traits: { plan: 'Free', email: null, company: 'Acme' }, timestamp: at(5) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT plan, email, company FROM users`)).toEqual([['Pro', 'new@x.io', 'Acme']]);
    // Across batches: an old event arriving late does not overwrite; a newer one does.
    await app.append([segment({ type: 'identify', userId: 'u1', traits: { plan: 'Starter', company: 'Old Co' }, timestamp: at(1) })]);
    await app.idle();
    expect(await app.sql(`SELECT plan, company FROM users`)).toEqual([['Pro', 'Acme']]);
    await app.append([segment({ type: 'identify', userId: 'u1', traits: { plan: 'Enterprise' }, timestamp: at(20) })]);
    await app.idle();
    expect(await app.sql(`SELECT plan, company FROM users`)).toEqual([['Enterprise', 'Acme']]);
  });

  it('runs several pipelines independently, each with its own cursor, filter and transformation', async () => {
    app = await startApp();
    const a = await app.createPipeline({ name: 'Identifies', transformation: { kind: 'mapping', mapping: { email: 'traits.email' } } });
    const b = await app.createPipeline({
      name: 'Plans from tracks',
      filter: { logical: 'and', conditions: [{ property: 'type', operator: 'is', values: ['track'] }] },
      transformation: { kind: 'javascript', source: 'function transform(e) { return { plan: e.properties.plan.toUpperCase() } }' },
    });
    await app.append([
      segment({ type: 'identify', userId: 'u1', traits: { email: 'a@x.io' }, timestamp: at(0) }),
      segment({ type: 'track', userId: 'u1', event: 'Plan', properties: { plan: 'pro' }, timestamp: at(1) }),
      segment({ type: 'track', userId: 'u2', event: 'Plan', properties: { plan: 'free' }, timestamp: at(2) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT u.user_id, email, plan FROM users JOIN user_identities u ON u._user_id = users._id ORDER BY 1`)).toEqual([
      ['u1', 'a@x.io', 'PRO'],
      ['u2', null, 'FREE'],
    ]);
    const ma = await app.call('pipelines.metrics', { id: a.id });
    const mb = await app.call('pipelines.metrics', { id: b.id });
    expect(ma.totals).toMatchObject({ received: 3, filteredOut: 2, usersCreated: 1 });
    expect(mb.totals).toMatchObject({ received: 3, filteredOut: 1 });
    expect(mb.totals.usersCreated + ma.totals.usersCreated).toBe(2);
    // Another source's events are not theirs.
    const other = (await app.call('sources.create', { type: 'segment', name: 'Other' })).id;
    await app.append([segment({ type: 'identify', userId: 'u9', traits: { email: 'o@x.io' } })], other);
    await app.idle();
    expect((await app.call('pipelines.status', { id: a.id })).total).toBe(3);
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[2]]);
  });

  it('disabling stops at once, enabling resumes from the cursor, replay reprocesses everything', async () => {
    app = await startApp();
    const p = await app.createPipeline({ transformation: { kind: 'mapping', mapping: { email: 'traits.email', plan: 'traits.plan' } } });
    await app.append([segment({ type: 'identify', userId: 'u1', traits: { email: 'a@x.io', plan: 'Free' }, timestamp: at(0) })]);
    await app.idle();
    const off = await app.call('pipelines.setEnabled', { id: p.id, enabled: false });
    expect(off.enabled).toBe(false);
    await app.append([segment({ type: 'identify', userId: 'u2', traits: { email: 'b@x.io' }, timestamp: at(1) })]);
    await new Promise((r) => setTimeout(r, 400));
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[1]]);
    const paused = await app.call('pipelines.status', { id: p.id });
    expect(paused).toMatchObject({ enabled: false, processed: 1, pending: 1, total: 2 });

    await app.call('pipelines.setEnabled', { id: p.id, enabled: true });
    await app.idle();
    expect(await app.sql(`SELECT email FROM users ORDER BY 1`)).toEqual([['a@x.io'], ['b@x.io']]);

    // Edit the mapping, then replay: every event again, users updated in place, never duplicated.
    await app.call('pipelines.update', { id: p.id, transformation: { kind: 'mapping', mapping: { email: 'upper(traits.email)' } } });
    await app.append([segment({ type: 'identify', userId: 'u3', traits: { email: 'c@x.io' }, timestamp: at(2) })]);
    await app.idle();
    expect(await app.sql(`SELECT email FROM users ORDER BY 1`)).toEqual([['C@X.IO'], ['a@x.io'], ['b@x.io']]);
    const progress: unknown[] = [];
    const off2 = app.core.live.subscribe((m) => m.event === 'pipelines.progress' && progress.push(m.payload));
    const st = await app.call('pipelines.replay', { id: p.id });
    expect(st.cursor).toBe(0);
    await app.idle();
    off2();
    expect(await app.sql(`SELECT email, plan FROM users ORDER BY 1`)).toEqual([
      ['A@X.IO', 'Free'],
      ['B@X.IO', null],
      ['C@X.IO', null],
    ]);
    const done = await app.call('pipelines.status', { id: p.id });
    expect(done).toMatchObject({ processed: 3, pending: 0, replaying: false });
    expect(progress.length).toBeGreaterThan(0);
    const m = await app.call('pipelines.metrics', { id: p.id });
    expect(m.totals.received).toBe(6); // 3 + the 3 replayed
  });

  it('deleting a pipeline removes its state, metrics and errors; users stay', async () => {
    app = await startApp();
    const p = await app.createPipeline({ transformation: { kind: 'mapping', mapping: { email: 'traits.email' } } });
    await app.append([segment({ type: 'identify', userId: 'u1', traits: { email: 'a@x.io' } })]);
    await app.idle();
    expect(await app.call('pipelines.delete', { id: p.id })).toEqual({ deleted: true });
    expect(await app.sql(`SELECT (SELECT count(*) FROM pipeline_state), (SELECT count(*) FROM pipeline_metrics), (SELECT count(*) FROM users)`)).toEqual([[0, 0, 1]]);
    await expect(app.call('pipelines.get', { id: p.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('follows Customer Model changes: a new property is mapped; a removed one stops the pipeline until fixed', async () => {
    app = await startApp();
    const p = await app.createPipeline({ transformation: { kind: 'mapping', mapping: { email: 'traits.email' } } });
    await app.append([segment({ type: 'identify', userId: 'u1', traits: { email: 'a@x.io', logins: 7 }, timestamp: at(0) })]);
    await app.idle();
    const model = await app.call('model.get');
    await app.call('model.update', { properties: [...model.properties.map(({ name, type, description, identifier }: any) => ({ name, type, description, identifier })), { name: 'logins', type: 'int' }] });
    await app.call('pipelines.update', { id: p.id, transformation: { kind: 'mapping', mapping: { email: 'traits.email', logins: 'traits.logins' } } });
    await app.append([segment({ type: 'identify', userId: 'u1', traits: { logins: '12' }, timestamp: at(1) })]);
    await app.idle();
    expect(await app.sql(`SELECT email, logins, typeof(logins) FROM users`)).toEqual([['a@x.io', 12, 'BIGINT']]);

    // Drop the property the mapping uses: the pipeline stops with a clear error, events wait.
    const now = await app.call('model.get');
    await app.call('model.update', { properties: now.properties.filter((x: { name: string }) => x.name !== 'logins').map(({ name, type, description, identifier }: any) => ({ name, type, description, identifier })), confirm: true });
    await app.append([segment({ type: 'identify', userId: 'u2', traits: { email: 'b@x.io' }, timestamp: at(2) })]);
    app.core.pipelines.runner.wake();
    await expect.poll(async () => (await app!.call('pipelines.status', { id: p.id })).lastError, { timeout: 10_000 }).toMatch(/logins/);
    expect((await app.call('pipelines.status', { id: p.id })).pending).toBe(1);
    await app.call('pipelines.update', { id: p.id, transformation: { kind: 'mapping', mapping: { email: 'traits.email' } } });
    await app.idle();
    expect(await app.sql(`SELECT email FROM users ORDER BY 1`)).toEqual([['a@x.io'], ['b@x.io']]);
    expect((await app.call('pipelines.status', { id: p.id })).lastError).toBeNull();
  });
});
