/**
 * Crash safety of the real app (issue 3): the built headless entry
 * (out/main/serve.js) runs as a child process, 4 concurrent clients load it,
 * it is killed with SIGKILL mid-load and restarted on the same data folder.
 * Every event whose request got a 200 is in the log, none twice, and every
 * request is all-or-nothing. Checked through the admin API (warehouse.query).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, send } from './helpers';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVE = join(ROOT, 'out/main/serve.js');
const BATCH = 200;

interface Ready {
  ingestUrl: string;
  adminUrl: string;
  adminToken: string;
}

const children: ChildProcess[] = [];

function startApp(dataDir: string): Promise<{ child: ChildProcess; ready: Ready; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [SERVE, '--data-dir', dataDir, '--ingest-host', '127.0.0.1', '--ingest-port', '0', '--admin-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the app did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        const ready = JSON.parse(out.slice(0, nl)) as Ready;
        resolve({ child, ready, port: Number(new URL(ready.ingestUrl).port) });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code ?? signal}): ${err}`));
    });
  });
}

async function admin<T = any>(ready: Ready, method: string, body: unknown): Promise<T> {
  const res = await fetch(`${ready.adminUrl}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ready.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(json)}`);
  return json as T;
}

/** A Segment webhook batch (bare array) of BATCH realistic events with ids unique to (client, n). */
const batch = (client: number, n: number) =>
  JSON.stringify(
    Array.from({ length: BATCH }, (_, i) => ({
      type: i % 10 === 0 ? 'identify' : 'track',
      event: i % 10 === 0 ? undefined : 'Crash Test',
      userId: `u${client}-${i % 17}`,
      anonymousId: `a-${client}-${n}`,
      messageId: `c${client}-b${n}-e${i}`,
      originalTimestamp: new Date(Date.UTC(2025, 9, 20) + n * 1000 + i).toISOString(),
      sentAt: new Date(Date.UTC(2025, 9, 20) + n * 1000 + 500).toISOString(),
      context: { library: { name: 'analytics.js', version: '5.2.0' }, ip: '10.0.0.1', locale: 'en-US', page: { path: '/pricing' } },
      properties: { i, pad: 'x'.repeat(500) },
    })),
  );

describe('crash safety of the app (SIGKILL mid-load)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'app-crash-'));

  beforeAll(() => {
    // Build when out/ is missing or stale (a child process, so a failing build fails this test, not the runner).
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-if-stale.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`build failed: ${r.stderr?.toString()}`);
  }, 120_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    removeDir(dir);
  });

  it('keeps every acknowledged event exactly once, and every request all-or-nothing, over three kills', async () => {
    let app = await startApp(dir);
    const source = await admin<{ id: string }>(app.ready, 'sources.create', { type: 'segment', name: 'crash' });
    const { keys } = await admin<{ keys: { key: string }[] }>(app.ready, 'writeKeys.list', { sourceId: source.id });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${keys[0].key}` };

    const acked = new Set<string>();
    const unanswered: string[] = [];
    // Each round loads the app from 4 clients and kills it at a different moment (after 15, 30, 45 answers).
    for (const [round, killAfter] of [15, 30, 45].entries()) {
      let stop = false;
      let answered = 0;
      const clients = [0, 1, 2, 3].map(async (c) => {
        for (let n = 0; !stop; n++) {
          const id = `c${c}-b${round * 10_000 + n}`;
          try {
            const r = await send({ port: app.port }, '/v1/events', batch(c, round * 10_000 + n), headers);
            answered++;
            if (r.status === 200) {
              expect(r.json).toMatchObject({ accepted: BATCH, rejected: [], duplicates: 0 });
              acked.add(id);
            } else expect(r.status).toBe(503); // refusing under load is allowed, accepting-then-losing is not
          } catch {
            unanswered.push(id); // the server died under us
            return;
          }
        }
      });
      while (answered < killAfter) await new Promise((r) => setTimeout(r, 2));
      app.child.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      await new Promise((r) => (app.child.exitCode !== null || app.child.signalCode !== null ? r(null) : app.child.once('exit', r)));
      expect(app.child.signalCode).toBe('SIGKILL');
      // Restart on the same folder: DuckDB replays its WAL; the app serves again.
      app = await startApp(dir);
    }
    expect(unanswered.length).toBeGreaterThan(0);

    const q = (sql: string) => admin<{ rows: unknown[][] }>(app.ready, 'warehouse.query', { sql, maxRows: 10_000 }).then((r) => r.rows);
    const perBatch = new Map(
      (await q(`SELECT split_part(message_id, '-e', 1), count(*)::BIGINT FROM events GROUP BY 1`)).map(([b, n]) => [String(b), Number(n)]),
    );
    for (const b of acked) expect(perBatch.get(b), `acknowledged batch ${b}`).toBe(BATCH);
    for (const [b, n] of perBatch) expect(n, `batch ${b} is all-or-nothing`).toBe(BATCH);
    expect(await q(`SELECT message_id, count(*) FROM events GROUP BY 1 HAVING count(*) > 1 LIMIT 5`)).toEqual([]);
    const [[distinctSeq, rows]] = await q(`SELECT count(DISTINCT seq)::BIGINT, count(*)::BIGINT FROM events`);
    expect(Number(distinctSeq)).toBe(Number(rows));
    // The counters were committed with the events.
    const stats = await admin<{ accepted: number }>(app.ready, 'events.stats', { sourceId: source.id });
    expect(stats.accepted).toBe(Number(rows));

    // Segment retries what got no answer: an acknowledged batch is all duplicates,
    // an unanswered one is stored now or was stored before the kill, never twice.
    const [ac, an] = [...acked][0].slice(1).split('-b').map(Number);
    const again = await send({ port: app.port }, '/v1/events', batch(ac, an), headers);
    expect(again.json).toMatchObject({ accepted: 0, duplicates: BATCH });
    for (const b of unanswered) {
      const [c, n] = b.slice(1).split('-b').map(Number);
      const r = await send({ port: app.port }, '/v1/events', batch(c, n), headers);
      expect(r.status).toBe(200);
      expect(r.json.accepted + r.json.duplicates).toBe(BATCH);
      expect(r.json.duplicates).toBe(perBatch.has(b) ? BATCH : 0);
    }
    expect(await q(`SELECT message_id FROM events GROUP BY 1 HAVING count(*) > 1 LIMIT 5`)).toEqual([]);

    app.child.kill('SIGTERM');
    const code = await new Promise((r) => app.child.once('exit', r));
    expect(code).toBe(0);
    const committedUnanswered = unanswered.filter((b) => perBatch.has(b)).length;
    console.info(
      `[app-crash] 3 kills: ${acked.size} batches acknowledged, ${perBatch.size} in the log, ` +
        `${unanswered.length} unanswered (${committedUnanswered} of them committed before the kill)`,
    );
  }, 60_000);
});
