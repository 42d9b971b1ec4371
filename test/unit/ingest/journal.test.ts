/**
 * The ingest journal on real files in a temp folder: records round-trip
 * (headers and bodies, offsets and lengths), group commit keeps the order,
 * segments rotate at segmentBytes, recovery starts at the loader's mark and
 * cuts a torn or corrupt tail, loaded() drops passed segments (never the
 * current one), backpressure, closing, and hostile headers.
 */
import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogClosedError, OverloadedError } from '../../../src-main/core/events/errors';
import { endOf, openJournal, readRecord, type Journal, type JournalHeader, type JournalOptions, type JournalRecord } from '../../../src-main/core/events/journal';

const PREFIX = 16;

const dirs: string[] = [];
const open: Journal[] = [];
afterEach(async () => {
  for (const j of open.splice(0)) await j.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'journal-test-'));
  dirs.push(d);
  return d;
}

function openJ(dir: string, from: Parameters<typeof openJournal>[1] = null, opts?: JournalOptions): Journal {
  const j = openJournal(dir, from, opts);
  open.push(j);
  return j;
}

async function closeJ(j: Journal) {
  await j.close();
  open.splice(open.indexOf(j), 1);
}

const header = (i: number, over: Partial<JournalHeader> = {}): JournalHeader => ({
  s: 'src_1',
  r: Date.UTC(2025, 10, 3, 10, 0, 0) + i,
  t: 'events',
  id: `req-${i}`,
  e: 32 * 1024,
  n: 1,
  k: 0,
  ...over,
});

/** A request body of about `size` bytes (varies with i when size is omitted). */
function body(i: number, size = 40 + ((i * 37) % 300)): Buffer {
  const text = JSON.stringify([{ type: 'track', event: `E${i}`, userId: `u${i}`, messageId: `m-${i}`, properties: { pad: 'x'.repeat(Math.max(0, size - 90)) } }]);
  return Buffer.from(text);
}

const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => /^\d{10}\.journal$/.test(f)).sort();
const segNo = (f: string) => Number(f.slice(0, 10));

