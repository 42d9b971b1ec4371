/**
 * Crash safety: the ingest server runs as a child process (server-child.ts,
 * bundled with esbuild), 4 concurrent clients load it, it is killed with
 * SIGKILL mid-load and restarted on the same data folder: every event whose
 * request got a 200 is in the log, and none twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { openWarehouse, removeDir, send } from './helpers';

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
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    await new Promise((r) => child.once('exit', r));
    expect(sent).toBeGreaterThan(acked.length);

    // restart on the same folder: it opens (WAL replay) and serves again
    const second = await start(script, dir);
    const retry = inFlight.filter((b) => !acked.includes(b))[0];
    const [c, n] = retry.slice(1).split('-b').map(Number);
    const r = await send({ port: second.port }, '/v1/events', batch(c, n), { 'content-type': 'application/json', authorization: 'Bearer wk_crash' });
    expect(r.status).toBe(200);
    expect(r.json.accepted + r.json.duplicates).toBe(200);
    second.child.kill('SIGTERM');
    await new Promise((res) => second.child.once('exit', res));

    const wh = await openWarehouse(dir);
    try {
      const rows = await wh.query<[string, bigint]>(`SELECT split_part(message_id, '-e', 1), count(*) FROM events GROUP BY 1`);
      const perBatch = new Map(rows.map(([b, k]) => [b, Number(k)]));
      for (const b of acked) expect(perBatch.get(b), b).toBe(200);
      // batches are all-or-nothing, and nothing is stored twice
      for (const [b, k] of perBatch) expect(k, b).toBe(200);
      const dup = await wh.query<[bigint]>(`SELECT count(*) FROM (SELECT message_id FROM events GROUP BY message_id HAVING count(*) > 1)`);
      expect(Number(dup[0][0])).toBe(0);
      const seq = await wh.query<[bigint, bigint]>(`SELECT count(DISTINCT seq), count(*) FROM events`);
      expect(seq[0][0]).toBe(seq[0][1]);
      console.info(`[crash] ${acked.length} batches acknowledged before SIGKILL, ${perBatch.size} batches in the log after restart`);
    } finally {
      await wh.close();
    }
  });
});
