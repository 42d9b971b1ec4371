import { afterEach, describe, expect, it } from 'vitest';
import { GENERATED_MAPPING, MAPPING, generatedEvents, segment, startApp, type TestApp } from '../pipelines/helpers';

/** Every user (identities sorted, properties; no _id or times) as one digest, and the count; plus a digest of the _ids. */
async function digest(app: TestApp): Promise<unknown[]> {
  const [row] = await app.sql(
    `WITH s AS (
       SELECT (SELECT string_agg(coalesce(i.user_id, '-') || '/' || coalesce(i.anonymous_id, '-'), ' ' ORDER BY i.user_id, i.anonymous_id)
                 FROM user_identities i WHERE i._user_id = u._id) AS ids,
              concat_ws('|', u.email, u.first_name, u.last_name, u.plan, u.company, u.country, u.city, u.created_at::VARCHAR) AS props, u._id
         FROM users u)
     SELECT count(*), md5(string_agg(ids || '=' || props, chr(10) ORDER BY ids)), md5(string_agg(_id, ',' ORDER BY _id)) FROM s`,
  );
  return row as unknown[];
}

const T0 = Date.UTC(2025, 9, 20, 12, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

async function setEmailIdentifier(app: TestApp, identifier: boolean): Promise<void> {
  const model = await app.call<{ properties: { name: string; identifier?: boolean }[] }>('model.get');
  await app.call('model.update', { properties: model.properties.map((p) => (p.name === 'email' ? { ...p, identifier } : p)), confirm: true });
}

describe('Rebuild users (real DuckDB, real runner)', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.cleanup();
    app = null;
  });

  it.each([
    { count: 20_000, people: 4000 },
    { count: 100_000, people: 20_000 },
  ])('gives the same users as the incremental path on generated traffic ($count events), keeping every _id', async ({ count, people }) => {
    app = await startApp();
    const events = await generatedEvents(count, 11, people);
    await app.createPipeline({ transformation: GENERATED_MAPPING, filter: null });
    await app.append(events);
    await app.idle(120_000);
    const incremental = await digest(app);
    const users = Number(incremental[0]);
    expect(users).toBeGreaterThan(people / 2);
    const pushes: string[] = [];
    const off = app.core.live.subscribe((m) => {
      if (m.event === 'identity.rebuild') pushes.push((m.payload as { phase: string }).phase);
    });
    const done = await app.call('identity.rebuild');
    off();
    expect(done).toMatchObject({ phase: 'done', progress: 1, users });
    expect(pushes).toContain('resolving');
    expect(pushes[pushes.length - 1]).toBe('done');
    // Same users, same identities, same values, same _ids.
    expect(await digest(app)).toEqual(incremental);
  }, 180_000);

  it('gives the same users as the incremental path when a second source joins people by email (merges included)', async () => {
    app = await startApp();
    const events = await generatedEvents(20_000, 5, 4000);
    const crm = (await app.call<{ id: string }>('sources.create', { type: 'segment', name: 'CRM' })).id;
    await app.createPipeline({ transformation: GENERATED_MAPPING, filter: null });
    await app.createPipeline({ sourceId: crm, transformation: GENERATED_MAPPING, filter: null });
    // The CRM knows people by their email only (its own anonymous contact ids), with other traits.
    const contacts = new Map<string, Record<string, unknown>>();
    for (const e of events) {
      const t = e.traits as Record<string, unknown> | undefined;
      if (e.type === 'identify' && t?.email && !contacts.has(t.email as string)) {
        contacts.set(t.email as string, segment({ type: 'identify', anonymousId: `crm-${contacts.size}`, traits: { email: String(t.email).toUpperCase(), company: `CRM ${contacts.size}` }, timestamp: e.timestamp as string }));
      }
    }
    // Half the contacts reach the CRM pipeline before the app's events, half after.
    const list = [...contacts.values()];
    await app.append(list.slice(0, list.length / 2), crm);
    await app.idle(60_000);
    await app.append(events);
    await app.idle(60_000);
    await app.append(list.slice(list.length / 2), crm);
    await app.idle(60_000);
    const incremental = await digest(app);
    expect(Number((await app.sql(`SELECT count(*) FROM identity_merges`))[0][0])).toBeGreaterThan(0);
    expect(Number((await app.sql(`SELECT count(*) FROM users WHERE company LIKE 'CRM %'`))[0][0])).toBeGreaterThan(0);
    await app.call('identity.rebuild');
    expect(await digest(app)).toEqual(incremental);
  }, 120_000);

  it('users written before identity_props existed keep their values through a rebuild', async () => {
    app = await startApp();
    await app.createPipeline({ transformation: MAPPING, filter: null });
    await app.append([
      segment({ type: 'identify', userId: 'u-old', anonymousId: 'a-old', traits: { email: 'old@x.io', firstName: 'Olga', plan: 'Pro' }, timestamp: at(0) }),
      segment({ type: 'identify', anonymousId: 'a-anon', traits: { company: 'Hooli' }, timestamp: at(0) }),
    ]);
    await app.idle();
    const before = await app.sql(`SELECT _id, email, first_name, plan, company FROM users ORDER BY 1`);
    // As a warehouse from before identity resolution: no per-identity values recorded.
    const conn = await app.core.ctx.warehouse.connect();
    await conn.run(`DELETE FROM identity_props`);
    conn.closeSync();
    await app.call('identity.rebuild');
    expect(await app.sql(`SELECT _id, email, first_name, plan, company FROM users ORDER BY 1`)).toEqual(before);
    await app.call('identity.rebuild');
    expect(await app.sql(`SELECT _id, email, first_name, plan, company FROM users ORDER BY 1`)).toEqual(before);
  });

  it('after a rule change (email becomes an identifier), the rebuild joins what the new rule joins', async () => {
    app = await startApp();
    await setEmailIdentifier(app, false);
    const crm = (await app.call<{ id: string }>('sources.create', { type: 'segment', name: 'CRM' })).id;
    await app.createPipeline({ transformation: MAPPING, filter: null });
    await app.createPipeline({ sourceId: crm, transformation: MAPPING, filter: null });
    await app.append([segment({ type: 'identify', userId: 'u-ann', traits: { email: 'ann@x.io', firstName: 'Ann' }, timestamp: at(0) })]);
    await app.append([segment({ type: 'identify', anonymousId: 'crm-1', traits: { email: 'ANN@x.io', company: 'Hooli' }, timestamp: at(1) })], crm);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[2]]);
    const [[annId]] = await app.sql<[string]>(`SELECT _user_id FROM user_identities WHERE user_id = 'u-ann'`);

    await setEmailIdentifier(app, true);
    await app.call('identity.rebuild');
    expect(await app.sql(`SELECT _id, email, first_name, company FROM users`)).toEqual([[annId, 'ANN@x.io', 'Ann', 'Hooli']]);
    expect(await app.sql(`SELECT DISTINCT _user_id FROM user_identities`)).toEqual([[annId]]);
    expect(await app.sql(`SELECT into_id, via FROM identity_merges`)).toEqual([[annId, 'rebuild']]);

    // And back: without the identifier the rebuild splits them again; Ann keeps her _id.
    await setEmailIdentifier(app, false);
    await app.call('identity.rebuild');
    expect(await app.sql(`SELECT _id = '${annId}', first_name, company FROM users ORDER BY 1 DESC`)).toEqual([
      [true, 'Ann', null],
      [false, null, 'Hooli'],
    ]);
  });
});
