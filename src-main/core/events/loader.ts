/**
 * The journal's loader: moves journaled requests into the event log (DuckDB),
 * in journal order, in batches of 5000 events. The worker thread
 * (loader-worker.ts) turns a batch into encoded rows while the previous batch
 * commits; each batch is ONE transaction of the log's writer, which also
 * records the journal position it reached. A failed commit is retried (with
 * backoff) until it succeeds: journaled events are never dropped. A worker
 * that dies is replaced and the batch parsed again.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { endOf, type Journal, type JournalRecord } from './journal';
import type { EventLog } from './log';
import type { LoadedRecord, LoadRequest, LoadResponse } from './loader-worker';

export interface LoaderOptions {
  journal: Journal;
  log: Pick<EventLog, 'appendRows'>;
  /** The built worker (out/main/ingest-loader.js); found next to the bundle by default. */
  workerPath?: string;
  /** After each committed batch (pipelines wake up). */
  onLoaded?: () => void;
  /**
   * Most events (accepted + rejected) per batch, at most the log's group size (20 000). Default 5000:
   * larger batches loaded no faster and took more memory (bench:ingest).
   */
  batchEvents?: number;
  /** Most journal bytes per batch (default 32 MiB). */
  batchBytes?: number;
  /** Most bytes of encoded rows per transaction (default 32 MiB; at least one request). */
  chunkBytes?: number;
  /**
   * While the event loop is busier than this (0..1, measured over the last 200 ms: requests being
   * answered), the loader waits, unless the journal holds more than `yieldBelowBytes` not loaded yet.
   * Default 0.3 (at 60k events/s paced, 0.6 let loading contend with answering: p99 72 ms instead of 23) and 1 GiB.
   */
  busyAbove?: number;
  yieldBelowBytes?: number;
}

export interface LoaderMetrics {
  batches: number;
  records: number;
  /** Records the worker could not read or parse (kept in the journal's files until passed; see lastError). */
  failedRecords: number;
  /** Commits that failed and were retried. */
  retries: number;
  /** Records whose number of stored-or-duplicate events differs from what the route answered. */
  mismatches: number;
  /** Time spent waiting for a busy event loop, ms. */
  yieldedMs: number;
  lastError: string | null;
}

export interface Loader {
  /** Resolves true once everything journaled before the call is in the log, false after timeoutMs. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Records journaled and not loaded yet. */
  readonly lag: number;
  metrics(): LoaderMetrics;
  /** Finish the batch in hand (and whatever else loads within `drainMs`, default 5 s), then stop the worker. */
  close(drainMs?: number): Promise<void>;
}

