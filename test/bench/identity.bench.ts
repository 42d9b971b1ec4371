/**
 * Identity resolution benchmark: the same generated Segment traffic (1M events, ~200k people,
 * ../shared/tools/segment-events.mjs) through the same mapping pipeline twice: with the
 * default Customer Model (email is an identifier) and with no identifier property. Prints both
 * pipeline rates and their ratio (target >= 0.5), then times "Rebuild users" on the result.
 */
import { rm } from 'node:fs/promises';
import { writeProfile } from '../../src-main/core/pipelines/sql';
import { arg, BENCH_MAPPING, loadGenerator, openBenchApp, postAll, runPipeline, type BenchApp, type Json } from './bench-app';

async function ingest(app: BenchApp, bodies: readonly string[]): Promise<void> {
  await postAll(app, [...bodies]);
  // Answered once journaled: the pipeline reads the events table, filled behind the answers.
  await app.core.eventsLoaded();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const count1 = async (app: BenchApp, sql: string) => Number((await app.call<{ rows: number[][] }>('warehouse.query', { sql })).rows[0][0]);

export async function main(argv: string[]) {
  const count = arg(argv, 'count', 1_000_000);
  const people = arg(argv, 'users', 200_000);
  console.log(`Identity benchmark: ${fmt(count)} events, ${fmt(people)} people (segment-events.mjs, seed 7), mapping pipeline`);
  const generateEvents = await loadGenerator();
  const bodies: string[] = [];
  let batch: Json[] = [];
  for (const e of generateEvents({ count, seed: 7, users: people })) {
    batch.push(e);
    if (batch.length === 500) {
      bodies.push(JSON.stringify(batch));
      batch = [];
    }
  }
  if (batch.length) bodies.push(JSON.stringify(batch));

  const results: Record<string, { secs: number; rate: number; users: number }> = {};
  for (const mode of ['without identifiers', 'with identifiers (email)'] as const) {
    const app = await openBenchApp('identity');
    try {
      if (mode === 'without identifiers') {
        const model = await app.call<{ properties: Json[] }>('model.get');
        await app.call('model.update', { properties: model.properties.map((p) => ({ ...p, identifier: false })), confirm: true });
      }
      await ingest(app, bodies);
      for (const k of Object.keys(writeProfile)) delete writeProfile[k];
      const r = await runPipeline(app, { kind: 'mapping', mapping: BENCH_MAPPING }, count);
      const st = app.core.pipelines.runner.stats;
      console.log(`  runner (ms): read ${fmt(st.read)}, transform ${fmt(st.transform)}, identity ${fmt(st.lookup)}, write ${fmt(st.write)}, commit ${fmt(st.commit)}`);
      console.log(`  statements (ms): ${Object.entries(writeProfile).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
      const users = await count1(app, 'SELECT count(*) FROM users');
      results[mode] = { ...r, users };
      console.log(`${mode.padEnd(26)} ${fmt(r.rate)} events/s (${r.secs.toFixed(1)} s), ${fmt(users)} users`);
      if (mode !== 'without identifiers') {
        const ids = await count1(app, 'SELECT count(*) FROM user_identities');
        const started = performance.now();
        const done = await app.call<{ users: number; identities: number }>('identity.rebuild');
        const secs = (performance.now() - started) / 1000;
        console.log(`rebuild users:             ${fmt(done.users)} users from ${fmt(done.identities)} identities (${fmt(ids)} user_identities rows) in ${secs.toFixed(1)} s (target <= 30 s)`);
      }
    } finally {
      await app.core.stop();
      await rm(app.dir, { recursive: true, force: true });
    }
  }
  const a = results['with identifiers (email)'];
  const b = results['without identifiers'];
  console.log(`ratio with/without identifiers: ${(a.rate / b.rate).toFixed(2)}x (target >= 0.5)`);
}
