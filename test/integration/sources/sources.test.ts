import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Source, WriteKey } from '../../../src-main/core/api/sources';
import { writeKeyResolver } from '../../../src-main/core/sources';
import { createCore } from '../../../src-main/core/app';
import { startTestCore } from '../../helpers/core';

type TestCore = Awaited<ReturnType<typeof startTestCore>>;

describe('sources and write keys API (real core, real workspace.json)', () => {
  let core: TestCore;
  const call = <T = unknown>(method: string, args: unknown = {}) => core.dispatcher.call(method, args) as Promise<T>;
  /** The outcome as a transport sees it: status + error body. */
  const settle = (method: string, args: unknown) => core.dispatcher.settle(method, args);

  beforeAll(async () => {
    core = await startTestCore({ listen: false });
  });
  afterAll(() => core?.cleanup());

  const create = (name = 'Segment') => call<Source>('sources.create', { type: 'segment', name });
  const keysOf = async (sourceId: string) => (await call<{ keys: WriteKey[] }>('writeKeys.list', { sourceId })).keys;

  it('creates a Segment source with one write key, trimmed name and timestamps', async () => {
    const s = await create('  Website (prod)  ');
    expect(s).toMatchObject({ type: 'segment', name: 'Website (prod)' });
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(Date.parse(s.createdAt)).not.toBeNaN();
    expect(s.updatedAt).toBe(s.createdAt);
    const keys = await keysOf(s.id);
    expect(keys).toHaveLength(1);
    expect(keys[0].sourceId).toBe(s.id);
    // 32 random bytes, base64url
    expect(keys[0].key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(keys[0].key, 'base64url')).toHaveLength(32);
  });

  it('lists, gets and renames; persists in workspace.json', async () => {
    const s = await create('Mobile app');
    expect((await call<{ sources: Source[] }>('sources.list')).sources.map((x) => x.id)).toContain(s.id);
    expect(await call('sources.get', { id: s.id })).toEqual(s);
    await new Promise((r) => setTimeout(r, 5));
    const renamed = await call<Source>('sources.update', { id: s.id, name: ' iOS app ' });
    expect(renamed).toMatchObject({ id: s.id, name: 'iOS app', createdAt: s.createdAt });
    expect(renamed.updatedAt > s.updatedAt).toBe(true);
    const onDisk = JSON.parse(await readFile(join(core.dataDir, 'workspace.json'), 'utf8'));
    expect(onDisk.sources.find((x: Source) => x.id === s.id).name).toBe('iOS app');
    expect(onDisk.writeKeys.filter((k: WriteKey) => k.sourceId === s.id)).toHaveLength(1);
  });

  it('keys are unique and random', async () => {
    const a = await create('A');
    const created = await Promise.all(Array.from({ length: 5 }, () => call<WriteKey>('writeKeys.create', { sourceId: a.id })));
    const all = new Set([...(await keysOf(a.id)).map((k) => k.key), ...created.map((k) => k.key)]);
    expect(all.size).toBe(6);
  });

  it('refuses a 21st key with 409 and allows one again after a delete', async () => {
    const s = await create('Many keys');
    for (let i = 1; i < 20; i++) await call('writeKeys.create', { sourceId: s.id });
    expect(await keysOf(s.id)).toHaveLength(20);
    const over = await settle('writeKeys.create', { sourceId: s.id });
    expect(over).toMatchObject({ ok: false, status: 409, error: { code: 'conflict' } });
    expect((over as { error: { message: string } }).error.message).toMatch(/at most 20/);
    expect(await keysOf(s.id)).toHaveLength(20);
    const [first] = await keysOf(s.id);
    await call('writeKeys.delete', { sourceId: s.id, key: first.key });
    await expect(call('writeKeys.create', { sourceId: s.id })).resolves.toMatchObject({ sourceId: s.id });
  });

  it('never deletes the last key of a source (409) so it can always receive events', async () => {
    const s = await create('One key');
    const [only] = await keysOf(s.id);
    expect(await settle('writeKeys.delete', { sourceId: s.id, key: only.key })).toMatchObject({ status: 409, error: { code: 'conflict' } });
    expect(await keysOf(s.id)).toEqual([only]);
  });

  it('resolves write keys and rejects a deleted key at once', async () => {
    const resolve = writeKeyResolver(core.ctx.store);
    expect(writeKeyResolver(core.ctx.store)).toBe(resolve);
    const s = await create('Resolver');
    const [k1] = await keysOf(s.id);
    const k2 = await call<WriteKey>('writeKeys.create', { sourceId: s.id });
    expect(resolve(k1.key)).toEqual({ sourceId: s.id });
    expect(resolve(k2.key)).toEqual({ sourceId: s.id });
    await call('writeKeys.delete', { sourceId: s.id, key: k1.key });
    expect(resolve(k1.key)).toBeNull();
    expect(resolve(k2.key)).toEqual({ sourceId: s.id });
    // near misses, junk and prototype names never resolve
    for (const bad of ['', k2.key.slice(0, -1), `${k2.key}x`, k2.key.toUpperCase(), '__proto__', 'constructor', 'toString', 'x'.repeat(10_000)]) {
      expect(resolve(bad)).toBeNull();
    }
    expect(resolve(undefined as unknown as string)).toBeNull();
  });

  it('deleting a source removes it and its keys (rejected at once) and leaves other sources alone', async () => {
    const resolve = writeKeyResolver(core.ctx.store);
    const keep = await create('Keep');
    const gone = await create('Gone');
    const [keepKey] = await keysOf(keep.id);
    const [goneKey] = await keysOf(gone.id);
    expect(resolve(goneKey.key)).toEqual({ sourceId: gone.id });
    expect(await call('sources.delete', { id: gone.id })).toEqual({ ok: true });
    expect(resolve(goneKey.key)).toBeNull();
    expect(resolve(keepKey.key)).toEqual({ sourceId: keep.id });
    expect(await settle('sources.get', { id: gone.id })).toMatchObject({ status: 404, error: { code: 'not_found' } });
    expect(await settle('writeKeys.list', { sourceId: gone.id })).toMatchObject({ status: 404 });
    expect(core.ctx.store.data.writeKeys.some((k) => k.sourceId === gone.id)).toBe(false);
    expect(await settle('sources.delete', { id: gone.id })).toMatchObject({ status: 404 });
  });

  it('answers 404 for unknown ids and keys', async () => {
    const s = await create('Known');
    for (const [method, args] of [
      ['sources.get', { id: 'nope' }],
      ['sources.update', { id: 'nope', name: 'x' }],
      ['sources.delete', { id: '__proto__' }],
      ['writeKeys.list', { sourceId: 'constructor' }],
      ['writeKeys.create', { sourceId: 'nope' }],
      ['writeKeys.delete', { sourceId: 'nope', key: 'k' }],
      ['writeKeys.delete', { sourceId: s.id, key: 'not-a-key-of-this-source' }],
    ] as const) {
      expect(await settle(method, args), method).toMatchObject({ ok: false, status: 404, error: { code: 'not_found' } });
    }
  });

  it('does not delete a key through another source', async () => {
    const a = await create('A2');
    const b = await create('B2');
    const bKey = await call<WriteKey>('writeKeys.create', { sourceId: b.id });
    expect(await settle('writeKeys.delete', { sourceId: a.id, key: bKey.key })).toMatchObject({ status: 404 });
    expect((await keysOf(b.id)).map((k) => k.key)).toContain(bKey.key);
  });

  it('refuses bad input with 400 naming the field, and stores nothing', async () => {
    const before = structuredClone(core.ctx.store.data);
    const cases: Array<[string, unknown, string]> = [
      ['sources.create', { type: 'segment' }, 'name'],
      ['sources.create', { type: 'segment', name: '' }, 'name'],
      ['sources.create', { type: 'segment', name: '   ' }, 'name'],
      ['sources.create', { type: 'segment', name: 'x'.repeat(101) }, 'name'],
      ['sources.create', { type: 'segment', name: 42 }, 'name'],
      ['sources.create', { type: 'segment', name: null }, 'name'],
      ['sources.create', { type: 'segment', name: ['a'] }, 'name'],
      ['sources.create', { type: 'segment', name: { toString: 'x' } }, 'name'],
      ['sources.create', { name: 'x' }, 'type'],
      ['sources.create', { type: 'mixpanel', name: 'x' }, 'type'],
      ['sources.create', { type: 'segment', name: 'x', id: 'chosen' }, 'id'],
      ['sources.update', { id: 'x' }, 'name'],
      ['sources.update', { name: 'x' }, 'id'],
      ['sources.get', { id: '' }, 'id'],
      ['sources.get', { id: 7 }, 'id'],
      ['sources.get', { id: 'x'.repeat(101) }, 'id'],
      ['writeKeys.list', {}, 'sourceId'],
      ['writeKeys.create', { sourceId: 1 }, 'sourceId'],
      ['writeKeys.delete', { sourceId: 'x' }, 'key'],
      ['writeKeys.delete', { sourceId: 'x', key: '' }, 'key'],
    ];
    for (const [method, args, field] of cases) {
      const out = await settle(method, args);
      expect(out, `${method} ${JSON.stringify(args)}`).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', field } });
    }
    expect(await settle('sources.list', null)).toMatchObject({ ok: true });
    expect(core.ctx.store.data).toEqual(before);
  });

  it('accepts a 100-character name and stores hostile strings as plain text', async () => {
    const long = await create('é'.repeat(100));
    expect(long.name).toHaveLength(100);
    const hostile = ['__proto__', 'constructor', '<img src=x onerror=alert(1)>', '"; drop table events; --', '\u202Eevil', '{{7*7}}'];
    for (const name of hostile) {
      const s = await create(name);
      expect(s.name).toBe(name);
      expect((await call<Source>('sources.get', { id: s.id })).name).toBe(name);
    }
    // a JSON body with a "__proto__" key (as JSON.parse builds it) is an unknown field, not a prototype change
    const body = JSON.parse('{"type":"segment","name":"p","__proto__":{"polluted":true}}');
    const out = await settle('sources.create', body);
    expect(out).toMatchObject({ ok: false, status: 400 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survives a restart: sources, keys and the resolver come back from workspace.json', async () => {
    const s = await create('Durable');
    const [k] = await keysOf(s.id);
    const dataDir = core.dataDir;
    const removeDir = core.cleanup;
    await core.stop();
    const again = await createCore({ dataDir, listen: false });
    await again.start();
    try {
      expect(await again.dispatcher.call('sources.get', { id: s.id })).toEqual(s);
      expect(writeKeyResolver(again.ctx.store)(k.key)).toEqual({ sourceId: s.id });
    } finally {
      await again.stop();
    }
    core = await startTestCore({ listen: false, dataDir });
    const stopAgain = core.cleanup;
    core.cleanup = async () => {
      await stopAgain();
      await removeDir();
    };
  });
});
