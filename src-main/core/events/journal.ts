/**
 * The ingest journal: where an accepted request becomes durable. The ingest
 * route appends the request (a small header and the decoded body, exactly as
 * received) and answers 200 once the record is on disk (fdatasync); requests
 * arriving meanwhile share the next write and sync (group commit). The loader
 * (loader.ts) then moves the records into the warehouse's `events` table in
 * the background, and records how far it got in the same transaction, so a
 * crash at any point replays from there: never skips, never doubles (the log
 * deduplicates anyway).
 *
 * Why a journal in front of DuckDB: a DuckDB commit of a 500-event batch costs
 * ~20 µs of CPU per event plus checkpoints that block commits for up to 1.5 s;
 * a sequential append + fdatasync costs a memcpy. Requests are answered at the
 * speed of parsing, and the warehouse catches up in large batches.
 *
 * Files: `<dir>/<10-digit segment number>.journal`, each a sequence of records:
 *   u32 magic 'KJR1', u32 length of (header + body), u32 CRC-32 of (header + body),
 *   u32 header length, header (JSON), body (the request's JSON bytes).
 * A new segment starts past `segmentBytes`; segments the loader has passed are
 * deleted. A torn record at the end of the last segment (a crash during a
 * write, never answered) is cut off on open.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { LogClosedError, OverloadedError, StorageError } from './errors';

/** A position in the journal: the end of a record. */
export interface JournalMark {
  segment: number;
  offset: number;
}

/** What the loader needs to know about a request besides its body. */
export interface JournalHeader {
  /** Source id. */
  s: string;
  /** receivedAt, epoch ms. */
  r: number;
  /** The route (events, batch, identify ...). */
  t: string;
  /** Request id (generated messageIds derive from it). */
  id: string;
  /** The event size limit the request was checked with. */
  e: number;
  /** Events accepted and rejected (for batching and the backlog). */
  n: number;
  k: number;
}

export interface JournalRecord {
  segment: number;
  /** Where the record starts. */
  offset: number;
  /** Its length, prefix included (the record ends at offset + length). */
  length: number;
  header: JournalHeader;
}

export interface JournalOptions {
  /** Start a new segment past this size (default 64 MiB). */
  segmentBytes?: number;
  /** Most bytes waiting to be written; beyond, append() rejects with OverloadedError (default 64 MiB). */
  maxPendingBytes?: number;
  /** Most bytes written but not yet loaded into the warehouse; beyond, append() rejects with OverloadedError (default 2 GiB). */
  maxBacklogBytes?: number;
  retryAfterSeconds?: number;
}

export interface Journal {
  /** Records found on open after `from` (not loaded yet), in order. */
  readonly recovered: JournalRecord[];
  /** Append a request; resolves once it is on disk. */
  append(header: JournalHeader, body: Uint8Array): Promise<JournalRecord>;
  /** Called with each durable record, in order. */
  onRecord(listener: (r: JournalRecord) => void): void;
  /** The file of a segment. */
  path(segment: number): string;
  /** The loader committed records up to `mark` (`bytes` of them): drop the segments before it. */
  loaded(mark: JournalMark, bytes: number): void;
  /** Bytes written and not loaded yet. */
  readonly backlogBytes: number;
  /** Records appended since open (a counter). */
  readonly appended: number;
  /** Wait for pending writes, then refuse new ones and close the file. */
  close(): Promise<void>;
}

const MAGIC = 0x4b4a5231;
const PREFIX = 16;
const MAX_RECORD = 1 << 30;

export const endOf = (r: JournalRecord): JournalMark => ({ segment: r.segment, offset: r.offset + r.length });

const segmentName = (n: number) => `${String(n).padStart(10, '0')}.journal`;

function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => /^(\d{10})\.journal$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

function readFully(fd: number, length: number, position: number): Buffer | null {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) return null;
    got += n;
  }
  return buf;
}

