import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import type { ExportFormat, ExportStatus } from '../api/users';
import { ApiError, badRequest, notFound } from '../api/errors';
import type { CoreContext } from '../context';
import { currentModel } from '../model/migrate';
import { q, USERS_TABLE } from '../model/sql';
import { buildView, type ViewArgs } from './view';

/** A finished export's file waits this long for its one download, then is deleted. */
const KEEP_MS = 15 * 60_000;
const PROGRESS_EVERY_MS = 300;

interface Job {
  status: ExportStatus;
  file: string;
  conn: DuckDBConnection | null;
  timer?: NodeJS.Timeout;
}
const jobsOf = new WeakMap<CoreContext, Map<string, Job>>();
const jobs = (ctx: CoreContext) => {
  let m = jobsOf.get(ctx);
  if (!m) jobsOf.set(ctx, (m = new Map()));
  return m;
};

const publicStatus = (j: Job): ExportStatus => ({ ...j.status });

function exportDir() {
  return join(tmpdir(), 'krenalis-exports');
}

function stamp(d = new Date()) {
  return d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/**
 * Start exporting a users view (search + sort, optional column choice) with DuckDB COPY to a
 * temp file. Returns at once; progress is published as `users.export` push events.
 */
export async function startExport(
  ctx: CoreContext,
  args: ViewArgs & { format: ExportFormat; columns?: string[] },
): Promise<ExportStatus> {
  const model = currentModel(ctx);
  const conn = await ctx.warehouse.instance.connect();
  let job: Job;
  try {
    const view = await buildView(conn, model, args);
    let columns = view.columns;
    if (args.columns?.length) {
      const known = new Map(view.columns.map((c) => [c.name, c]));
      args.columns.forEach((name, i) => {
        if (!known.has(name)) throw badRequest(`Unknown column "${name}"`, `columns.${i}`);
      });
      columns = [...new Set(args.columns)].map((n) => known.get(n)!);
    }
    const where = view.where ? `WHERE ${view.where}` : '';
    const total = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${USERS_TABLE} ${where}`, view.params)).getRowsJson()[0][0]);
    const id = randomBytes(24).toString('base64url');
    await mkdir(exportDir(), { recursive: true, mode: 0o700 });
    const ext = args.format === 'csv' ? 'csv' : 'parquet';
    const file = join(exportDir(), `${id}.${ext}`);
    // CSV: JSON and list values as JSON text; Parquet keeps the column types.
    const select = columns
      .map((c) => (args.format === 'csv' && (c.type === 'array' || c.type === 'json') ? `CAST(to_json(${q(c.name)}) AS VARCHAR) AS ${q(c.name)}` : q(c.name)))
      .join(', ');
    const options = args.format === 'csv' ? `FORMAT csv, HEADER true` : `FORMAT parquet, COMPRESSION zstd`;
    const sql = `COPY (SELECT ${select} FROM ${USERS_TABLE} ${where} ORDER BY ${view.orderBy}) TO '${file.replace(/'/g, "''")}' (${options})`;
    job = {
      file,
      conn,
      status: {
        id,
        format: args.format,
        state: 'running',
        rows: total,
        progress: 0,
        bytes: null,
        fileName: `users-${stamp()}.${ext}`,
        error: null,
        downloadPath: null,
      },
    };
    jobs(ctx).set(id, job);
    void run(ctx, job, sql, view.params);
    return publicStatus(job);
  } catch (err) {
    conn.closeSync();
    throw err;
  }
}

async function run(ctx: CoreContext, job: Job, sql: string, params: DuckDBValue[]) {
  const conn = job.conn!;
  const publish = () => ctx.live.publish('users.export', publicStatus(job));
  let ticker: NodeJS.Timeout | undefined;
  try {
    await conn.run('SET enable_progress_bar = true').catch(() => undefined);
    await conn.run('SET enable_progress_bar_print = false').catch(() => undefined);
    publish();
    ticker = setInterval(() => {
      try {
        const p = conn.progress;
        if (p && p.percentage >= 0) job.status.progress = Math.min(0.99, p.percentage / 100);
      } catch {
        /* progress is best effort */
      }
      publish();
    }, PROGRESS_EVERY_MS);
    await conn.run(sql, params);
    clearInterval(ticker);
    if (job.status.state === 'cancelled') return;
    job.status.bytes = (await stat(job.file)).size;
    job.status.progress = 1;
    job.status.state = 'done';
    job.status.downloadPath = `/download/${job.status.id}`;
  } catch (err) {
    clearInterval(ticker);
    if (job.status.state !== 'cancelled') {
      job.status.state = 'failed';
      job.status.error = (err as Error).message;
    }
    await rm(job.file, { force: true }).catch(() => undefined);
  } finally {
    clearInterval(ticker);
    conn.closeSync();
    job.conn = null;
    publish();
    job.timer = setTimeout(() => void forget(ctx, job.status.id), KEEP_MS);
    job.timer.unref();
  }
}

async function forget(ctx: CoreContext, id: string) {
  const job = jobs(ctx).get(id);
  if (!job) return;
  clearTimeout(job.timer);
  jobs(ctx).delete(id);
  await rm(job.file, { force: true }).catch(() => undefined);
}

export function exportStatus(ctx: CoreContext, id: string): ExportStatus {
  const job = jobs(ctx).get(id);
  if (!job) throw notFound(`No export "${id}" (exports are kept ${KEEP_MS / 60_000} minutes)`);
  return publicStatus(job);
}

export async function cancelExport(ctx: CoreContext, id: string): Promise<ExportStatus> {
  const job = jobs(ctx).get(id);
  if (!job) throw notFound(`No export "${id}"`);
  if (job.status.state === 'running') {
    job.status.state = 'cancelled';
    job.conn?.interrupt();
  } else {
    await forget(ctx, id);
    job.status.state = job.status.state === 'done' ? 'cancelled' : job.status.state;
  }
  return publicStatus(job);
}

/** Electron: copy a finished export to the path the save dialog returned (then forget it). */
export async function saveExportTo(ctx: CoreContext, id: string, destination: string): Promise<ExportStatus> {
  const job = jobs(ctx).get(id);
  if (!job) throw notFound(`No export "${id}"`);
  if (job.status.state !== 'done') throw new ApiError('conflict', `Export "${id}" is ${job.status.state}`);
  await copyFile(job.file, destination);
  const status = publicStatus(job);
  await forget(ctx, id);
  return status;
}

/**
 * Headless: GET /download/:id serves a finished export once. The id is a 192-bit secret
 * returned only to an authenticated API caller; a browser download cannot send the token
 * header, so the id itself is the credential (single use, expires, loopback + Host check).
 */
export function registerExportRoutes(app: FastifyInstance, ctx: CoreContext) {
  app.get<{ Params: { id: string } }>('/download/:id', async (req, reply) => {
    const job = jobs(ctx).get(req.params.id);
    if (!job || job.status.state !== 'done') return reply.code(404).send(notFound('No such export (downloads work once)').toBody());
    jobs(ctx).delete(job.status.id);
    clearTimeout(job.timer);
    const stream = createReadStream(job.file);
    stream.on('close', () => void rm(job.file, { force: true }).catch(() => undefined));
    return reply
      .header('content-type', job.status.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet')
      .header('content-disposition', `attachment; filename="${job.status.fileName}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(stream);
  });
}