/** Read records back from the files, by their positions. */
function readBack(j: Journal, records: JournalRecord[]): { header: JournalHeader; body: Buffer; length: number }[] {
  const fds = new Map<number, number>();
  try {
    return records.map((r) => {
      let fd = fds.get(r.segment);
      if (fd === undefined) fds.set(r.segment, (fd = openSync(j.path(r.segment), 'r')));
      const got = readRecord(fd, r.offset);
      if (!got) throw new Error(`no record at ${r.segment}:${r.offset}`);
      return got;
    });
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

const strip = (r: JournalRecord) => ({ segment: r.segment, offset: r.offset, length: r.length, header: r.header });

async function appendMany(j: Journal, n: number, from = 0, size?: number) {
  const bodies: Buffer[] = [];
  const records: JournalRecord[] = [];
  for (let i = from; i < from + n; i++) {
    const b = body(i, size);
    bodies.push(b);
    records.push(await j.append(header(i), b));
  }
  return { records, bodies };
}

describe('journal: append and recover', () => {
  it('round-trips headers and bodies in order, with consistent offsets and lengths', async () => {
    const dir = tempDir();
    const j = openJ(dir);
    expect(j.recovered).toEqual([]);
    expect(segmentFiles(dir)).toEqual(['0000000001.journal']);
    const seen: JournalRecord[] = [];
    j.onRecord((r) => seen.push(r));

    const bodies: Buffer[] = [];
    const records: JournalRecord[] = [];
    for (let i = 0; i < 60; i++) {
      // An empty body, binary bytes (including the record magic) and ordinary JSON.
      const b = i === 3 ? Buffer.alloc(0) : i === 7 ? Buffer.from([0x31, 0x52, 0x4a, 0x4b, 0xff, 0x00, 0xfe, 0x0a]) : body(i);
      bodies.push(b);
      records.push(await j.append(header(i, { n: i, k: i % 3 }), b));
    }

    let offset = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      expect(r.segment).toBe(1);
      expect(r.offset).toBe(offset);
      expect(r.length).toBe(PREFIX + Buffer.byteLength(JSON.stringify(r.header)) + bodies[i].length);
      expect(r.header).toEqual(header(i, { n: i, k: i % 3 }));
      expect(endOf(r)).toEqual({ segment: 1, offset: offset + r.length });
      offset += r.length;
    }
    expect(statSync(j.path(1)).size).toBe(offset);
    expect(seen.map(strip)).toEqual(records.map(strip));
    expect(j.appended).toBe(60);
    expect(j.backlogBytes).toBe(offset);

    const back = readBack(j, records);
    back.forEach((b, i) => {
      expect(b.header).toEqual(records[i].header);
      expect(Buffer.compare(b.body, bodies[i])).toBe(0);
      expect(b.length).toBe(records[i].length);
    });

    await closeJ(j);
    const again = openJ(dir);
    expect(again.recovered.map(strip)).toEqual(records.map(strip));
    expect(again.backlogBytes).toBe(offset);
    expect(again.appended).toBe(0);
    // New records follow the recovered ones.
    const next = await again.append(header(60), body(60));
    expect(next).toMatchObject({ segment: 1, offset });
    expect(readBack(again, [next])[0].header).toEqual(header(60));
  });

  it('group commit: many concurrent appends all resolve, in call order, and are all durable', async () => {
    const dir = tempDir();
    const j = openJ(dir);
    const seen: number[] = [];
    j.onRecord((r) => seen.push(r.header.r));
    const resolvedOrder: number[] = [];
    // Turns of the event loop, to see how many writes answered the 500 requests.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const turns = new Set<number>();
    const promises = Array.from({ length: 500 }, (_, i) =>
      j.append(header(i), body(i)).then((r) => {
        resolvedOrder.push(i);
        turns.add(turn);
        return r;
      }),
    );
    // More requests arrive while the first group is being written: they join a later write.
    const late = new Promise<JournalRecord[]>((resolve) =>
      setImmediate(() => void Promise.all(Array.from({ length: 100 }, (_, i) => j.append(header(500 + i), body(500 + i)))).then(resolve)),
    );
    const records = [...(await Promise.all(promises)), ...(await late)];
    ticking = false;
    expect(records).toHaveLength(600);
    // Group commit: the 500 requests of one turn shared one write and sync (not 500 of them).
    expect(turns.size).toBeLessThanOrEqual(2);
    expect(resolvedOrder).toEqual(Array.from({ length: 500 }, (_, i) => i));
    for (let i = 1; i < records.length; i++) expect(records[i].offset).toBe(records[i - 1].offset + records[i - 1].length);
    expect(records.map((r) => r.header.id)).toEqual(Array.from({ length: 600 }, (_, i) => `req-${i}`));
    expect(seen).toEqual(records.map((r) => r.header.r));
    expect(j.appended).toBe(600);
    const back = readBack(j, records);
    back.forEach((b, i) => expect(b.body.toString()).toBe(body(i).toString()));

    await closeJ(j);
    expect(openJ(dir).recovered.map(strip)).toEqual(records.map(strip));
  });

  it('starts a new segment past segmentBytes; a record larger than a segment goes alone', async () => {
    const dir = tempDir();
    const segmentBytes = 1000;
    const j = openJ(dir, null, { segmentBytes });
    const sequential = await appendMany(j, 20, 0);
    // Concurrent appends: one write run is split at the segment boundary.
    const concurrentBodies = Array.from({ length: 20 }, (_, i) => body(20 + i));
    const concurrent = await Promise.all(concurrentBodies.map((b, i) => j.append(header(20 + i), b)));
    const big = Buffer.from(JSON.stringify({ pad: 'y'.repeat(3000) }));
    const bigRecord = await j.append(header(40), big);
    const after = await j.append(header(41), body(41));
    const records = [...sequential.records, ...concurrent, bigRecord, after];
    const bodies = [...sequential.bodies, ...concurrentBodies, big, body(41)];

    // Segments are numbered in order, each record lies wholly inside one, and segments hold at most segmentBytes
    // (unless one record alone is larger).
    for (let i = 1; i < records.length; i++) {
      const [a, b] = [records[i - 1], records[i]];
      if (b.segment === a.segment) expect(b.offset).toBe(a.offset + a.length);
      else {
        expect(b.segment).toBe(a.segment + 1);
        expect(b.offset).toBe(0);
        // It did not fit in the previous segment.
        expect(a.offset + a.length + b.length).toBeGreaterThan(segmentBytes);
      }
    }
    const files = segmentFiles(dir);
    expect(files.map(segNo)).toEqual(Array.from({ length: files.length }, (_, i) => i + 1));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const size = statSync(join(dir, f)).size;
      const inIt = records.filter((r) => r.segment === segNo(f));
      expect(size).toBe(inIt.reduce((a, r) => a + r.length, 0));
      if (inIt.length > 1) expect(size).toBeLessThanOrEqual(segmentBytes);
    }
    expect(bigRecord.offset).toBe(0);
    expect(after.segment).toBe(bigRecord.segment + 1);
    expect(after.offset).toBe(0);
    readBack(j, records).forEach((b, i) => expect(Buffer.compare(b.body, bodies[i])).toBe(0));

    await closeJ(j);
    const again = openJ(dir, null, { segmentBytes });
    expect(again.recovered.map(strip)).toEqual(records.map(strip));
    expect(again.backlogBytes).toBe(records.reduce((a, r) => a + r.length, 0));
  });

  it('recovers from a mark: only later records, older segments deleted, appends continue', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 1200 };
    const j = openJ(dir, null, opts);
    const { records } = await appendMany(j, 40);
    await closeJ(j);
    const segments = [...new Set(records.map((r) => r.segment))];
    expect(segments.length).toBeGreaterThan(4);

    // A mark in the middle of a segment (not its first nor last record).
    const k = records.findIndex((r, i) => i > 0 && r.segment === segments[2] && records[i - 1].segment === r.segment && records[i + 1]?.segment === r.segment);
    expect(k).toBeGreaterThan(0);
    const mark = endOf(records[k]);
    const j2 = openJ(dir, mark, opts);
    expect(j2.recovered.map(strip)).toEqual(records.slice(k + 1).map(strip));
    expect(j2.backlogBytes).toBe(records.slice(k + 1).reduce((a, r) => a + r.length, 0));
    expect(segmentFiles(dir).map(segNo)).toEqual(segments.filter((s) => s >= mark.segment));
    readBack(j2, j2.recovered).forEach((b, i) => expect(b.header).toEqual(records[k + 1 + i].header));
    const added = await j2.append(header(100), body(100));
    expect(added.segment).toBe(records[records.length - 1].segment);
    expect(added.offset).toBe(endOf(records[records.length - 1]).offset);
    await closeJ(j2);

    // The same mark again: the records after it, the new one included.
    const j3 = openJ(dir, mark, opts);
    expect(j3.recovered.map((r) => r.header.id)).toEqual([...records.slice(k + 1).map((r) => r.header.id), 'req-100']);
    await closeJ(j3);

    // A mark at the end of a segment: recovery starts with the next segment's first record.
    const lastOfSeg = records.findIndex((r, i) => i > k && records[i + 1] && records[i + 1].segment !== r.segment);
    const j4 = openJ(dir, endOf(records[lastOfSeg]), opts);
    expect(j4.recovered[0]).toMatchObject({ segment: records[lastOfSeg].segment + 1, offset: 0, header: records[lastOfSeg + 1].header });
    expect(j4.recovered).toHaveLength(records.length - lastOfSeg - 1 + 1);
    await closeJ(j4);

    // A mark at the very end: nothing to recover, appends go on at the mark.
    const end = endOf(j4.recovered[j4.recovered.length - 1]);
    const j5 = openJ(dir, end, opts);
    expect(j5.recovered).toEqual([]);
    expect(j5.backlogBytes).toBe(0);
    const r = await j5.append(header(101), body(101));
    if (r.segment === end.segment) expect(r.offset).toBe(end.offset);
    else expect(r).toMatchObject({ segment: end.segment + 1, offset: 0 });
  });

  it('a mark past every segment (the files were removed): starts a new segment after it', async () => {
    const dir = tempDir();
    const j = openJ(dir, { segment: 7, offset: 1234 });
    expect(j.recovered).toEqual([]);
    const r = await j.append(header(0), body(0));
    expect(r).toMatchObject({ segment: 8, offset: 0 });
    expect(segmentFiles(dir)).toEqual(['0000000008.journal']);
  });
});

