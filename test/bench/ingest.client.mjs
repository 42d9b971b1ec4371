// The load client of `npm run bench:ingest`, a separate process from the servers it loads.
//   node test/bench/ingest.client.mjs --events N --batch 500 --connections 8
// Generates every request body once, in memory (Segment webhook batches: bare JSON arrays of
// realistic events from ../shared/tools/segment-events.mjs), prints {"ready":...} on stdout,
// then runs one load per line read on stdin: {"url":"http://host:port/v1/events","key":"..."}
// and answers each with one JSON line of results. Every run sends the same bodies.
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '500' },
    connections: { type: 'string', default: '8' },
    generator: { type: 'string' },
  },
});
const total = Number(values.events);
const batchSize = Number(values.batch);
const connections = Number(values.connections);
const generator = values.generator ?? join(process.cwd(), '../shared/tools/segment-events.mjs');
const { generateEvents } = await import(pathToFileURL(generator).href);

const t0 = performance.now();
const bodies = [];
let bytes = 0;
let buf = [];
for (const ev of generateEvents({ count: total })) {
  buf.push(ev);
  if (buf.length === batchSize) {
    const b = Buffer.from(JSON.stringify(buf));
    bytes += b.length;
    bodies.push({ body: b, events: buf.length });
    buf = [];
  }
}
if (buf.length) {
  const b = Buffer.from(JSON.stringify(buf));
  bytes += b.length;
  bodies.push({ body: b, events: buf.length });
}
buf = null;
process.stdout.write(
  JSON.stringify({ ready: true, requests: bodies.length, events: total, bytes, avgBodyBytes: Math.round(bytes / bodies.length), generateMs: Math.round(performance.now() - t0) }) + '\n',
);

function post(agent, url, key, body) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${key}` },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started, text: Buffer.concat(chunks).toString() }));
        res.on('error', (e) => resolve({ status: 0, ms: performance.now() - started, text: String(e) }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, ms: performance.now() - started, text: String(e) }));
    req.end(body);
  });
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);

async function run({ url, key, rate }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  const statuses = {};
  let next = 0;
  let accepted = 0;
  let sentEvents = 0;
  let firstError = null;
  const started = performance.now();
  // Open loop when a rate is given (events/s): request i is due at start + i * interval, and its
  // latency counts from then (a late start is the server's delay too), at most `connections` in flight.
  const interval = rate ? (batchSize / rate) * 1000 : 0;
  async function worker() {
    while (next < bodies.length) {
      const i = next++;
      const { body, events } = bodies[i];
      const due = started + i * interval;
      if (rate && performance.now() < due) await new Promise((res) => setTimeout(res, due - performance.now()));
      const r = await post(agent, url, key, body);
      latencies.push(rate ? performance.now() - due : r.ms);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) {
        sentEvents += events;
        try {
          const j = JSON.parse(r.text);
          accepted += typeof j.accepted === 'number' ? j.accepted : events;
        } catch {
          accepted += events;
        }
      } else if (!firstError) firstError = `${r.status} ${r.text.slice(0, 300)}`;
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    seconds: Math.round(seconds * 100) / 100,
    requests: latencies.length,
    events: sentEvents,
    accepted,
    eventsPerSecond: Math.round(sentEvents / seconds),
    mbPerSecond: Math.round((bytes / seconds / 1e6) * 10) / 10,
    p50: Math.round(pct(latencies, 50) * 10) / 10,
    p99: Math.round(pct(latencies, 99) * 10) / 10,
    max: Math.round(latencies[latencies.length - 1] * 10) / 10,
    statuses,
    firstError,
  };
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  if (cmd.exit) break;
  process.stdout.write(JSON.stringify(await run(cmd)) + '\n');
}
process.exit(0);
