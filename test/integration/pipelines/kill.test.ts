import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHeadless, type Headless } from '../../helpers/headless';
import { repoRoot, tempDir } from '../../helpers/tmp';
import { GENERATED_MAPPING, generatedEvents, startApp, usersSnapshot, type Json } from './helpers';

const N = 30_000;
const built = existsSync(join(repoRoot, 'out/main/serve.js'));

/**
 * The hard crash: the app (headless build, a child process) is killed with SIGKILL while its
 * pipeline is in the middle of the log, twice; restarted on the same folder it finishes, and the
 * result equals an uninterrupted run: every event counted once, the same users.
 */
describe.skipIf(!built)('crash safety with SIGKILL (headless build)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('a pipeline killed mid-run resumes without skipping or doubling an event', async () => {
    const events: Json[] = await generatedEvents(N, 23);

    // Reference run, in-process.
    const ref = await startApp();
    cleanups.push(() => ref.cleanup());
    await ref.createPipeline({ transformation: GENERATED_MAPPING });
    for (let i = 0; i < N; i += 5000) await ref.append(events.slice(i, i + 5000));
    await ref.idle(60_000);
    const expected = await usersSnapshot(ref);

    // The folder to crash: events in the log, the pipeline created disabled.
    const t = await tempDir('krenalis-kill-');
    cleanups.push(t.cleanup);
    const prep = await startApp({ dataDir: t.dir });
    const p = await prep.createPipeline({ transformation: GENERATED_MAPPING, enabled: false });
    for (let i = 0; i < N; i += 5000) await prep.append(events.slice(i, i + 5000));
    await prep.stop();

    const args = ['--data-dir', t.dir, '--ingest-host', '127.0.0.1', '--ingest-port', '0', '--admin-port', '0'];
    let app: Headless = await startHeadless(args);
    await app.call('pipelines.setEnabled', { id: p.id, enabled: true });
    const kills: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (;;) {
        const { body } = await app.call('pipelines.status', { id: p.id });
        if (body.processed > kills.reduce((a, b) => Math.max(a, b), 0) + 1000) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      await app.stop('SIGKILL');
      app = await startHeadless(args);
      const { body } = await app.call('pipelines.status', { id: p.id });
      kills.push(body.processed);
      expect(body.processed).toBeLessThan(N);
    }
    for (;;) {
      const { body } = await app.call('pipelines.status', { id: p.id });
      expect(body.lastError).toBeNull();
      if (body.pending === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { body: metrics } = await app.call('pipelines.metrics', { id: p.id, minutes: 60 });
    await app.stop();

    expect(kills[0]).toBeGreaterThan(0);
    expect(metrics.totals.received).toBe(N); // each event counted once: metrics commit with the cursor
    const after = await startApp({ dataDir: t.dir, sourceId: prep.sourceId });
    cleanups.unshift(() => after.stop());
    expect(await usersSnapshot(after)).toEqual(expected);
  }, 240_000);
});
