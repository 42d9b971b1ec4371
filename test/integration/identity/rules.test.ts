import { afterEach, describe, expect, it } from 'vitest';
import { MAPPING, segment, startApp, type TestApp } from '../pipelines/helpers';

const T0 = Date.UTC(2025, 9, 20, 12, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/** The app with a second Segment source, one mapping pipeline per source. */
async function twoSources(app: TestApp): Promise<string> {
  const second = (await app.call<{ id: string }>('sources.create', { type: 'segment', name: 'CRM' })).id;
  await app.createPipeline({ transformation: MAPPING, filter: null });
  await app.createPipeline({ sourceId: second, transformation: MAPPING, filter: null });
  return second;
}

async function setEmailIdentifier(app: TestApp, identifier: boolean): Promise<void> {
  const model = await app.call<{ properties: { name: string; type: string; identifier?: boolean; description?: string }[] }>('model.get');
  const properties = model.properties.map((p) => (p.name === 'email' ? { ...p, identifier } : p));
  await app.call('model.update', { properties, confirm: true });
}

describe('identity resolution rules (real DuckDB, real runner)', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.cleanup();
    app = null;
  });

  it('an anonymous visitor with traits, then an identify with userId and the same anonymousId: one user with both traits', async () => {
    app = await startApp();
    await app.createPipeline({ transformation: MAPPING, filter: null });
    await app.append([segment({ type: 'identify', anonymousId: 'anon-1', traits: { firstName: 'Ann', company: 'Hooli' }, timestamp: at(0) })]);
    await app.idle();
    const [[id]] = await app.sql<[string]>(`SELECT _id FROM users`);
    await app.append([segment({ type: 'identify', userId: 'u-ann', anonymousId: 'anon-1', traits: { plan: 'Pro', email: 'ann@x.io' }, timestamp: at(1) })]);
    await app.idle();
    expect(await app.sql(`SELECT _id, first_name, company, plan, email FROM users`)).toEqual([[id, 'Ann', 'Hooli', 'Pro', 'ann@x.io']]);
  });

  it('a second source that knows the same email: same user when email is an identifier (normalized)', async () => {
    app = await startApp();
    const crm = await twoSources(app);
    await app.append([segment({ type: 'identify', userId: 'u-ann', traits: { email: 'ann@x.io', firstName: 'Ann' }, timestamp: at(0) })]);
    await app.idle();
    const [[id]] = await app.sql<[string]>(`SELECT _id FROM users`);
    await app.append([segment({ type: 'identify', anonymousId: 'crm-7', traits: { email: '  ANN@X.io ', company: 'Hooli' }, timestamp: at(1) })], crm);
    await app.idle();
    expect(await app.sql(`SELECT _id, first_name, company, email FROM users`)).toEqual([[id, 'Ann', 'Hooli', '  ANN@X.io ']]);
    expect(await app.sql(`SELECT source_id = '${crm}', user_id, anonymous_id FROM user_identities WHERE _user_id = '${id}' ORDER BY 1`)).toEqual([
      [false, 'u-ann', null],
      [true, null, 'crm-7'],
    ]);
    // Explain: the CRM identity joined through the shared email.
    const ex = await app.call('identity.explain', { id });
    const crmIdentity = ex.identities.find((i: { sourceId: string }) => i.sourceId === crm);
    expect(crmIdentity.reasons).toEqual([{ via: 'email', value: 'ann@x.io', sharedWith: 1 }]);
  });

  it('a second source that knows the same email: separate users when email is not an identifier', async () => {
    app = await startApp();
    await setEmailIdentifier(app, false);
    expect((await app.call('identity.get')).identifiers).toEqual([]);
    const crm = await twoSources(app);
    await app.append([segment({ type: 'identify', userId: 'u-ann', traits: { email: 'ann@x.io' }, timestamp: at(0) })]);
    await app.append([segment({ type: 'identify', anonymousId: 'crm-7', traits: { email: 'ann@x.io' }, timestamp: at(1) })], crm);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[2]]);
  });

  it('a shared email merges two existing users (the older _id survives, the merge is recorded); different userIds with the same email stay apart', async () => {
    app = await startApp();
    const crm = await twoSources(app);
    // Two users: an anonymous CRM contact, an identified app user.
    await app.append([segment({ type: 'identify', anonymousId: 'crm-1', traits: { email: 'bo@x.io', company: 'Initech' }, timestamp: at(0) })], crm);
    await app.idle();
    await app.append([segment({ type: 'identify', userId: 'u-bo', traits: { firstName: 'Bo' }, timestamp: at(1) })]);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[2]]);
    const [[appUser]] = await app.sql<[string]>(`SELECT _user_id FROM user_identities WHERE user_id = 'u-bo'`);
    // The app learns the email: the CRM contact is merged into the identified user.
    await app.append([segment({ type: 'identify', userId: 'u-bo', traits: { email: 'Bo@x.io' }, timestamp: at(2) })]);
    await app.idle();
    expect(await app.sql(`SELECT _id, first_name, company, email FROM users`)).toEqual([[appUser, 'Bo', 'Initech', 'Bo@x.io']]);
    expect(await app.sql(`SELECT into_id, via, value FROM identity_merges`)).toEqual([[appUser, 'email', 'bo@x.io']]);
    const ex = await app.call('identity.explain', { id: appUser });
    expect(ex.merges).toMatchObject([{ via: 'email', value: 'bo@x.io' }]);

    // Another userId with the same email: userId has priority, they stay apart.
    await app.append([segment({ type: 'identify', userId: 'u-other', traits: { email: 'bo@x.io', firstName: 'Other' }, timestamp: at(3) })]);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[2]]);
    expect(await app.sql(`SELECT first_name FROM users WHERE _id = '${appUser}'`)).toEqual([['Bo']]);
    // ... even inside one batch, and an anonymous contact with that email joins the first one found.
    await app.append([
      segment({ type: 'identify', userId: 'u-c1', traits: { email: 'c@x.io' }, timestamp: at(4) }),
      segment({ type: 'identify', userId: 'u-c2', traits: { email: 'C@x.io' }, timestamp: at(4) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users WHERE lower(email) = 'c@x.io'`)).toEqual([[2]]);
  });

  it('blocked values never join anything (defaults and configured ones)', async () => {
    app = await startApp();
    const crm = await twoSources(app);
    expect((await app.call('identity.get')).blocked).toEqual(['', 'null', 'undefined', 'anonymous', '0']);
    await app.append([
      segment({ type: 'identify', anonymousId: 'a-1', traits: { email: 'null' }, timestamp: at(0) }),
      segment({ type: 'identify', anonymousId: 'a-2', traits: { email: ' NULL ' }, timestamp: at(0) }),
      // A blocked userId counts as absent: these two go by their anonymousIds.
      segment({ type: 'identify', userId: 'undefined', anonymousId: 'a-3', traits: { firstName: 'X' }, timestamp: at(0) }),
      segment({ type: 'identify', userId: 'undefined', anonymousId: 'a-4', traits: { firstName: 'Y' }, timestamp: at(0) }),
      // Nothing usable left: failed, not joined.
      segment({ type: 'identify', userId: 'anonymous', traits: { firstName: 'Z' }, timestamp: at(0) }),
    ]);
    await app.append([segment({ type: 'identify', anonymousId: 'b-1', traits: { email: 'Anonymous' }, timestamp: at(0) })], crm);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[5]]);
    expect(await app.sql(`SELECT count(*) FROM user_identities WHERE user_id IS NOT NULL`)).toEqual([[0]]);
    expect(await app.sql(`SELECT count(*) FROM identity_values`)).toEqual([[0]]);
    const errors = await app.call('pipelines.errors', { id: (await app.call('pipelines.list', { sourceId: app.sourceId })).pipelines[0].id });
    expect(JSON.stringify(errors)).toMatch(/blocked values/);

    // A configured value: a shared test address stops joining.
    const s = await app.call('identity.update', { blocked: ['', 'null', 'undefined', 'anonymous', '0', 'Test@Example.com'] });
    expect(s.blocked).toContain('Test@Example.com');
    await app.append([segment({ type: 'identify', userId: 'u-t1', traits: { email: 'test@example.com' }, timestamp: at(1) })]);
    await app.append([segment({ type: 'identify', anonymousId: 'b-2', traits: { email: 'test@example.com' }, timestamp: at(1) })], crm);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users WHERE email = 'test@example.com'`)).toEqual([[2]]);
  });
});
