import { afterEach, describe, expect, it } from 'vitest';
import { GENERATED_MAPPING, MAPPING, generatedEvents, segment, startApp, type TestApp } from '../pipelines/helpers';

const T0 = Date.UTC(2025, 9, 20, 12, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/** Adds an array property `tags` (VARCHAR[]) to the Customer Model. */
async function addTags(app: TestApp): Promise<void> {
  const model = await app.call<{ properties: { name: string }[] }>('model.get');
  await app.call('model.update', { properties: [...model.properties, { name: 'tags', type: 'array' }], confirm: true });
}

/** Every user (identities sorted, properties including the array; no _id or times) as one digest, and the count. */
async function digest(app: TestApp): Promise<unknown[]> {
  const [row] = await app.sql(
    `WITH s AS (
       SELECT (SELECT string_agg(coalesce(i.user_id, '-') || '/' || coalesce(i.anonymous_id, '-'), ' ' ORDER BY i.user_id, i.anonymous_id)
                 FROM user_identities i WHERE i._user_id = u._id) AS ids,
              concat_ws('|', u.email, u.first_name, u.plan, u.company, u.tags::VARCHAR) AS props, u._id
         FROM users u)
     SELECT count(*), md5(string_agg(ids || '=' || props, chr(10) ORDER BY ids)), md5(string_agg(_id, ',' ORDER BY _id)),
            (SELECT count(*) FROM users WHERE len(tags) > 1) FROM s`,
  );
  return row as unknown[];
}

describe('Array properties are unioned (real DuckDB, real runner)', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.cleanup();
    app = null;
  });

  it('two events with [a, b] then [b, c] give [a, b, c], in one batch and across batches', async () => {
    app = await startApp();
    await addTags(app);
    await app.createPipeline({ transformation: { kind: 'mapping', mapping: { ...MAPPING.mapping, tags: 'traits.tags' } }, filter: null });
    await app.append([
      segment({ type: 'identify', userId: 'u-1', traits: { tags: ['a', 'b'] }, timestamp: at(0) }),
      segment({ type: 'identify', userId: 'u-1', traits: { tags: ['b', 'c'] }, timestamp: at(1) }),
      segment({ type: 'identify', userId: 'u-2', traits: { tags: ['x'] }, timestamp: at(0) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT tags FROM users ORDER BY tags[1]`)).toEqual([[['a', 'b', 'c']], [['x']]]);
    // A later batch: existing values first, new ones appended; an older event still adds its values; null erases nothing.
    await app.append([
      segment({ type: 'identify', userId: 'u-2', traits: { tags: ['y', 'x'] }, timestamp: at(-5) }),
      segment({ type: 'identify', userId: 'u-2', traits: { firstName: 'Zed' }, timestamp: at(10) }),
      segment({ type: 'identify', userId: 'u-1', traits: { tags: ['c', 'a'] }, timestamp: at(2) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT tags, first_name FROM users ORDER BY tags[1]`)).toEqual([
      [['a', 'b', 'c'], null],
      [['x', 'y'], 'Zed'],
    ]);
    await app.call('identity.rebuild');
    expect(await app.sql(`SELECT tags, first_name FROM users ORDER BY tags[1]`)).toEqual([
      [['a', 'b', 'c'], null],
      [['x', 'y'], 'Zed'],
    ]);
  });

  it('a merge of two users with arrays unions them (the surviving user first)', async () => {
    app = await startApp();
    await addTags(app);
    await app.createPipeline({ transformation: { kind: 'mapping', mapping: { ...MAPPING.mapping, tags: 'traits.tags' } }, filter: null });
    await app.append([
      segment({ type: 'identify', userId: 'u-ann', traits: { email: 'ann@x.io', tags: ['vip', 'beta'] }, timestamp: at(0) }),
      segment({ type: 'identify', anonymousId: 'dev-1', traits: { tags: ['beta', 'mobile'] }, timestamp: at(1) }),
    ]);
    await app.idle();
    expect(await app.sql(`SELECT count(*) FROM users`)).toEqual([[2]]);
    const [[annId]] = await app.sql<[string]>(`SELECT _user_id FROM user_identities WHERE user_id = 'u-ann'`);
    // The device's visitor logs in as Ann: the two users become one.
    await app.append([segment({ type: 'identify', userId: 'u-ann', anonymousId: 'dev-1', traits: { tags: ['desktop'] }, timestamp: at(2) })]);
    await app.idle();
    expect(await app.sql(`SELECT _id, tags FROM users`)).toEqual([[annId, ['vip', 'beta', 'mobile', 'desktop']]]);
    await app.call('identity.rebuild');
    expect(await app.sql(`SELECT _id, tags FROM users`)).toEqual([[annId, ['vip', 'beta', 'mobile', 'desktop']]]);
  });

  it('incremental == rebuild with an array property on generated traffic (merges included)', async () => {
    app = await startApp();
    await addTags(app);
    const events = await generatedEvents(20_000, 5, 4000);
    const crm = (await app.call<{ id: string }>('sources.create', { type: 'segment', name: 'CRM' })).id;
    const mapping = { kind: 'mapping' as const, mapping: { ...GENERATED_MAPPING.mapping, tags: 'split(traits.plan, ",")' } };
    await app.createPipeline({ transformation: mapping, filter: null });
    await app.createPipeline({ sourceId: crm, transformation: mapping, filter: null });
    const contacts = new Map<string, Record<string, unknown>>();
    for (const e of events) {
      const t = e.traits as Record<string, unknown> | undefined;
      if (e.type === 'identify' && t?.email && !contacts.has(t.email as string)) {
        contacts.set(
          t.email as string,
          segment({ type: 'identify', anonymousId: `crm-${contacts.size}`, traits: { email: String(t.email), plan: `crm-${contacts.size % 3}` }, timestamp: e.timestamp as string }),
        );
      }
    }
    const list = [...contacts.values()];
    await app.append(list.slice(0, list.length / 2), crm);
    await app.idle(60_000);
    await app.append(events);
    await app.idle(60_000);
    await app.append(list.slice(list.length / 2), crm);
    await app.idle(60_000);
    const incremental = await digest(app);
    expect(Number(incremental[3])).toBeGreaterThan(0);
    expect(await app.sql(`SELECT count(*) FROM pipeline_errors`)).toEqual([[0]]);
    expect(Number((await app.sql(`SELECT count(*) FROM identity_merges`))[0][0])).toBeGreaterThan(0);
    await app.call('identity.rebuild');
    expect(await digest(app)).toEqual(incremental);
  }, 120_000);
});