/** Read one record's prefix, header and body at `offset`; null when there is no whole, intact record there. */
export function readRecord(fd: number, offset: number): { header: JournalHeader; body: Buffer; length: number } | null {
  const pre = readFully(fd, PREFIX, offset);
  if (!pre || pre.readUInt32LE(0) !== MAGIC) return null;
  const len = pre.readUInt32LE(4);
  const headerLen = pre.readUInt32LE(12);
  if (len > MAX_RECORD || headerLen > len) return null;
  const data = readFully(fd, len, offset + PREFIX);
  if (!data || crc32(data) !== pre.readUInt32LE(8)) return null;
  let header: JournalHeader;
  try {
    header = JSON.parse(data.toString('utf8', 0, headerLen)) as JournalHeader;
  } catch {
    return null;
  }
  return { header, body: data.subarray(headerLen), length: PREFIX + len };
}

/** Scan a segment from `from`: its intact records, and where they end. */
function scan(file: string, from: number): { records: JournalRecord[]; end: number; size: number } {
  const segment = Number(/(\d{10})\.journal$/.exec(file)![1]);
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const records: JournalRecord[] = [];
    let offset = from;
    while (offset < size) {
      const r = readRecord(fd, offset);
      if (!r) break;
      records.push({ segment, offset, length: r.length, header: r.header });
      offset += r.length;
    }
    return { records, end: offset, size };
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string) {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported on every platform (Windows); the file's own sync still holds its data */
  }
}

interface Queued {
  data: Buffer;
  header: JournalHeader;
  resolve: (r: JournalRecord) => void;
  reject: (e: unknown) => void;
}

