/**
 * The journal's loader on real files: a journal in a temp folder, the event
 * log on a DuckDB file, the built worker (out/main/ingest-loader.js). Every
 * journaled request lands in `events` once and in journal order, the mark is
 * committed with it, restarts never load twice nor lose what was journaled
 * meanwhile, failed commits are retried, a dying worker is replaced.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { endOf, openJournal, type Journal, type JournalOptions, type JournalRecord } from '../../../src-main/core/events/journal';
import { defaultWorkerPath, startLoader, type Loader, type LoaderOptions } from '../../../src-main/core/events/loader';
import { createEventLog, type EventLog, type EventLogOptions } from '../../../src-main/core/events/log';
import { checkEvents, prepareEvents, splitBody, type IngestRoute } from '../../../src-main/core/ingest/batch';
import { repoRoot } from '../../helpers/tmp';
import { openWarehouse, removeDir, type TestWarehouse } from './helpers';

type Json = Record<string, any>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.UTC(2025, 10, 3, 10, 0, 0);
const MAX_EVENT_BYTES = 32 * 1024;

interface Stack {
  log: EventLog;
  journal: Journal;
  loader: Loader | null;
  close(): Promise<void>;
}

const whs: TestWarehouse[] = [];
const stacks: Stack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0).reverse()) await s.close().catch(() => undefined);
  for (const wh of whs.splice(0)) {
    await wh.close().catch(() => undefined);
    removeDir(wh.dir);
  }
});

async function warehouse(): Promise<TestWarehouse> {
  const wh = await openWarehouse();
  whs.push(wh);
  return wh;
}

const journalDir = (wh: TestWarehouse) => join(wh.dir, 'journal');

/** Log, journal (from the log's mark) and loader, as the app wires them; `loader: false` for none. */
async function openStack(
  wh: TestWarehouse,
  opts: { log?: EventLogOptions; journal?: JournalOptions; loader?: Partial<LoaderOptions> | false } = {},
): Promise<Stack> {
  const conn = await wh.connect();
  const log = await createEventLog(conn, { keepRejectedPerSource: 10_000, ...opts.log });
  const journal = openJournal(journalDir(wh), await log.journalMark(), { segmentBytes: 256 * 1024, ...opts.journal });
  const loader = opts.loader === false ? null : startLoader({ journal, log, ...opts.loader });
  let closed = false;
  const stack: Stack = {
    log,
    journal,
    loader,
    async close() {
      if (closed) return;
      closed = true;
      stacks.splice(stacks.indexOf(stack), 1);
      await loader?.close();
      await journal.close();
      await log.close();
      conn.closeSync();
    },
  };
  stacks.push(stack);
  return stack;
}

interface Journaled {
  record: JournalRecord;
  source: string;
  /** The messageIds the request's accepted events are stored with, in order. */
  ids: string[];
  rejected: number;
}

/** Journal a request as the ingest route does: checkEvents' counts in the header, the body's bytes as received. */
async function journalRequest(journal: Journal, body: unknown, opts: { id: string; source?: string; route?: IngestRoute; at?: number }): Promise<Journaled> {
  const bytes = Buffer.from(JSON.stringify(body));
  const route = opts.route ?? 'events';
  const receivedAt = new Date(opts.at ?? T0);
  const source = opts.source ?? 'src_1';
  const checked = checkEvents(splitBody(JSON.parse(bytes.toString()), route, 10_000), { receivedAt, maxEventBytes: MAX_EVENT_BYTES, requestId: opts.id, sample: 0 });
  const prepared = prepareEvents(splitBody(JSON.parse(bytes.toString()), route, 10_000), { receivedAt, maxEventBytes: MAX_EVENT_BYTES, requestId: opts.id });
  const record = await journal.append(
    { s: source, r: receivedAt.getTime(), t: route, id: opts.id, e: MAX_EVENT_BYTES, n: checked.accepted, k: checked.rejected.length },
    bytes,
  );
  return { record, source, ids: prepared.accepted.map((a) => a.normalized.messageId), rejected: prepared.rejected.length };
}

let generatorModule: { generateEvents(o: { count: number; seed?: number }): Iterable<Json> } | null = null;