describe('journal: torn and corrupt tails', () => {
  async function written(n: number, opts?: JournalOptions) {
    const dir = tempDir();
    const j = openJ(dir, null, opts);
    const { records, bodies } = await appendMany(j, n);
    await closeJ(j);
    return { dir, records, bodies, file: j.path(records[records.length - 1].segment) };
  }

  it('cuts a record torn in its body, and new appends after it are readable', async () => {
    const { dir, records, file } = await written(10);
    const last = records[9];
    truncateSync(file, last.offset + last.length - 7);
    const j = openJ(dir);
    expect(j.recovered.map(strip)).toEqual(records.slice(0, 9).map(strip));
    expect(statSync(file).size).toBe(last.offset);
    const r = await j.append(header(50), body(50));
    expect(r).toMatchObject({ segment: last.segment, offset: last.offset });
    expect(readBack(j, [r])[0].body.toString()).toBe(body(50).toString());
    await closeJ(j);
    expect(openJ(dir).recovered.map((x) => x.header.id)).toEqual([...records.slice(0, 9).map((x) => x.header.id), 'req-50']);
  });

  it('cuts a record torn inside its 16-byte prefix', async () => {
    const { dir, records, file } = await written(5);
    truncateSync(file, records[4].offset + 9);
    const j = openJ(dir);
    expect(j.recovered).toHaveLength(4);
    expect(statSync(file).size).toBe(records[4].offset);
  });

  it('cuts garbage bytes after the last record (random bytes, or a prefix promising a huge record)', async () => {
    const { dir, records, file } = await written(6);
    const end = endOf(records[5]).offset;
    appendFileSync(file, Buffer.from('garbage\x00\xff not a record', 'latin1'));
    let j = openJ(dir);
    expect(j.recovered.map(strip)).toEqual(records.map(strip));
    expect(statSync(file).size).toBe(end);
    await closeJ(j);

    // A valid magic and a length far past the end of the file.
    const pre = Buffer.alloc(PREFIX);
    pre.writeUInt32LE(0x4b4a5231, 0);
    pre.writeUInt32LE(0x7fffffff, 4);
    pre.writeUInt32LE(0, 8);
    pre.writeUInt32LE(10, 12);
    appendFileSync(file, Buffer.concat([pre, Buffer.from('{"s":"x"}')]));
    j = openJ(dir);
    expect(j.recovered).toHaveLength(6);
    expect(statSync(file).size).toBe(end);
    const r = await j.append(header(60), body(60));
    expect(r.offset).toBe(end);
    await closeJ(j);
    expect(openJ(dir).recovered.map((x) => x.header.id)).toEqual([...records.map((x) => x.header.id), 'req-60']);
  });

  it('a whole record with a bad CRC (a flipped byte) stops recovery there', async () => {
    const { dir, records, file } = await written(10);
    const victim = records[5];
    const bytes = readFileSync(file);
    // A byte of the body (the last byte of the record), then reopen.
    bytes[victim.offset + victim.length - 1] ^= 0x01;
    writeFileSync(file, bytes);
    const j = openJ(dir);
    expect(j.recovered.map(strip)).toEqual(records.slice(0, 5).map(strip));
    // The last segment is cut at the corrupt record: appends go on from there.
    expect(statSync(file).size).toBe(victim.offset);
    const r = await j.append(header(70), body(70));
    expect(r.offset).toBe(victim.offset);
    expect(readBack(j, [r])[0].header).toEqual(header(70));
  });

  it('a flipped byte in a header (or in the prefix) is caught too', async () => {
    for (const where of ['header', 'crc', 'headerLen'] as const) {
      const { dir, records, file } = await written(4);
      const victim = records[2];
      const bytes = readFileSync(file);
      const at = where === 'header' ? victim.offset + PREFIX + 2 : where === 'crc' ? victim.offset + 8 : victim.offset + 12;
      bytes[at] ^= 0x20;
      writeFileSync(file, bytes);
      const j = openJ(dir);
      expect(j.recovered.map((r) => r.header.id), where).toEqual(['req-0', 'req-1']);
      await closeJ(j);
    }
  });

  it('never returns a corrupt record of an earlier segment', async () => {
    const { dir, records } = await written(30, { segmentBytes: 1500 });
    const first = records.filter((r) => r.segment === 1);
    expect(first.length).toBeGreaterThan(2);
    const file = join(dir, '0000000001.journal');
    const bytes = readFileSync(file);
    const victim = first[1];
    bytes[victim.offset + victim.length - 3] ^= 0x40;
    writeFileSync(file, bytes);
    const j = openJ(dir, null, { segmentBytes: 1500 });
    const ids = j.recovered.map((r) => r.header.id);
    expect(ids[0]).toBe('req-0');
    expect(ids).not.toContain(victim.header.id);
    // Everything returned is intact and readable.
    readBack(j, j.recovered).forEach((b, i) => expect(b.header).toEqual(j.recovered[i].header));
    // The later segments' records are all there.
    const later = records.filter((r) => r.segment > 1).map((r) => r.header.id);
    expect(ids.slice(ids.length - later.length)).toEqual(later);
  });
});

