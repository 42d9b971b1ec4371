/**
 * Crash safety: the ingest server runs as a child process (server-child.ts,
 * bundled with esbuild), 4 concurrent clients load it, it is killed with
 * SIGKILL mid-load and restarted on the same data folder: every event whose
 * request got a 200 is in the log (loaded from the ingest journal if the kill
 * came first), none twice, and retries are counted as duplicates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { countEvents, openWarehouse, removeDir, send, type TestWarehouse } from './helpers';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUT = join(ROOT, 'node_modules/.cache/krenalis-ingest-tests');

async function bundle(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const outfile = join(OUT, 'server-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./server-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    external: ['@duckdb/node-api', 'fastify'],
    logLevel: 'warning',
  });
  return outfile;
}

const children: ChildProcess[] = [];

function start(script: string, dir: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    // The bundle lives outside out/: point it at the built loader worker.
    const env = { ...process.env, INGEST_LOADER_WORKER: join(ROOT, 'out/main/ingest-loader.js') };
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`child did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({ child, port: JSON.parse(line).port });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}): ${err}`));
    });
  });
}

async function stopChild(child: ChildProcess) {
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(`code ${code} signal ${signal}`)));
  child.kill('SIGTERM');
  expect(await exited, err).toBe('code 0 signal null');
}

/** Events stored per batch (`c<client>-b<n>`). */
async function batches(wh: TestWarehouse): Promise<Map<string, number>> {
  const rows = await wh.query<[string, bigint]>(`SELECT split_part(message_id, '-e', 1), count(*) FROM events GROUP BY 1`);
  return new Map(rows.map(([b, k]) => [b, Number(k)]));
}

async function expectNoDuplicateRows(wh: TestWarehouse) {
  const dup = await wh.query<[bigint]>(`SELECT count(*) FROM (SELECT message_id FROM events GROUP BY message_id HAVING count(*) > 1)`);
  expect(Number(dup[0][0])).toBe(0);
  const seq = await wh.query<[bigint, bigint]>(`SELECT count(DISTINCT seq), count(*) FROM events`);
  expect(seq[0][0]).toBe(seq[0][1]);
}

interface Stats {
  received: number;
  accepted: number;
  duplicates: number;
}

/** The source's counters as committed with the events (ingest_stats). */
async function stats(wh: TestWarehouse): Promise<Stats> {
  const rows = await wh.query<[bigint, bigint, bigint]>(`SELECT received, accepted, duplicates FROM ingest_stats WHERE source_id = 'src_1'`);
  const [received, accepted, duplicates] = (rows[0] ?? [0n, 0n, 0n]).map(Number);
  return { received, accepted, duplicates };
}

const batch = (client: number, n: number) =>
  JSON.stringify(
    Array.from({ length: 200 }, (_, i) => ({
      type: 'track',
      userId: `u${client}`,
      event: 'Crash Test',
      messageId: `c${client}-b${n}-e${i}`,
      properties: { i, pad: 'x'.repeat(600) },
    })),
  );

describe('crash safety', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-crash-'));
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    removeDir(dir);
  });

  it('keeps every acknowledged event exactly once after a SIGKILL mid-load', async () => {
    const script = await bundle();
    const { child, port } = await start(script, dir);
    const acked: string[] = [];
    const inFlight: string[] = [];
    let stop = false;
    let sent = 0;
    const clients = [0, 1, 2, 3].map(async (c) => {
      for (let n = 0; !stop; n++) {
        const body = batch(c, n);
        inFlight.push(`c${c}-b${n}`);
        sent++;
        try {
          const r = await send({ port }, '/v1/events', body, { 'content-type': 'application/json', authorization: 'Bearer wk_crash' });
          if (r.status === 200) acked.push(`c${c}-b${n}`);
        } catch {
          return; // the server died under us
        }
      }
    });
    // kill it in the middle of the load
    while (acked.length < 20) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(clients);
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    expect(child.signalCode).toBe('SIGKILL');
    expect(sent).toBeGreaterThan(acked.length);

    // Restart on the same folder: it opens (WAL replay), loads what the journal holds beyond the log, and
    // serves again. Stop it cleanly to look at the log as the kill left it.
    const second = await start(script, dir);
    await stopChild(second.child);
    const wh = await openWarehouse(dir);
    let perBatch: Map<string, number>;
    let statsBefore: Stats;
    try {
      perBatch = await batches(wh);
      for (const b of acked) expect(perBatch.get(b), b).toBe(200);
      // batches are all-or-nothing, and nothing is stored twice
      for (const [b, k] of perBatch) expect(k, b).toBe(200);
      await expectNoDuplicateRows(wh);
      statsBefore = await stats(wh);
      // the counters were committed with the events
      expect(statsBefore.accepted).toBe(await countEvents(wh));
      expect(statsBefore.duplicates).toBe(0);
    } finally {
      await wh.close();
    }

    // Segment retries what got no answer, and may retry what did: both are answered 200 with every event
    // accepted, and the log stores each event once, counting the rest as duplicates.
    const third = await start(script, dir);
    const retry = inFlight.filter((b) => !acked.includes(b))[0];
    const storedBefore = perBatch.has(retry);
    const headers = { 'content-type': 'application/json', authorization: 'Bearer wk_crash' };
    for (const b of [retry, acked[0]]) {
      const [c, n] = b.slice(1).split('-b').map(Number);
      const r = await send({ port: third.port }, '/v1/events', batch(c, n), headers);
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ accepted: 200, rejected: [] });
    }
    await stopChild(third.child);

    const wh2 = await openWarehouse(dir);
    try {
      const after = await batches(wh2);
      expect(after.get(retry), retry).toBe(200);
      expect(after.get(acked[0]), acked[0]).toBe(200);
      expect(after.size).toBe(perBatch.size + (storedBefore ? 0 : 1));
      await expectNoDuplicateRows(wh2);
      const statsAfter = await stats(wh2);
      expect(statsAfter.received - statsBefore.received).toBe(400);
      expect(statsAfter.accepted - statsBefore.accepted).toBe(storedBefore ? 0 : 200);
      expect(statsAfter.duplicates - statsBefore.duplicates).toBe(storedBefore ? 400 : 200);
      expect(statsAfter.accepted).toBe(await countEvents(wh2));
      console.info(
        `[crash] ${acked.length} batches acknowledged before SIGKILL, ${perBatch.size} batches in the log after restart ` +
          `(the retried unanswered batch ${storedBefore ? 'was' : 'was not'} stored before the kill)`,
      );
    } finally {
      await wh2.close();
    }
  });
});
