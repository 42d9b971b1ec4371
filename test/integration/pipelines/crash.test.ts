import { afterAll, describe, expect, it } from 'vitest';
import { GENERATED_MAPPING, generatedEvents, startApp, usersSnapshot, type Json, type TestApp } from './helpers';

const N = 20_000;

describe('crash safety: stopping mid-run never skips nor doubles an event', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.cleanup();
  });

  it('a run stopped mid-batch and resumed on the same folder equals an uninterrupted run', async () => {
    const events: Json[] = await generatedEvents(N, 11);

    // Reference: one uninterrupted run.
    const ref = await startApp();
    apps.push(ref);
    await ref.createPipeline({ transformation: GENERATED_MAPPING });
    for (let i = 0; i < events.length; i += 5000) await ref.append(events.slice(i, i + 5000));
    await ref.idle(60_000);
    const expected = await usersSnapshot(ref);
    expect(expected.length).toBeGreaterThan(100);

    // Interrupted: stop the core while the runner is in the middle of the log, twice.
    let app = await startApp();
    const dataDir = app.dataDir;
    const sourceId = app.sourceId;
    const p = await app.createPipeline({ transformation: GENERATED_MAPPING, enabled: false });
    for (let i = 0; i < events.length; i += 5000) await app.append(events.slice(i, i + 5000));
    await app.call('pipelines.setEnabled', { id: p.id, enabled: true });
    const stops: number[] = [];
    for (let round = 0; round < 2; round++) {
      // Wait until some but not all events are processed, then stop (the batch in flight is rolled back).
      for (;;) {
        const s = await app.call('pipelines.status', { id: p.id });
        if (s.processed > (round + 1) * 2000) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      await app.stop();
      app = await startApp({ dataDir, sourceId });
      const s = await app.call('pipelines.status', { id: p.id });
      stops.push(s.processed);
      expect(s.processed).toBeLessThan(N);
    }
    apps.push(app);
    await app.idle(60_000);
    expect(stops[0]).toBeGreaterThan(0);

    const m = await app.call('pipelines.metrics', { id: p.id });
    // Every event counted exactly once (metrics commit with the cursor), none skipped.
    expect(m.totals.received).toBe(N);
    expect((await app.call('pipelines.status', { id: p.id })).processed).toBe(N);
    expect(await usersSnapshot(app)).toEqual(expected);
    const refM = await ref.call('pipelines.metrics', { id: (await ref.call('pipelines.list', { sourceId: ref.sourceId })).pipelines[0].id });
    expect(m.totals.filteredOut).toBe(refM.totals.filteredOut);
  }, 180_000);
});
