import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCore } from '../../helpers/core';

describe('deleting a source', () => {
  let core: Awaited<ReturnType<typeof startTestCore>>;
  beforeAll(async () => {
    core = await startTestCore();
  });
  afterAll(() => core.cleanup());

  it('deletes its pipelines and keys but keeps its stored events', async () => {
    const call = (m: string, a: unknown = {}) => core.dispatcher.call(m, a) as Promise<any>;
    const source = await call('sources.create', { type: 'segment', name: 'Web' });
    const other = await call('sources.create', { type: 'segment', name: 'App' });
    const { keys } = await call('writeKeys.list', { sourceId: source.id });
    const transformation = { kind: 'mapping', mapping: { email: 'traits.email' } };
    await call('pipelines.create', { sourceId: source.id, name: 'Import', transformation });
    await call('pipelines.create', { sourceId: other.id, name: 'Keep me', transformation });

    const info = await call('workspace.info');
    const res = await fetch(`${info.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[0].key}` },
      body: JSON.stringify({ type: 'identify', userId: 'u1', traits: { email: 'a@example.com' } }),
    });
    expect(res.status).toBe(200);
    // Answered once journaled: let it reach the events table first.
    expect(await core.eventsLoaded(10_000)).toBe(true);

    await call('sources.delete', { id: source.id });
    expect(core.ctx.store.data.pipelines.map((p) => p.sourceId)).toEqual([other.id]);
    const stored = await call('warehouse.query', { sql: `select count(*) from events where source_id = '${source.id}'` });
    expect(stored.rows[0][0]).toBe(1);
    const rejected = await fetch(`${info.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[0].key}` },
      body: JSON.stringify({ type: 'identify', userId: 'u2' }),
    });
    expect(rejected.status).toBe(401);
  });
});