describe('journal: loaded()', () => {
  it('deletes the segments before the mark, never the current one, and lowers the backlog', async () => {
    const dir = tempDir();
    const j = openJ(dir, null, { segmentBytes: 1000 });
    const { records } = await appendMany(j, 30);
    const total = records.reduce((a, r) => a + r.length, 0);
    expect(j.backlogBytes).toBe(total);
    const segs = [...new Set(records.map((r) => r.segment))];
    expect(segs.length).toBeGreaterThan(4);
    const current = segs[segs.length - 1];

    // Loaded up to a record of the third segment.
    const upto = records.findIndex((r) => r.segment === segs[2]);
    const bytes = records.slice(0, upto + 1).reduce((a, r) => a + r.length, 0);
    j.loaded(endOf(records[upto]), bytes);
    expect(j.backlogBytes).toBe(total - bytes);
    expect(segmentFiles(dir).map(segNo)).toEqual(segs.slice(2));

    // A mark beyond the current segment (or a bogus byte count) never deletes the current segment.
    j.loaded({ segment: current + 5, offset: 0 }, total * 2);
    expect(segmentFiles(dir).map(segNo)).toEqual([current]);
    expect(j.backlogBytes).toBe(0);
    const r = await j.append(header(99), body(99));
    expect(r.segment).toBeGreaterThanOrEqual(current);
    expect(readBack(j, [r])[0].header).toEqual(header(99));
    expect(j.backlogBytes).toBe(r.length);
  });

  it('a segment deleted already is not an error', async () => {
    const dir = tempDir();
    const j = openJ(dir, null, { segmentBytes: 600 });
    const { records } = await appendMany(j, 10);
    rmSync(j.path(1));
    const last = records[records.length - 1];
    expect(() => j.loaded(endOf(last), 0)).not.toThrow();
    expect(segmentFiles(dir).map(segNo)).toEqual([last.segment]);
  });
});

