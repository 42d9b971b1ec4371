/** Real components for the ingest integration tests: a DuckDB file in a temp folder, the event log, the sample, a fastify server on 127.0.0.1:0. */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Fastify, { type FastifyInstance } from 'fastify';
import { openJournal, type Journal, type JournalOptions } from '../../../src-main/core/events/journal';
import { startLoader, type Loader } from '../../../src-main/core/events/loader';
import { createEventLog, type EventLog, type EventLogOptions } from '../../../src-main/core/events/log';
import { createEventSample, type EventSample, type EventSampleOptions } from '../../../src-main/core/events/sample';
import { EVENTS_MIGRATIONS } from '../../../src-main/core/events/schema';
import { registerIngestRoutes, type IngestDeps } from '../../../src-main/core/ingest/routes';

export const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));

export interface TestWarehouse {
  dir: string;
  file: string;
  instance: DuckDBInstance;
  /** A connection for the test's own queries. */
  db: DuckDBConnection;
  connect(): Promise<DuckDBConnection>;
  query<T = unknown[]>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Apply migrations the way the warehouse runner does: in order, each once, recorded by id. */
export async function applyMigrations(conn: DuckDBConnection) {
  await conn.run(`CREATE TABLE IF NOT EXISTS schema_migrations (id VARCHAR PRIMARY KEY)`);
  const done = new Set((await conn.runAndReadAll('SELECT id FROM schema_migrations')).getRows().map((r) => String(r[0])));
  for (const m of EVENTS_MIGRATIONS) {
    if (done.has(m.id)) continue;
    await conn.run('BEGIN TRANSACTION');
    for (const s of m.sql) await conn.run(s);
    await conn.run('INSERT INTO schema_migrations VALUES ($1)', [m.id]);
    await conn.run('COMMIT');
  }
}

export async function openWarehouse(dir = mkdtempSync(join(tmpdir(), 'ingest-test-')), options?: Record<string, string>): Promise<TestWarehouse> {
  const file = join(dir, 'warehouse.duckdb');
  const instance = await DuckDBInstance.create(file, options);
  const db = await instance.connect();
  await applyMigrations(db);
  const conns: DuckDBConnection[] = [db];
  return {
    dir,
    file,
    instance,
    db,
    async connect() {
      const c = await instance.connect();
      conns.push(c);
      return c;
    },
    async query<T>(sql: string, params?: unknown[]) {
      const r = await db.runAndReadAll(sql, params as never);
      return r.getRowsJS() as T[];
    },
    async close() {
      for (const c of conns) {
        try {
          c.closeSync();
        } catch {
          /* closed */
        }
      }
      instance.closeSync();
    },
  };
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

export interface TestServer {
  url: string;
  port: number;
  app: FastifyInstance;
  wh: TestWarehouse;
  log: EventLog;
  logConn: DuckDBConnection;
  journal: Journal;
  loader: Loader;
  sample: EventSample;
  /** write key -> source id; delete a key to revoke it. */
  keys: Map<string, string>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  log?: EventLogOptions;
  sample?: EventSampleOptions;
  limits?: IngestDeps['limits'];
  now?: () => Date;
  journal?: JournalOptions;
  /**
   * Send each answer only once the journal's loader has brought the request into the events table
   * (default true), so a test can read the log right after a 200. The app itself answers on journaling.
   */
  answerWhenLoaded?: boolean;
  wh?: TestWarehouse;
}

export const KEY = 'wk_test_1234567890abcdef';
export const KEY2 = 'wk_other_abcdef1234567890';

export async function startServer(opts: ServerOptions = {}): Promise<TestServer> {
  const wh = opts.wh ?? (await openWarehouse());
  const logConn = await wh.connect();
  const log = await createEventLog(logConn, opts.log);
  const journal = openJournal(join(wh.dir, 'journal'), await log.journalMark(), opts.journal);
  const loader = startLoader({ journal, log });
  const sample = createEventSample(opts.sample);
  await sample.restore(log);
  const keys = new Map([
    [KEY, 'src_1'],
    [KEY2, 'src_2'],
  ]);
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ ok: true }));
  if (opts.answerWhenLoaded !== false) app.addHook('onSend', async () => void (await loader.flush()));
  await app.register(registerIngestRoutes, {
    resolveWriteKey: (k: string) => (keys.has(k) ? { sourceId: keys.get(k)! } : null),
    journal,
    sample,
    limits: opts.limits,
    now: opts.now,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    app,
    wh,
    log,
    logConn,
    journal,
    loader,
    sample,
    keys,
    async stop() {
      await app.close();
      await loader.close();
      await journal.close();
      await log.close();
      sample.close();
      if (!opts.wh) {
        await wh.close();
        removeDir(wh.dir);
      }
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

/** A request through node:http, body sent byte for byte (string, Buffer, or chunks for a chunked body without Content-Length). */
export function send(
  server: { port: number },
  path: string,
  body: string | Buffer | Buffer[] | undefined,
  headers: OutgoingHttpHeaders = {},
  method = 'POST',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const h: OutgoingHttpHeaders = { ...headers };
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-length')) h['content-length'] = Buffer.byteLength(body);
    }
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      (async () => {
        for (const c of body) {
          if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(reject);
    } else {
      req.end(body);
    }
  });
}

export const bearer = (key = KEY) => ({ authorization: `Bearer ${key}` });
export const json = (key = KEY) => ({ 'content-type': 'application/json', ...bearer(key) });

export async function countEvents(wh: TestWarehouse, sourceId?: string): Promise<number> {
  const rows = await wh.query<[bigint]>(sourceId ? `SELECT count(*) FROM events WHERE source_id = $1` : `SELECT count(*) FROM events`, sourceId ? [sourceId] : []);
  return Number(rows[0][0]);
}
