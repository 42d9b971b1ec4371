/**
 * The journal loader's worker thread (built as out/main/ingest-loader.js): reads
 * journaled requests, normalizes them exactly as the ingest route checked them
 * (prepareEvents on the same bytes, time and request id) and encodes the rows
 * the event log's writer takes. All the per-event work of storing happens here,
 * off the thread that answers Segment; the thread runs at a lower priority
 * (Linux), so answering wins when both want the CPU.
 */
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { prepareEvents, splitBody, type IngestRoute } from '../ingest/batch';
import { parseJsonBody } from '../ingest/decode';
import { readRecord } from './journal';
import { encodeEvents, type EncodedRows } from './rows';
import type { RejectedEvent } from './types';

export interface LoadRequest {
  id: number;
  records: { file: string; offset: number }[];
}

export type LoadedRecord = { sourceId: string; rows: EncodedRows; rejected: RejectedEvent[]; expected: number } | { error: string };

export interface LoadResponse {
  id: number;
  records: LoadedRecord[];
}

function load(fd: number, offset: number): LoadedRecord {
  const rec = readRecord(fd, offset);
  if (!rec) return { error: `no intact journal record at offset ${offset}` };
  const h = rec.header;
  try {
    const req = splitBody(parseJsonBody(rec.body), h.t as IngestRoute, Number.MAX_SAFE_INTEGER);
    const prepared = prepareEvents(req, { receivedAt: new Date(h.r), maxEventBytes: h.e, requestId: h.id });
    const rejected = prepared.rejected.map((r) => r.record);
    let rows = encodeEvents(
      h.s,
      prepared.accepted.map((a) => a.append),
      rejected,
    );
    // Small buffers share Node's pool: copy them, so that the transfer moves only this request's bytes.
    if (rows.data.byteOffset !== 0 || rows.data.byteLength !== rows.data.buffer.byteLength) rows = { ...rows, data: new Uint8Array(rows.data) };
    return { sourceId: h.s, rows, rejected, expected: h.n };
  } catch (err) {
    return { error: (err as Error)?.message ?? String(err) };
  }
}

function lowerPriority() {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid)) setPriority(tid, 10);
  } catch {
    /* not Linux: same priority as the rest */
  }
}

if (parentPort) {
  const port = parentPort;
  lowerPriority();
  port.on('message', (msg: LoadRequest) => {
    const records: LoadedRecord[] = [];
    const fds = new Map<string, number>();
    try {
      for (const r of msg.records) {
        let fd = fds.get(r.file);
        if (fd === undefined) {
          try {
            fd = openSync(r.file, 'r');
          } catch (err) {
            records.push({ error: (err as Error).message });
            continue;
          }
          fds.set(r.file, fd);
        }
        records.push(load(fd, r.offset));
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
    const transfer = records.flatMap((r) => ('rows' in r ? [r.rows.data.buffer as ArrayBuffer] : []));
    port.postMessage({ id: msg.id, records } satisfies LoadResponse, transfer);
  });
}