/** Open (or create) the journal in `dir`; `from` is where the loader got to (null: from the start). */
export function openJournal(dir: string, from: JournalMark | null, opts: JournalOptions = {}): Journal {
  const segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
  const maxPending = opts.maxPendingBytes ?? 64 * 1024 * 1024;
  const maxBacklog = opts.maxBacklogBytes ?? 2 * 1024 * 1024 * 1024;
  const retryAfter = opts.retryAfterSeconds ?? 5;
  mkdirSync(dir, { recursive: true });
  const path = (n: number) => join(dir, segmentName(n));

  // Recovery: drop what was loaded, collect what was not, cut a torn tail.
  const recovered: JournalRecord[] = [];
  const segments = listSegments(dir);
  for (const n of segments) if (from && n < from.segment) unlinkSync(path(n));
  const live = segments.filter((n) => !from || n >= from.segment);
  let current = live.length > 0 ? live[live.length - 1] : (from?.segment ?? 0) + 1;
  let size = 0;
  for (const n of live) {
    const start = from && n === from.segment ? from.offset : 0;
    const { records, end, size: fileSize } = scan(path(n), start);
    recovered.push(...records);
    if (n === current) {
      size = Math.max(end, start);
      // A crash mid-write leaves a partial record that was never answered: cut it off.
      if (fileSize > size) {
        const fd = openSync(path(n), 'r+');
        try {
          ftruncateSync(fd, size);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    }
  }
  let fh: FileHandle | null = null;
  /** An empty segment file, its name made durable too. */
  const createSegment = (n: number) => {
    closeSync(openSync(path(n), 'a'));
    syncDir(dir);
  };
  if (live.length === 0) createSegment(current);

  let backlog = recovered.reduce((a, r) => a + r.length, 0);
  let appendedCount = 0;
  let pendingBytes = 0;
  let queue: Queued[] = [];
  let writing = false;
  let closed = false;
  let broken: Error | null = null;
  const listeners: ((r: JournalRecord) => void)[] = [];
  let idle: (() => void)[] = [];

  async function file(): Promise<FileHandle> {
    return (fh ??= await open(path(current), 'r+'));
  }

  async function rotate() {
    const old = await file();
    await old.datasync();
    await old.close();
    fh = null;
    current++;
    createSegment(current);
    size = 0;
  }

  /** Write a run of records at the end of the current segment and sync; on failure cut back what was written. */
  async function writeRun(run: Queued[]): Promise<JournalRecord[]> {
    const buf = run.length === 1 ? run[0].data : Buffer.concat(run.map((q) => q.data));
    const start = size;
    const f = await file();
    try {
      let done = 0;
      while (done < buf.length) done += (await f.write(buf, done, buf.length - done, start + done)).bytesWritten;
      await f.datasync();
    } catch (err) {
      try {
        await f.truncate(start);
      } catch (e) {
        broken = new StorageError(`The ingest journal cannot be written: ${(e as Error).message}`);
      }
      throw err;
    }
    size = start + buf.length;
    const out: JournalRecord[] = [];
    let offset = start;
    for (const q of run) {
      out.push({ segment: current, offset, length: q.data.length, header: q.header });
      offset += q.data.length;
    }
    return out;
  }

  // One writer: records, answers and the loader's notices keep one order. Requests that arrive during a
  // write and sync queue up and share the next one (group commit).
  async function writer() {
    while (queue.length > 0) {
      const taken = queue;
      queue = [];
      let i = 0;
      while (i < taken.length) {
        if (broken) {
          for (; i < taken.length; i++) {
            pendingBytes -= taken[i].data.length;
            taken[i].reject(broken);
          }
          break;
        }
        if (size > 0 && size + taken[i].data.length > segmentBytes) {
          try {
            await rotate();
          } catch (err) {
            broken = new StorageError(`The ingest journal cannot start a new file: ${(err as Error).message}`);
            continue;
          }
        }
        // The run: as many records as fit in the current segment (at least one).
        let j = i;
        let bytes = 0;
        while (j < taken.length && (j === i || size + bytes + taken[j].data.length <= segmentBytes)) bytes += taken[j++].data.length;
        const run = taken.slice(i, j);
        i = j;
        let records: JournalRecord[];
        try {
          records = await writeRun(run);
        } catch (err) {
          const failure = new StorageError(`The events could not be stored: ${(err as Error).message}`, { cause: err });
          for (const q of run) {
            pendingBytes -= q.data.length;
            q.reject(failure);
          }
          continue;
        }
        for (let k = 0; k < run.length; k++) {
          pendingBytes -= run[k].data.length;
          backlog += records[k].length;
          appendedCount++;
          for (const l of listeners) l(records[k]);
          run[k].resolve(records[k]);
        }
      }
    }
    writing = false;
    const w = idle;
    idle = [];
    for (const f of w) f();
  }

  function schedule() {
    if (writing) return;
    writing = true;
    // Let the requests parsed in this turn of the event loop join the first write.
    setImmediate(() => void writer());
  }

  return {
    recovered,
    append(header, body) {
      if (closed) return Promise.reject(new LogClosedError(retryAfter));
      if (broken) return Promise.reject(broken);
      const head = Buffer.from(JSON.stringify(header), 'utf8');
      const total = PREFIX + head.length + body.length;
      if (pendingBytes > 0 && pendingBytes + total > maxPending) {
        return Promise.reject(new OverloadedError(`The event log is busy: ${Math.round(pendingBytes / 1048576)} MiB of events are waiting to be written. Retry later.`, retryAfter));
      }
      if (backlog + total > maxBacklog) {
        return Promise.reject(
          new OverloadedError(`The warehouse is behind: ${Math.round(backlog / 1048576)} MiB of accepted events are waiting to be loaded. Retry later.`, retryAfter),
        );
      }
      const data = Buffer.allocUnsafe(total);
      head.copy(data, PREFIX);
      data.set(body, PREFIX + head.length);
      data.writeUInt32LE(MAGIC, 0);
      data.writeUInt32LE(total - PREFIX, 4);
      data.writeUInt32LE(crc32(data.subarray(PREFIX)), 8);
      data.writeUInt32LE(head.length, 12);
      pendingBytes += total;
      return new Promise<JournalRecord>((resolve, reject) => {
        queue.push({ data, header, resolve, reject });
        schedule();
      });
    },
    onRecord(listener) {
      listeners.push(listener);
    },
    path,
    loaded(mark, bytes) {
      backlog = Math.max(0, backlog - bytes);
      for (const n of listSegments(dir)) {
        if (n >= mark.segment || n === current) break;
        try {
          unlinkSync(path(n));
        } catch {
          /* gone already, or held open on Windows: retried at the next load */
        }
      }
    },
    get backlogBytes() {
      return backlog;
    },
    get appended() {
      return appendedCount;
    },
    async close() {
      closed = true;
      if (writing || queue.length > 0) await new Promise<void>((r) => idle.push(r));
      await fh?.close().catch(() => undefined);
      fh = null;
    },
  };
}