/** Realistic traffic as request bodies: bare arrays, envelopes and single events; some events invalid, some without ids. */
async function requests(count: number, seed: number, prefix: string): Promise<{ body: unknown; route: IngestRoute; id: string; source: string }[]> {
  generatorModule ??= (await import(pathToFileURL(join(repoRoot, '..', 'shared', 'tools', 'segment-events.mjs')).href)) as typeof generatorModule;
  const events = [...generatorModule!.generateEvents({ count, seed })];
  events.forEach((e, i) => {
    // Unique across the test's batches of traffic.
    if (e.messageId) e.messageId = `${prefix}-${e.messageId}`;
    // No messageId nor a time of its own: the id derives from the request id (gen-<request id>-<index>).
    if (i % 9 === 4) {
      delete e.messageId;
      delete e.originalTimestamp;
    }
    // Invalid: recorded in events_rejected.
    if (i % 50 === 7) {
      delete e.anonymousId;
      delete e.userId;
    }
  });
  const out: { body: unknown; route: IngestRoute; id: string; source: string }[] = [];
  let r = 0;
  for (let i = 0; i < events.length; r++) {
    const n = r % 5 === 4 ? 1 : 1 + ((r * 37) % 120);
    const chunk = events.slice(i, i + n);
    i += n;
    const id = `${prefix}-req-${r}`;
    const source = r % 4 === 3 ? 'src_2' : 'src_1';
    if (n === 1 && r % 10 === 4 && typeof chunk[0].type === 'string') out.push({ body: chunk[0], route: chunk[0].type as IngestRoute, id, source });
    else if (r % 2 === 0) out.push({ body: chunk, route: 'events', id, source });
    else out.push({ body: { batch: chunk, sentAt: new Date(T0).toISOString(), context: { library: { name: 'analytics-node', version: '6.0.0' } } }, route: 'batch', id, source });
  }
  return out;
}

async function journalAll(journal: Journal, reqs: Awaited<ReturnType<typeof requests>>, concurrently = false): Promise<Journaled[]> {
  if (concurrently) return Promise.all(reqs.map((q) => journalRequest(journal, q.body, q)));
  const out: Journaled[] = [];
  for (const q of reqs) out.push(await journalRequest(journal, q.body, q));
  return out;
}

/** What `events` and the other tables must hold after loading `all` (in journal order), exactly once. */
async function expectLoaded(wh: TestWarehouse, all: Journaled[]) {
  const rows = await wh.query<[bigint, string, string]>(`SELECT seq, source_id, message_id FROM events ORDER BY seq`);
  const expected = all.flatMap((j) => j.ids.map((id) => `${j.source}/${id}`));
  expect(new Set(expected).size).toBe(expected.length);
  expect(rows.length).toBe(expected.length);
  // In journal order: seq follows the journal.
  expect(rows.map((r) => `${r[1]}/${r[2]}`)).toEqual(expected);
  const seqs = rows.map((r) => Number(r[0]));
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);

  const rejected = all.reduce((a, j) => a + j.rejected, 0);
  const [[rej]] = await wh.query<[bigint]>(`SELECT count(*) FROM events_rejected`);
  expect(Number(rej)).toBe(rejected);
  const stats = await wh.query<[bigint, bigint, bigint, bigint]>(`SELECT sum(received), sum(accepted), sum(rejected), sum(duplicates) FROM ingest_stats`);
  expect(stats[0].map(Number)).toEqual([expected.length + rejected, expected.length, rejected, 0]);

  // The mark: the end of the last record, in the same table.
  const last = all.reduce((a, j) => (j.record.segment > a.segment || (j.record.segment === a.segment && j.record.offset > a.offset) ? j.record : a), all[0].record);
  const mark = await wh.query<[bigint, bigint]>(`SELECT segment, "offset" FROM ingest_journal WHERE id = 1`);
  expect(mark.map((m) => ({ segment: Number(m[0]), offset: Number(m[1]) }))).toEqual([endOf(last)]);
}

const segmentNumbers = (wh: TestWarehouse) =>
  readdirSync(journalDir(wh))
    .filter((f) => /^\d{10}\.journal$/.test(f))
    .map((f) => Number(f.slice(0, 10)))
    .sort((a, b) => a - b);