describe('journal: backpressure and closing', () => {
  it('refuses appends past maxBacklogBytes with OverloadedError and retryAfterSeconds, until loaded()', async () => {
    const dir = tempDir();
    const b = body(0, 300);
    const size = PREFIX + Buffer.byteLength(JSON.stringify(header(0))) + b.length;
    const j = openJ(dir, null, { maxBacklogBytes: size * 3 + 10, retryAfterSeconds: 7 });
    const ok = [await j.append(header(0), b), await j.append(header(1), b), await j.append(header(2), b)];
    const err = await j.append(header(3), b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverloadedError);
    expect((err as OverloadedError).retryAfterSeconds).toBe(7);
    expect((err as Error).message).toMatch(/behind/);
    expect(j.appended).toBe(3);
    expect(j.backlogBytes).toBe(ok.reduce((a, r) => a + r.length, 0));

    j.loaded(endOf(ok[0]), ok[0].length);
    const r = await j.append(header(4), b);
    expect(r.offset).toBe(endOf(ok[2]).offset);
    await closeJ(j);
    // The refused request left nothing in the file.
    expect(openJ(dir).recovered.map((x) => x.header.id)).toEqual(['req-0', 'req-1', 'req-2', 'req-4']);
  });

  it('refuses appends past maxPendingBytes while a write is waiting, but always takes one request', async () => {
    const dir = tempDir();
    const b = body(0, 400);
    const j = openJ(dir, null, { maxPendingBytes: 1000, retryAfterSeconds: 3 });
    // Alone, a request larger than the limit is taken.
    const huge = await j.append(header(0), Buffer.alloc(5000, 0x20));
    expect(huge.length).toBeGreaterThan(5000);

    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => j.append(header(i + 1), b)));
    const refused = results.filter((r) => r.status === 'rejected');
    const taken = results.filter((r): r is PromiseFulfilledResult<JournalRecord> => r.status === 'fulfilled').map((r) => r.value);
    expect(taken.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(OverloadedError);
      expect(r.reason.retryAfterSeconds).toBe(3);
    }
    // Once written, there is room again.
    await j.append(header(9), b);
    await closeJ(j);
    expect(openJ(dir).recovered).toHaveLength(1 + taken.length + 1);
  });

  it('close() waits for pending appends, then refuses new ones with LogClosedError', async () => {
    const dir = tempDir();
    const j = openJ(dir, null, { retryAfterSeconds: 4 });
    const pending = Array.from({ length: 50 }, (_, i) => j.append(header(i), body(i)));
    await j.close();
    const records = await Promise.all(pending);
    expect(records).toHaveLength(50);
    const err = await j.append(header(99), body(99)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogClosedError);
    expect((err as LogClosedError).retryAfterSeconds).toBe(4);
    await j.close(); // twice is harmless
    open.splice(open.indexOf(j), 1);
    expect(openJ(dir).recovered.map(strip)).toEqual(records.map(strip));
  });
});