/** The worker script: next to the bundle's entries, or the built one when running from source (tests). */
export function defaultWorkerPath(): string {
  const candidates = ['../ingest-loader.js', './ingest-loader.js', '../../../out/main/ingest-loader.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`The ingest loader's worker is not built (looked for ${candidates.join(', ')}): run npm run build`);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rowBytes = (p: LoadedRecord) => ('rows' in p ? p.rows.data.byteLength : 0);

export function startLoader(opts: LoaderOptions): Loader {
  const { journal, log } = opts;
  const workerPath = opts.workerPath ?? defaultWorkerPath();
  const batchEvents = Math.min(20_000, opts.batchEvents ?? 5000);
  const batchBytes = opts.batchBytes ?? 32 * 1024 * 1024;
  // Bounds the rows of one transaction (an envelope context copied into every event can make them far larger than the journal bytes).
  const chunkBytes = opts.chunkBytes ?? 32 * 1024 * 1024;
  const metrics: LoaderMetrics = { batches: 0, records: 0, failedRecords: 0, retries: 0, mismatches: 0, yieldedMs: 0, lastError: null };
  const busyAbove = opts.busyAbove ?? 0.3;
  const yieldBelow = opts.yieldBelowBytes ?? 1024 * 1024 * 1024;

  // How busy the event loop is (answering requests): a burst is absorbed by the journal first, and
  // loaded when the CPU is free again (or when the journal grows past yieldBelowBytes).
  // (Busy only counts when requests were journaled meanwhile: a profiler or other work keeps the loop busy too.)
  let elu = performance.eventLoopUtilization();
  let busy = 0;
  let appended = journal.appended;
  const sampler = setInterval(() => {
    const now = performance.eventLoopUtilization();
    busy = journal.appended !== appended ? performance.eventLoopUtilization(now, elu).utilization : 0;
    appended = journal.appended;
    elu = now;
  }, 200);
  sampler.unref();
  async function whileBusy() {
    const started = performance.now();
    while (busy > busyAbove && journal.backlogBytes < yieldBelow && !closing) await sleep(50);
    metrics.yieldedMs += performance.now() - started;
  }

  let queue: JournalRecord[] = [...journal.recovered];
  let enqueued = queue.length;
  let loadedCount = 0;
  let closing = false;
  // Backoff sleeps end early when close() is called.
  let closed!: () => void;
  const closeSignal = new Promise<void>((r) => (closed = r));
  const backoff = (ms: number) => Promise.race([sleep(ms), closeSignal]);
  let running: Promise<void> | null = null;
  let waiters: { target: number; resolve: (ok: boolean) => void }[] = [];

  // ---- the worker
  let worker: Worker | null = null;
  let nextId = 1;
  const outstanding = new Map<number, { resolve: (r: LoadedRecord[]) => void; reject: (e: Error) => void }>();
  function failAll(err: Error) {
    for (const o of outstanding.values()) o.reject(err);
    outstanding.clear();
  }
  function ensureWorker(): Worker {
    if (worker) return worker;
    const w = new Worker(workerPath, { resourceLimits: { maxOldGenerationSizeMb: 128 } });
    w.unref();
    w.on('message', (msg: LoadResponse) => {
      const o = outstanding.get(msg.id);
      outstanding.delete(msg.id);
      o?.resolve(msg.records);
    });
    w.on('error', (err) => {
      metrics.lastError = `loader worker: ${err.message}`
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`the loader's worker stopped (exit code ${code})`));
    });
    worker = w;
    return w;
  }
  function parse(records: JournalRecord[]): Promise<LoadedRecord[]> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      outstanding.set(id, { resolve, reject });
      const msg: LoadRequest = { id, records: records.map((r) => ({ file: journal.path(r.segment), offset: r.offset })) };
      ensureWorker().postMessage(msg);
    });
  }

  // ---- batches
  function take(): JournalRecord[] | null {
    if (queue.length === 0 || closing) return null;
    let i = 0;
    let events = 0;
    let bytes = 0;
    while (i < queue.length && (i === 0 || (events + queue[i].header.n + queue[i].header.k <= batchEvents && bytes + queue[i].length <= batchBytes))) {
      events += queue[i].header.n + queue[i].header.k;
      bytes += queue[i].length;
      i++;
    }
    const batch = queue.slice(0, i);
    queue = queue.slice(i);
    return batch;
  }

  async function parseWithRetry(records: JournalRecord[]): Promise<LoadedRecord[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await parse(records);
      } catch (err) {
        metrics.lastError = (err as Error).message;
        // Closing: the batch stays in the journal for the next start.
        if (closing) throw err;
        await backoff(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  }

  /** Commit a chunk of records as ONE group of the log's writer (one transaction; the last mark wins), retrying until it succeeds. */
  async function commit(records: JournalRecord[], parsed: LoadedRecord[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await Promise.all(
          parsed.map((p, i) => ('error' in p ? null : log.appendRows(p.sourceId, p.rows, p.rejected, endOf(records[i])))),
        );
        results.forEach((r, i) => {
          const p = parsed[i];
          if ('error' in p) {
            metrics.failedRecords++;
            metrics.lastError = `journal record ${records[i].segment}:${records[i].offset}: ${p.error}`;
          } else if (r && r.stored + r.duplicates !== p.expected) metrics.mismatches++;
        });
        return;
      } catch (err) {
        metrics.retries++;
        metrics.lastError = (err as Error).message;
        if (closing) throw err;
        await backoff(Math.min(30_000, 200 * 2 ** attempt));
        if (closing) throw err;
      }
    }
  }

  function loaded(records: JournalRecord[]) {
    journal.loaded(endOf(records[records.length - 1]), records.reduce((a, r) => a + r.length, 0));
    loadedCount += records.length;
    metrics.records += records.length;
    const ready = waiters.filter((w) => w.target <= loadedCount);
    waiters = waiters.filter((w) => w.target > loadedCount);
    for (const w of ready) w.resolve(true);
    opts.onLoaded?.();
  }

  async function run() {
    await whileBusy();
    let batch = take();
    let parsing = batch ? parseWithRetry(batch) : null;
    while (batch && parsing) {
      let parsed: LoadedRecord[];
      try {
        parsed = await parsing;
      } catch {
        return;
      }
      const current = batch;
      // Parse the next batch while this one commits.
      await whileBusy();
      batch = take();
      parsing = batch ? parseWithRetry(batch) : null;
      parsing?.catch(() => undefined); // awaited on the next turn, or dropped when closing
      // A batch's rows can be much larger than its journal bytes (an envelope's context is copied into
      // every event): commit them in chunks of at most chunkBytes, each a transaction with its own mark,
      // so the log's queue bound never refuses part of a group.
      for (let i = 0; i < current.length; ) {
        let j = i;
        let bytes = 0;
        while (j < current.length && (j === i || bytes + rowBytes(parsed[j]) <= chunkBytes)) bytes += rowBytes(parsed[j++]);
        try {
          await commit(current.slice(i, j), parsed.slice(i, j));
        } catch {
          // Closing with a failing commit: the rest stays in the journal for the next start.
          return;
        }
        loaded(current.slice(i, j));
        i = j;
      }
      metrics.batches++;
    }
  }

  function kick() {
    if (running || closing) return;
    running = run().finally(() => {
      running = null;
      if (queue.length > 0) kick();
    });
  }

  journal.onRecord((r) => {
    queue.push(r);
    enqueued++;
    kick();
  });
  kick();

  return {
    flush(timeoutMs = Infinity) {
      const target = enqueued;
      if (loadedCount >= target) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const w = { target, resolve };
        waiters.push(w);
        if (Number.isFinite(timeoutMs)) {
          setTimeout(() => {
            waiters = waiters.filter((x) => x !== w);
            resolve(false);
          }, timeoutMs).unref();
        }
      });
    },
    get lag() {
      return enqueued - loadedCount;
    },
    metrics: () => ({ ...metrics }),
    async close(drainMs = 5000) {
      busy = 0;
      clearInterval(sampler);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flush(), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
      clearTimeout(timer);
      closing = true;
      closed();
      await running;
      const w = worker;
      worker = null;
      await w?.terminate();
      for (const x of waiters) x.resolve(false);
      waiters = [];
    },
  };
}
