/**
 * Pipelines benchmark: realistic Segment traffic (../shared/tools/segment-events.mjs) is
 * ingested, then a Visual Mapping pipeline imports it into users. Prints:
 * - the ingest rate of the same run (HTTP webhook batches when the ingest routes are wired
 *   into the core, else the durable event log's own append rate),
 * - the pipeline rate and its ratio to the ingest rate (target >= 0.5),
 * - the per-event overhead of the JavaScript and Python kinds over the same mapping.
 */
import { rm } from 'node:fs/promises';
import { writeProfile } from '../../src-main/core/pipelines/sql';
import { arg, BENCH_MAPPING, loadGenerator, openBenchApp, postAll, runPipeline, type BenchApp, type Json } from './bench-app';




const JS = `function transform(event) {
  const t = event.traits || {};
  const a = t.address || {};
  return { email: t.email, first_name: t.firstName, last_name: t.lastName, plan: t.plan, company: t.company,
           country: a.country, city: a.city, created_at: t.createdAt };
}`;

const PY = `def transform(event):
    t = event.get("traits") or {}
    a = t.get("address") or {}
    return {"email": t.get("email"), "first_name": t.get("firstName"), "last_name": t.get("lastName"), "plan": t.get("plan"),
            "company": t.get("company"), "country": a.get("country"), "city": a.get("city"), "created_at": t.get("createdAt")}
`;




/**
 * Ingest `count` events through the app's ingest endpoint as Segment's Webhook destination
 * sends them (bare JSON arrays of 500 events, `concurrency` connections); returns events/s.
 */
async function ingest(app: BenchApp, count: number, concurrency: number): Promise<{ rate: number; storedRate: number; how: string }> {
  const generateEvents = await loadGenerator();
  const it = generateEvents({ count, seed: 7 })[Symbol.iterator]();
  const next = (): string | null => {
    const batch: Json[] = [];
    for (let r = it.next(); !r.done; r = it.next()) {
      batch.push(r.value);
      if (batch.length === 500) break;
    }
    return batch.length ? JSON.stringify(batch) : null;
  };
  // Bodies are generated before the clock starts, like a separate sender would have them ready.
  const bodies: string[] = [];
  for (let b = next(); b !== null; b = next()) bodies.push(b);
  const started = performance.now();
  await postAll(app, bodies, concurrency);
  const secs = (performance.now() - started) / 1000;
  // Answered once journaled; pipelines read the events table, which the loader fills behind the answers.
  await app.core.eventsLoaded();
  const storedSecs = (performance.now() - started) / 1000;
  return {
    rate: count / secs,
    storedRate: count / storedSecs,
    how: `HTTP POST /v1/events, 500-event webhook batches, ${concurrency} connections, same process`,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function main(argv: string[]) {
  const count = arg(argv, 'count', 1_000_000);
  const codeCount = arg(argv, 'code-count', 20_000);
  const concurrency = arg(argv, 'concurrency', 8);
  console.log(`Pipelines benchmark: ${fmt(count)} events (segment-events.mjs, seed 7); code kinds on ${fmt(codeCount)} events`);

  const app = await openBenchApp('pipelines');
  try {
    const rssBefore = process.memoryUsage().rss;
    const ing = await ingest(app, count, concurrency);
    console.log(`ingest:   ${fmt(ing.rate)} events/s answered, ${fmt(ing.storedRate)} events/s into the events table (${ing.how})`);

    const map = await runPipeline(app, { kind: 'mapping', mapping: BENCH_MAPPING }, count);
    const st = app.core.pipelines.runner.stats;
    console.log(`          runner time (ms): read ${fmt(st.read)}, filter+transform ${fmt(st.transform)}, identity lookup ${fmt(st.lookup)}, write ${fmt(st.write)}, commit ${fmt(st.commit)} in ${fmt(st.batches)} batches`);
    console.log(`          write statements (ms): ${Object.entries(writeProfile).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    const metrics = await app.call<{ totals: Record<string, number> }>('pipelines.metrics', { id: map.id, minutes: 1440 });
    const users = (await app.call<{ rows: number[][] }>('warehouse.query', { sql: 'SELECT count(*) FROM users' })).rows[0][0];
    console.log(
      `mapping:  ${fmt(map.rate)} events/s (${map.secs.toFixed(1)} s) = ${(map.rate / ing.storedRate).toFixed(2)}x the rate into the events table, ` +
        `${(map.rate / ing.rate).toFixed(2)}x the answer rate (target >= 0.5); ` +
        `${fmt(metrics.totals.filteredOut)} filtered out, ${fmt(users)} users; peak RSS ${fmt(Math.max(rssBefore, process.memoryUsage().rss) / 1048576)} MB`,
    );

    // Code kinds on a fresh source of codeCount events, against the same mapping on it.
    const small = await openBenchApp('pipelines');
    try {
      await ingest(small, codeCount, concurrency);
      const base = await runPipeline(small, { kind: 'mapping', mapping: BENCH_MAPPING }, codeCount);
      const perEvent = (secs: number) => ((secs - base.secs) / codeCount) * 1e6;
      console.log(`mapping (${fmt(codeCount)}): ${fmt(base.rate)} events/s`);
      const js = await runPipeline(small, { kind: 'javascript', source: JS }, codeCount);
      console.log(`javascript: ${fmt(js.rate)} events/s, overhead ${perEvent(js.secs).toFixed(0)} µs/event over the mapping`);
      try {
        const py = await runPipeline(small, { kind: 'python', source: PY }, codeCount);
        console.log(`python:     ${fmt(py.rate)} events/s, overhead ${perEvent(py.secs).toFixed(0)} µs/event over the mapping (includes Pyodide start)`);
      } catch (e) {
        console.log(`python:     not measured: ${(e as Error).message}`);
      }
    } finally {
      await small.core.stop();
      await rm(small.dir, { recursive: true, force: true });
    }
  } finally {
    await app.core.stop();
    await rm(app.dir, { recursive: true, force: true });
  }
}
