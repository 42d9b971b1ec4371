import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodNames } from '../../../src-main/core/api/contract';
import type { Source, WriteKey } from '../../../src-main/core/api/sources';
import { startTestCore } from '../../helpers/core';
import { fixturesDir } from '../../helpers/tmp';

// Write keys seen from the ingest server: runs once the events API and ingest routes are wired.
const wired = (methodNames as string[]).includes('events.recent');

describe.runIf(wired)('write keys at the ingest endpoint (real core, real ingest server)', () => {
  let core: Awaited<ReturnType<typeof startTestCore>>;
  const call = <T>(method: string, args: unknown = {}) => core.dispatcher.call(method, args) as Promise<T>;
  let endpoint = '';
  const post = (key: string, body: string) =>
    fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });

  beforeAll(async () => {
    core = await startTestCore();
    endpoint = (await call<{ endpointUrl: string }>('workspace.info')).endpointUrl;
  });
  afterAll(() => core?.cleanup());

  it('accepts a new key at once and refuses a deleted key at once (401)', async () => {
    const s = await call<Source>('sources.create', { type: 'segment', name: 'Keys' });
    const [first] = (await call<{ keys: WriteKey[] }>('writeKeys.list', { sourceId: s.id })).keys;
    const body = await readFile(join(fixturesDir, 'identify.json'), 'utf8');
    expect((await post(first.key, body)).status).toBe(200);
    const second = await call<WriteKey>('writeKeys.create', { sourceId: s.id });
    expect((await post(second.key, body)).status).toBe(200);
    await call('writeKeys.delete', { sourceId: s.id, key: first.key });
    expect((await post(first.key, body)).status).toBe(401);
    expect((await post(second.key, body)).status).toBe(200);
  });

  it('deleting a source refuses its keys at once and keeps its stored events', async () => {
    const s = await call<Source>('sources.create', { type: 'segment', name: 'Short-lived' });
    const [k] = (await call<{ keys: WriteKey[] }>('writeKeys.list', { sourceId: s.id })).keys;
    const body = await readFile(join(fixturesDir, 'page-anonymous.json'), 'utf8');
    expect((await post(k.key, body)).status).toBe(200);
    await call('sources.delete', { id: s.id });
    // Deleting the source does not drop what was journaled before: it reaches the events table.
    expect(await core.eventsLoaded(10_000)).toBe(true);
    expect((await post(k.key, body)).status).toBe(401);
    const q = await call<{ rows: unknown[][] }>('warehouse.query', {
      sql: `select count(*)::int from events where source_id = '${s.id.replace(/'/g, "''")}'`,
    });
    expect(q.rows[0][0]).toBe(1);
  });
});
