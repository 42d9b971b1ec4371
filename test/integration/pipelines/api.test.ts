import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAPPING, segment, startApp, type TestApp } from './helpers';

describe('pipelines API: shapes and bad input', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.cleanup();
  });

  const fails = async (method: string, args: unknown) => {
    try {
      await app.call(method, args);
    } catch (e) {
      return e as { code: string; message: string; field?: string; status: number };
    }
    throw new Error(`${method} should have failed`);
  };

  it('creates with the preset filter, lists with a summary, gets, updates and keeps filter null as all events', async () => {
    const p = await app.createPipeline({ transformation: MAPPING });
    expect(p).toMatchObject({
      sourceId: app.sourceId,
      type: 'import-users',
      name: 'Import users',
      description: '',
      enabled: true,
      filter: { logical: 'or', conditions: [{ property: 'type', operator: 'is', values: ['identify'] }, { property: 'traits', operator: 'is not empty' }] },
      filterSummary: 'type is "identify" or traits is not empty',
      status: { cursor: 0, processed: 0, pending: 0, total: 0, replaying: false, lastError: null },
    });
    expect(p.id).toMatch(/^pl_/);
    const all = await app.call('pipelines.update', { id: p.id, filter: null, name: 'Everything', description: 'All events' });
    expect(all).toMatchObject({ filter: null, filterSummary: 'All events', name: 'Everything', description: 'All events' });
    const list = await app.call('pipelines.list', { sourceId: app.sourceId });
    expect(list.pipelines.map((x: { id: string }) => x.id)).toEqual([p.id]);
    expect((await app.call('pipelines.get', { id: p.id })).name).toBe('Everything');
    await app.call('pipelines.delete', { id: p.id });
  });

  it('refuses a Visual Mapping syntax error with its position', async () => {
    const e = await fails('pipelines.create', {
      sourceId: app.sourceId,
      name: 'x',
      transformation: { kind: 'mapping', mapping: { email: 'lower(traits.email' } },
    });
    expect(e.code).toBe('bad_request');
    expect(e.field).toBe('transformation.mapping.email');
    expect(e.message).toMatch(/^The transformation has an error: email \(character(s)? \d+(-\d+)?\): /);
    const check = await app.call('pipelines.check', { transformation: { kind: 'mapping', mapping: { email: 'lower(traits.email', plan: 'lowr(traits.plan)' } } });
    expect(check.errors.map((x: { property: string }) => x.property).sort()).toEqual(['email', 'plan']);
    const plan = check.errors.find((x: { property: string }) => x.property === 'plan');
    expect(plan).toMatchObject({ start: 0, end: 4 });
  });

  it('refuses a mapping type error and an unknown property', async () => {
    const t = await fails('pipelines.create', { sourceId: app.sourceId, name: 'x', transformation: { kind: 'mapping', mapping: { created_at: 'eq(traits.a, 1)' } } });
    expect(t.message).toMatch(/created_at .*boolean.*datetime/);
    const u = await fails('pipelines.create', { sourceId: app.sourceId, name: 'x', transformation: { kind: 'mapping', mapping: { nope: 'traits.a' } } });
    expect(u.message).toMatch(/unknown property 'nope'/);
  });

  it('refuses a JavaScript syntax error with line and column', async () => {
    const e = await fails('pipelines.create', {
      sourceId: app.sourceId,
      name: 'x',
      transformation: { kind: 'javascript', source: 'function transform(event) {\n  return { email: event.traits.email \n}\n}}' },
    });
    expect(e.code).toBe('bad_request');
    expect(e.field).toBe('transformation.source');
    expect(e.message).toMatch(/line \d+/);
    const missing = await fails('pipelines.create', { sourceId: app.sourceId, name: 'x', transformation: { kind: 'javascript', source: 'const x = 1;' } });
    expect(missing.message).toMatch(/transform/);
  });

  it('refuses an unknown source, a bad operator, a missing value and bad kinds', async () => {
    const src = await fails('pipelines.create', { sourceId: 'nope', name: 'x', transformation: MAPPING });
    expect(src).toMatchObject({ code: 'not_found', status: 404 });
    expect((await fails('pipelines.list', { sourceId: 'nope' })).code).toBe('not_found');

    const op = await fails('pipelines.create', {
      sourceId: app.sourceId,
      name: 'x',
      filter: { logical: 'and', conditions: [{ property: 'type', operator: 'equals', values: ['identify'] }] },
      transformation: MAPPING,
    });
    expect(op).toMatchObject({ code: 'bad_request', field: 'filter.conditions.0.operator' });
    expect(op.message).toMatch(/Unknown operator/);

    const val = await fails('pipelines.create', {
      sourceId: app.sourceId,
      name: 'x',
      filter: { logical: 'and', conditions: [{ property: 'type', operator: 'is' }] },
      transformation: MAPPING,
    });
    expect(val).toMatchObject({ code: 'bad_request', field: 'filter.conditions.0.values' });
    const date = await fails('pipelines.create', {
      sourceId: app.sourceId,
      name: 'x',
      filter: { logical: 'and', conditions: [{ property: 'timestamp', operator: 'is after', values: ['last week'] }] },
      transformation: MAPPING,
    });
    expect(date.message).toMatch(/not a date/);
    expect((await fails('pipelines.create', { sourceId: app.sourceId, name: 'x', transformation: { kind: 'ruby', source: '' } })).field).toBe('transformation.kind');
    expect((await fails('pipelines.create', { sourceId: app.sourceId, name: ' ', transformation: MAPPING })).field).toBe('name');
    expect((await fails('pipelines.setEnabled', { id: 'nope', enabled: true })).code).toBe('not_found');
    expect((await fails('pipelines.replay', { id: 'nope' })).code).toBe('not_found');
    expect((await fails('pipelines.metrics', { id: 'nope' })).code).toBe('not_found');
    expect((await app.call('pipelines.list', { sourceId: app.sourceId })).pipelines).toEqual([]);
  });

  it('previews an event: filter result, coerced output, type errors, logs and time', async () => {
    const event = segment({ type: 'identify', userId: 'u1', traits: { email: 'A@X.IO', createdAt: '2024-01-02T03:04:05+01:00' } });
    const r = await app.call('pipelines.preview', {
      sourceId: app.sourceId,
      filter: { logical: 'and', conditions: [{ property: 'type', operator: 'is', values: ['identify'] }] },
      transformation: { kind: 'mapping', mapping: { email: 'lower(traits.email)', created_at: 'traits.createdAt' } },
      event,
    });
    expect(r).toMatchObject({
      filter: { passed: true, conditions: [true], summary: 'type is "identify"' },
      ran: true,
      ok: true,
      output: { email: 'a@x.io', created_at: '2024-01-02T02:04:05.000Z' },
      errors: [],
      identity: { userId: 'u1', anonymousId: null },
    });
    expect(typeof r.ms).toBe('number');

    const skipped = await app.call('pipelines.preview', { filter: { logical: 'and', conditions: [{ property: 'type', operator: 'is', values: ['track'] }] }, transformation: MAPPING, event });
    expect(skipped).toMatchObject({ filter: { passed: false }, ran: false, ok: false });

    const js = await app.call('pipelines.preview', {
      filter: null,
      transformation: { kind: 'javascript', source: 'function transform(e) { console.log("hi", e.userId); return { email: 42, created_at: "soon" } }' },
      event,
    });
    expect(js).toMatchObject({ ran: true, ok: false, raw: { email: 42, created_at: 'soon' }, logs: [{ level: 'log', message: 'hi u1' }] });
    expect(js.errors).toEqual([expect.objectContaining({ stage: 'validate', property: 'created_at' })]);

    const bad = await app.call('pipelines.preview', { filter: null, transformation: { kind: 'mapping', mapping: { email: 'trim(' } }, event });
    expect(bad).toMatchObject({ ran: false, ok: false, errors: [expect.objectContaining({ stage: 'check', property: 'email' })] });
    const throws = await app.call('pipelines.preview', { filter: null, transformation: { kind: 'javascript', source: 'function transform(e) { throw new TypeError("nope") }' }, event });
    expect(throws.errors).toEqual([expect.objectContaining({ stage: 'transform', code: 'exception', message: expect.stringMatching(/TypeError: nope/) })]);
  });
});
