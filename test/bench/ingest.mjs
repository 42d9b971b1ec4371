// npm run bench:ingest [-- --events 1000000 --connections 8 --runs 1 --only app|bare --rate N --node-args="--cpu-prof"]
//
// The durable ingest rate of the real app against a bare parse-only server:
// 1. builds the app when stale, starts it headless on a fresh data folder
//    (node out/main/serve.js --data-dir TMP --ingest-port 0 --admin-port 0),
//    creates a Segment source through the admin API and takes its write key;
// 2. a separate client process (ingest.client.mjs) generates every body once,
//    in memory (500-event webhook batches from ../shared/tools/segment-events.mjs),
//    then posts them over 8 keep-alive connections;
// 3. prints events/s, p50/p99 request latency, the server's peak RSS (VmHWM), and
//    checks that the log holds every event;
// 4. the same bodies against a bare fastify server that only JSON-parses them
//    (ingest.bare.mjs, its own process), and the ratio app/bare.
// --rate N paces the requests at N events/s (open loop, latency counted from each request's due
// time) instead of sending as fast as the connections allow: the latency at a given load.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { buildIfStale, root } from '../../scripts/build-if-stale.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    connections: { type: 'string', default: '8' },
    batch: { type: 'string', default: '500' },
    runs: { type: 'string', default: '1' },
    only: { type: 'string' },
    'node-args': { type: 'string', default: '' },
    rate: { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
  },
});
const here = join(root, 'test/bench');
// The Node flags `npm run serve` runs headless mode with (package.json): a 64 MB young generation, without
// which each request's few MB of parsed objects get promoted and full GCs stall requests for 30-60 ms.
const SERVE_FLAGS = ['--max-semi-space-size=64'];
const nodeArgs = values['node-args'].split(/\s+/).filter(Boolean);

function readLines(child) {
  const rl = createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  rl.on('line', (l) => (waiters.length ? waiters.shift()(l) : queue.push(l)));
  return () => new Promise((resolve) => (queue.length ? resolve(queue.shift()) : waiters.push(resolve)));
}

function spawnServer(args, label) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    if (process.env.BENCH_VERBOSE) process.stderr.write(`[${label}] ${d}`);
  });
  const next = readLines(child);
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it was ready: ${err}`)));
    next().then((l) => resolve(JSON.parse(l)));
  });
  return { child, ready, stderr: () => err };
}

/** CPU seconds (user + system, all threads) the process used so far. */
function cpuOf(pid, thread = false) {
  const stat = readFileSync(thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { hwmMB: Math.round(kb('VmHWM') / 1024), rssMB: Math.round(kb('VmRSS') / 1024) };
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(t);
}

async function admin(ready, method, body) {
  const res = await fetch(`${ready.adminUrl}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ready.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const client = spawn(process.execPath, [join(here, 'ingest.client.mjs'), '--events', values.events, '--batch', values.batch, '--connections', values.connections], {
  cwd: root,
  stdio: ['pipe', 'pipe', 'inherit'],
});
const clientLine = readLines(client);
async function load(url, key) {
  client.stdin.write(JSON.stringify({ url, key, rate: values.rate ? Number(values.rate) : undefined }) + '\n');
  return JSON.parse(await clientLine());
}

async function runApp() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const app = spawnServer(
    [...SERVE_FLAGS, ...nodeArgs, join(root, 'out/main/serve.js'), '--data-dir', dataDir, '--ingest-host', '127.0.0.1', '--ingest-port', '0', '--admin-port', '0'],
    'app',
  );
  try {
    const ready = await app.ready;
    const source = await admin(ready, 'sources.create', { type: 'segment', name: 'bench' });
    const { keys } = await admin(ready, 'writeKeys.list', { sourceId: source.id });
    const before = memoryOf(app.child.pid);
    const cpu0 = cpuOf(app.child.pid);
    const main0 = cpuOf(app.child.pid, true);
    const r = await load(`${ready.ingestUrl}/v1/events`, keys[0].key);
    const cpuUsPerEvent = Math.round(((cpuOf(app.child.pid) - cpu0) * 1e6) / r.events * 10) / 10;
    const mainUsPerEvent = Math.round(((cpuOf(app.child.pid, true) - main0) * 1e6) / r.events * 10) / 10;
    const ingestMem = memoryOf(app.child.pid);
    // The requests were answered once journaled: wait for the warehouse to hold every event.
    const loadStart = performance.now();
    let stored = 0;
    let distinct = 0;
    for (;;) {
      const q = await admin(ready, 'warehouse.query', { sql: `SELECT count(*)::BIGINT AS n FROM events` });
      stored = Number(q.rows[0][0]);
      if (stored >= r.events || performance.now() - loadStart > Number(process.env.BENCH_LOAD_WAIT_MS ?? 600_000)) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const loadedAfterS = Math.round((performance.now() - loadStart) / 100) / 10;
    const totalCpuUsPerEvent = Math.round(((cpuOf(app.child.pid) - cpu0) * 1e6) / r.events * 10) / 10;
    const mem = memoryOf(app.child.pid);
    // Counted after the memory figures: a DISTINCT over every message id is the bench's check, not the app's work.
    const q = await admin(ready, 'warehouse.query', { sql: `SELECT count(*)::BIGINT AS n, count(DISTINCT message_id)::BIGINT AS d FROM events` });
    [stored, distinct] = q.rows[0].map(Number);
    const dm = await admin(ready, 'warehouse.query', {
      sql: `SELECT tag, (memory_usage_bytes / 1e6)::INTEGER FROM duckdb_memory() WHERE memory_usage_bytes >= 1e6 ORDER BY 2 DESC`,
    });
    const duckdbMB = Object.fromEntries(dm.rows.map(([t, mb]) => [t, Number(mb)]));
    await stop(app.child);
    return { ...r, startRssMB: before.rssMB, peakRssMB: mem.hwmMB, endRssMB: mem.rssMB, stored, distinct, duckdbMB, cpuUsPerEvent, mainUsPerEvent, loadedAfterS, totalCpuUsPerEvent, ingestPeakRssMB: ingestMem.hwmMB };
  } catch (err) {
    await stop(app.child);
    throw new Error(`${err.message}\n${app.stderr()}`);
  } finally {
    if (!values['keep-data']) rmSync(dataDir, { recursive: true, force: true });
    else process.stderr.write(`data kept in ${dataDir}\n`);
  }
}