/**
 * A worker script that wraps the built one, steered by a control file: `failLoad` (it throws while
 * loading), `crashAt: n` (it exits, code 9, instead of sending its n-th answer, then clears the control).
 */
function controlledWorker(dir: string) {
  const control = join(dir, 'worker-control.json');
  const file = join(dir, 'controlled-worker.mjs');
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const control = ${JSON.stringify(control)};
const c = existsSync(control) ? JSON.parse(readFileSync(control, 'utf8')) : {};
if (c.failLoad) throw new Error('test: this worker cannot start');
if (c.crashAt) {
  let answers = 0;
  const post = parentPort.postMessage.bind(parentPort);
  parentPort.postMessage = (msg, transfer) => {
    if (++answers >= c.crashAt) {
      writeFileSync(control, JSON.stringify({ crashed: true }));
      process.exit(9);
    }
    return post(msg, transfer);
  };
}
await import(${JSON.stringify(pathToFileURL(defaultWorkerPath()).href)});
`,
  );
  return {
    file,
    set: (c: Json) => writeFileSync(control, JSON.stringify(c)),
    get: (): Json => (existsSync(control) ? JSON.parse(readFileSync(control, 'utf8')) : {}),
  };
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('journal loader', () => {
  it('loads journaled requests into events once, in journal order, and commits the mark (several segments)', async () => {
    const wh = await warehouse();
    // Journal first (no loader), then start the loader on the journal's recovered records.
    const writer = await openStack(wh, { loader: false });
    const reqs = await requests(3000, 5, 'a');
    const all = await journalAll(writer.journal, reqs);
    await writer.close();
    expect(segmentNumbers(wh).length).toBeGreaterThan(5);

    // Default settings but smaller batches: the next batch is parsed while one commits.
    const s = await openStack(wh, { loader: { batchEvents: 1000 } });
    expect(s.journal.recovered.length).toBe(all.length);
    expect(s.loader!.lag).toBe(all.length);
    expect(await s.loader!.flush(60_000)).toBe(true);
    expect(s.loader!.lag).toBe(0);
    const m = s.loader!.metrics();
    expect(m).toMatchObject({ records: all.length, failedRecords: 0, mismatches: 0, retries: 0, lastError: null });
    expect(m.batches).toBeGreaterThan(1);
    await expectLoaded(wh, all);
    // Generated ids follow the request id: gen-<request id>-<index>.
    expect(all.some((j) => j.ids.some((id) => /^gen-a-req-\d+-\d+$/.test(id)))).toBe(true);
    // Passed segments are deleted; the journal's backlog is empty.
    const mark = await s.log.journalMark();
    expect(segmentNumbers(wh).every((n) => n >= mark!.segment)).toBe(true);
    expect(s.journal.backlogBytes).toBe(0);
    expect(s.log.metrics().duplicates).toBe(0);
  });

  it('loads requests journaled while it runs, concurrently, and flush() waits for them', async () => {
    const wh = await warehouse();
    const s = await openStack(wh, { loader: { busyAbove: 1 } });
    const reqs = await requests(1500, 8, 'b');
    const first = await journalAll(s.journal, reqs.slice(0, 20), true);
    const rest = await journalAll(s.journal, reqs.slice(20));
    expect(await s.loader!.flush(60_000)).toBe(true);
    await expectLoaded(wh, [...first, ...rest]);
    expect(s.loader!.metrics().mismatches).toBe(0);
    // Nothing journaled since: flush resolves at once.
    expect(await s.loader!.flush(0)).toBe(true);
  });

  it('restarts: nothing is loaded twice, and what was journaled while stopped is loaded at the next start', async () => {
    const wh = await warehouse();
    const reqs = await requests(1200, 9, 'c');
    const s1 = await openStack(wh, { loader: { busyAbove: 1 } });
    const part1 = await journalAll(s1.journal, reqs.slice(0, 15));
    expect(await s1.loader!.flush(60_000)).toBe(true);
    await s1.close();
    await expectLoaded(wh, part1);

    // A restart with nothing new.
    const s2 = await openStack(wh, { loader: { busyAbove: 1 } });
    expect(s2.journal.recovered).toEqual([]);
    expect(await s2.loader!.flush(10_000)).toBe(true);
    await sleep(300);
    expect(s2.loader!.metrics().records).toBe(0);
    await s2.close();
    await expectLoaded(wh, part1);

    // Journaled while no loader runs (the app stopped right after answering).
    const s3 = await openStack(wh, { loader: false });
    const part2 = await journalAll(s3.journal, reqs.slice(15, 30));
    await s3.close();
    await expectLoaded(wh, part1);

    const s4 = await openStack(wh, { loader: { busyAbove: 1 } });
    expect(s4.journal.recovered.map((r) => r.offset)).toEqual(part2.map((j) => j.record.offset));
    const part3 = await journalAll(s4.journal, reqs.slice(30));
    expect(await s4.loader!.flush(60_000)).toBe(true);
    expect(s4.loader!.metrics()).toMatchObject({ records: part2.length + part3.length, failedRecords: 0, mismatches: 0 });
    await s4.close();
    await expectLoaded(wh, [...part1, ...part2, ...part3]);

    // And once more: nothing left.
    const s5 = await openStack(wh, { loader: { busyAbove: 1 } });
    expect(s5.journal.recovered).toEqual([]);
    expect(s5.journal.backlogBytes).toBe(0);
  });

  it('a failing commit is retried until it succeeds; everything is stored once (and flush times out meanwhile)', async () => {
    const wh = await warehouse();
    let fault = true;
    const s = await openStack(wh, {
      loader: { busyAbove: 1 },
      log: {
        beforeCommit: () => {
          if (fault) throw new Error('injected commit failure');
        },
      },
    });
    const reqs = await requests(600, 10, 'd');
    const all = await journalAll(s.journal, reqs);
    // Loading is blocked: flush gives up after its timeout.
    const t = Date.now();
    expect(await s.loader!.flush(400)).toBe(false);
    expect(Date.now() - t).toBeGreaterThanOrEqual(350);
    await until(() => s.loader!.metrics().retries >= 2);
    expect(s.loader!.metrics().lastError).toMatch(/injected commit failure/);
    expect(s.loader!.lag).toBe(all.length);
    const [[n]] = await wh.query<[bigint]>(`SELECT count(*) FROM events`);
    expect(Number(n)).toBe(0);
    expect(await s.log.journalMark()).toBeNull();

    fault = false;
    expect(await s.loader!.flush(60_000)).toBe(true);
    expect(s.loader!.metrics().retries).toBeGreaterThanOrEqual(2);
    expect(s.log.metrics().failedCommits).toBeGreaterThanOrEqual(2);
    await expectLoaded(wh, all);
    expect(s.loader!.metrics().mismatches).toBe(0);
  });

  it('a worker that dies mid-way is replaced and the batch parsed again: nothing lost, nothing doubled', async () => {
    const wh = await warehouse();
    const worker = controlledWorker(wh.dir);
    worker.set({ crashAt: 3 });
    const writer = await openStack(wh, { loader: false });
    const all = await journalAll(writer.journal, await requests(1000, 12, 'e'));
    await writer.close();

    // Small batches: the worker answers two, dies on the third; its replacement does the rest.
    const s = await openStack(wh, { loader: { workerPath: worker.file, batchEvents: 60, busyAbove: 1 } });
    expect(await s.loader!.flush(60_000)).toBe(true);
    expect(worker.get()).toEqual({ crashed: true });
    const m = s.loader!.metrics();
    expect(m.lastError).toMatch(/exit code 9/);
    expect(m).toMatchObject({ records: all.length, failedRecords: 0, mismatches: 0 });
    expect(m.batches).toBeGreaterThan(3);
    await expectLoaded(wh, all);
  });

  it('a worker that cannot start: flush times out, nothing is lost, and loading resumes once it can', async () => {
    const wh = await warehouse();
    const worker = controlledWorker(wh.dir);
    worker.set({ failLoad: true });
    const s = await openStack(wh, { loader: { workerPath: worker.file, busyAbove: 1 } });
    const all = await journalAll(s.journal, await requests(300, 13, 'f'));
    expect(await s.loader!.flush(700)).toBe(false);
    expect(s.loader!.metrics().lastError).toMatch(/cannot start|stopped/);
    expect(s.loader!.lag).toBe(all.length);
    const [[n]] = await wh.query<[bigint]>(`SELECT count(*) FROM events`);
    expect(Number(n)).toBe(0);

    worker.set({});
    expect(await s.loader!.flush(20_000)).toBe(true);
    await expectLoaded(wh, all);
  });

  // Parsing is retried until the worker works again, but not past close(): the app's stop must not hang.
  it('close() returns within its drain time while the worker cannot start', async () => {
    const wh = await warehouse();
    const worker = controlledWorker(wh.dir);
    worker.set({ failLoad: true });
    const s = await openStack(wh, { loader: { workerPath: worker.file, busyAbove: 1 } });
    await journalAll(s.journal, await requests(20, 14, 'g'));
    await sleep(300);
    const closing = s.loader!.close(200);
    const closedInTime = await Promise.race([closing.then(() => true), sleep(8000).then(() => false)]);
    // Let the worker start, so that the loader can finish and the test clean up.
    worker.set({});
    await closing;
    expect(closedInTime).toBe(true);
  });

  it('a batch whose rows are far larger than its journal bytes (an envelope context copied into every event) loads in chunks, once', async () => {
    const wh = await warehouse();
    // The log's bound of bytes waiting is 64 MiB: ten 500-event envelopes sharing a 25 KB context make ~125 MB of rows.
    const s = await openStack(wh, { journal: { segmentBytes: 64 * 1024 * 1024 } });
    const context = { library: { name: 'analytics-node' }, blob: 'x'.repeat(25_000) };
    const all: Journaled[] = [];
    for (let r = 0; r < 10; r++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ type: 'track', event: 'Viewed', userId: `u${i}`, messageId: `big-${r}-${i}`, timestamp: new Date(T0).toISOString() }));
      all.push(await journalRequest(s.journal, { batch, context }, { id: `big-${r}`, route: 'batch' }));
    }
    expect(await s.loader!.flush(60_000)).toBe(true);
    await expectLoaded(wh, all);
    expect(s.loader!.metrics()).toMatchObject({ retries: 0, failedRecords: 0, mismatches: 0 });
  });

  it('a record the worker cannot read is counted as failed; the records around it are loaded and the mark passes it', async () => {
    const wh = await warehouse();
    const s = await openStack(wh, { loader: { busyAbove: 1 } });
    await journalRequest(s.journal, [{ type: 'identify', userId: 'u1', messageId: 'h-1' }], { id: 'h-req-1' });
    // The route never journals these: an empty batch (400), and a body that is not JSON.
    await s.journal.append({ s: 'src_1', r: T0, t: 'events', id: 'h-bad', e: MAX_EVENT_BYTES, n: 0, k: 0 }, Buffer.from('[]'));
    await s.journal.append({ s: 'src_1', r: T0, t: 'events', id: 'h-bad2', e: MAX_EVENT_BYTES, n: 1, k: 0 }, Buffer.from('{"type":'));
    // A header whose count disagrees with the body.
    await s.journal.append(
      { s: 'src_1', r: T0, t: 'events', id: 'h-wrong', e: MAX_EVENT_BYTES, n: 5, k: 0 },
      Buffer.from(JSON.stringify([{ type: 'track', userId: 'u1', event: 'E', messageId: 'h-2' }])),
    );
    const good2 = await journalRequest(s.journal, [{ type: 'track', userId: 'u1', event: 'F', messageId: 'h-3' }], { id: 'h-req-2' });
    expect(await s.loader!.flush(30_000)).toBe(true);
    const m = s.loader!.metrics();
    expect(m.failedRecords).toBe(2);
    expect(m.mismatches).toBe(1);
    expect(m.lastError).toMatch(/journal record/);
    const ids = (await wh.query<[string]>(`SELECT message_id FROM events ORDER BY seq`)).map((r) => r[0]);
    expect(ids).toEqual(['h-1', 'h-2', 'h-3']);
    expect(await s.log.journalMark()).toEqual(endOf(good2.record));
  });
});
