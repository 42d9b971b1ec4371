import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src-main/core/api/dispatch';
import { contract, methodNames, type Handlers } from '../../../src-main/core/api/contract';
import { createClient } from '../../../src-main/core/api/client';
import { ApiError } from '../../../src-main/core/api/errors';
import { DEFAULT_SETTINGS } from '../../../src-main/core/workspace/defaults';

// Handlers that echo their (validated) arguments, to test the dispatcher itself.
const echo = Object.fromEntries(methodNames.map((m) => [m, (args: unknown) => ({ method: m, args })])) as unknown as Handlers;

describe('dispatcher', () => {
  const d = createDispatcher(echo);

  it('routes every contract method (bad arguments aside)', async () => {
    for (const m of methodNames) {
      const out = await d.settle(m, {});
      if (!out.ok) expect(out.error.code, m).toBe('bad_request');
    }
    expect(await d.settle('warehouse.query', { sql: 'select 1' })).toMatchObject({ ok: true, result: { method: 'warehouse.query' } });
  });

  it('answers an unknown method with its name and a 404', async () => {
    const out = await d.settle('nope.nothing', {});
    expect(out).toMatchObject({ ok: false, status: 404, error: { code: 'unknown_method', message: 'Unknown API method: nope.nothing' } });
  });

  it('does not treat prototype names as methods', async () => {
    for (const m of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(await d.settle(m, {})).toMatchObject({ ok: false, status: 404 });
    }
  });

  it('refuses bad arguments naming the field', async () => {
    const out = await d.settle('settings.update', { ingestPort: 70000 });
    expect(out).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', field: 'ingestPort' } });
    if (!out.ok) expect(out.error.message).toContain('"ingestPort"');
    const nested = await d.settle('settings.update', { limits: { maxEventBytes: 'big' } });
    expect(nested).toMatchObject({ ok: false, error: { field: 'limits.maxEventBytes' } });
  });

  it('refuses unknown fields and non-object arguments', async () => {
    expect(await d.settle('settings.update', { hacker: 1 })).toMatchObject({ ok: false, status: 400, error: { field: 'hacker' } });
    expect(await d.settle('workspace.info', 'string')).toMatchObject({ ok: false, status: 400 });
    expect(await d.settle('workspace.info', [1, 2])).toMatchObject({ ok: false, status: 400 });
  });

  it('validates warehouse.query arguments', async () => {
    expect(await d.settle('warehouse.query', {})).toMatchObject({ ok: false, error: { field: 'sql' } });
    expect(await d.settle('warehouse.query', { sql: '   ' })).toMatchObject({ ok: false, error: { field: 'sql' } });
    expect(await d.settle('warehouse.query', { sql: 'x'.repeat(100_001) })).toMatchObject({ ok: false, error: { field: 'sql' } });
  });

  it('turns handler failures into error bodies without throwing', async () => {
    const failing = createDispatcher({
      ...echo,
      'workspace.info': () => {
        throw new ApiError('conflict', 'busy');
      },
      'settings.get': () => {
        throw new Error('disk on fire');
      },
    });
    expect(await failing.settle('workspace.info', {})).toMatchObject({ ok: false, status: 409, error: { code: 'conflict', message: 'busy' } });
    expect(await failing.settle('settings.get', {})).toMatchObject({ ok: false, status: 500, error: { code: 'internal', message: 'disk on fire' } });
  });

  it('accepts valid settings patches', async () => {
    const out = await d.call('settings.update', { ingestPort: 9000, publicUrl: 'https://x.example.com', limits: { maxEventBytes: 2048 } });
    expect(out).toMatchObject({ args: { ingestPort: 9000 } });
    expect(contract['settings.update'].args.safeParse({ publicUrl: 'ftp://x' }).success).toBe(false);
    expect(contract['settings.update'].args.safeParse({ publicUrl: 'https://u:p@x.com' }).success).toBe(false);
    expect(contract['settings.update'].args.safeParse({ ingestHost: 'bad host!' }).success).toBe(false);
    expect(contract['settings.update'].args.safeParse({ ingestHost: DEFAULT_SETTINGS.ingestHost }).success).toBe(true);
  });
});

describe('typed client', () => {
  it('exposes every method as namespace.method over a transport', async () => {
    const calls: string[] = [];
    const client = createClient({
      call: async (m, a) => {
        calls.push(m);
        return a;
      },
      subscribe: () => () => undefined,
    });
    await client.workspace.info();
    await client.warehouse.query({ sql: 'select 1' });
    expect(calls).toEqual(['workspace.info', 'warehouse.query']);
    for (const m of methodNames) {
      const [ns, fn] = m.split('.');
      expect(typeof (client as unknown as Record<string, Record<string, unknown>>)[ns][fn], m).toBe('function');
    }
  });
});