async function runBare() {
  const bare = spawnServer([join(here, 'ingest.bare.mjs')], 'bare');
  try {
    const ready = await bare.ready;
    const before = memoryOf(bare.child.pid);
    const cpu0 = cpuOf(bare.child.pid);
    const r = await load(`${ready.url}/v1/events`, 'bare');
    const cpuUsPerEvent = Math.round(((cpuOf(bare.child.pid) - cpu0) * 1e6) / r.events * 10) / 10;
    const mem = memoryOf(bare.child.pid);
    return { ...r, startRssMB: before.rssMB, peakRssMB: mem.hwmMB, endRssMB: mem.rssMB, cpuUsPerEvent };
  } finally {
    await stop(bare.child);
  }
}

function line(name, r) {
  const errors = Object.entries(r.statuses)
    .filter(([s]) => s !== '200')
    .map(([s, n]) => `${n}x${s}`)
    .join(' ');
  return (
    `${name.padEnd(5)} ${String(r.eventsPerSecond).padStart(8)} events/s  ${String(r.mbPerSecond).padStart(6)} MB/s  ` +
    `p50 ${String(r.p50).padStart(7)} ms  p99 ${String(r.p99).padStart(7)} ms  max ${String(r.max).padStart(7)} ms  ` +
    `peak RSS ${String(r.peakRssMB).padStart(5)} MB${r.ingestPeakRssMB ? ` (${r.ingestPeakRssMB} MB until the last answer)` : ''}  CPU ${String(r.cpuUsPerEvent).padStart(5)} µs/event${r.mainUsPerEvent !== undefined ? ` (JS thread ${r.mainUsPerEvent})` : ''}  (${r.events} events in ${r.seconds} s${errors ? `, errors: ${errors} ${r.firstError}` : ''}` +
    `${r.stored !== undefined ? `; events table holds ${r.stored}, ${r.stored - r.distinct} twice, ${r.loadedAfterS} s after the last answer; CPU with loading ${r.totalCpuUsPerEvent} µs/event` : ''})` +
    (r.duckdbMB ? `\n      DuckDB memory at the end (MB): ${JSON.stringify(r.duckdbMB)}, RSS at start ${r.startRssMB} MB, at end ${r.endRssMB} MB` : '')
  );
}

try {
  buildIfStale();
  const info = JSON.parse(await clientLine());
  console.log(
    `bench:ingest  ${info.events} events in ${info.requests} webhook batches (avg ${Math.round(info.avgBodyBytes / 1024)} KB), ` +
      `${values.connections} connections${values.rate ? `, paced at ${values.rate} events/s` : ''}, node ${process.version}, ` +
      `generated in ${info.generateMs} ms, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  );
  for (let run = 1; run <= Number(values.runs); run++) {
    const app = values.only === 'bare' ? null : await runApp();
    if (app) console.log(line('app', app));
    const bare = values.only === 'app' ? null : await runBare();
    if (bare) console.log(line('bare', bare));
    if (app && bare) console.log(`ratio app/bare: ${(app.eventsPerSecond / bare.eventsPerSecond).toFixed(2)}  (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
    if (process.env.BENCH_JSON) console.log(JSON.stringify({ run, app, bare }));
  }
} finally {
  client.stdin.write(JSON.stringify({ exit: true }) + '\n');
}