describe('journal: hostile headers and bodies', () => {
  it('round-trips quotes, unicode, control characters, lone surrogates and __proto__ in headers', async () => {
    const dir = tempDir();
    const j = openJ(dir);
    const hostile = [
      '__proto__',
      'constructor',
      'a"b\\c\'d',
      'line\nbreak\r\ttab\u0000nul\u001f',
      '\u2028\u2029 separators',
      'Zoë Müller 東京 😀',
      'lone \ud800 high and \udfff low',
      '"}],"s":"injected',
      'x'.repeat(5000),
    ];
    const records: JournalRecord[] = [];
    for (let i = 0; i < hostile.length; i++) records.push(await j.append(header(i, { s: hostile[i], id: hostile[(i + 1) % hostile.length], t: hostile[(i + 2) % hostile.length] }), body(i)));
    // A header parsed from JSON with an own "__proto__" key (as a careless caller might build it).
    const parsed = JSON.parse('{"s":"src","r":1,"t":"events","id":"p","e":1024,"n":1,"k":0,"__proto__":{"polluted":true}}') as JournalHeader;
    records.push(await j.append(parsed, body(99)));

    const check = (got: JournalHeader[]) => {
      for (let i = 0; i < hostile.length; i++) {
        expect(got[i].s).toBe(hostile[i]);
        expect(got[i].id).toBe(hostile[(i + 1) % hostile.length]);
        expect(got[i].t).toBe(hostile[(i + 2) % hostile.length]);
        expect(Object.getPrototypeOf(got[i])).toBe(Object.prototype);
      }
      const p = got[hostile.length];
      expect(p.s).toBe('src');
      expect(Object.prototype.hasOwnProperty.call(p, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    };
    check(readBack(j, records).map((b) => b.header));
    await closeJ(j);
    const again = openJ(dir);
    expect(again.recovered).toHaveLength(records.length);
    check(again.recovered.map((r) => r.header));
    readBack(again, again.recovered).forEach((b, i) => expect(b.body.toString()).toBe(body(i < hostile.length ? i : 99).toString()));
  });
});
