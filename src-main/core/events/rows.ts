/**
 * How a request's accepted events travel to the log's writer: encoded rows
 * (UTF-8, one buffer per request), built off the writer's path: on the
 * caller's turn for EventLog.append, in the loader's worker thread for
 * journaled requests (loader-worker.ts).
 */
import { fixLoneSurrogates } from './serialize';
import type { AppendEvent, RejectedEvent } from './types';

/*
 * The group's rows travel to DuckDB as ONE UTF-8 BLOB: rows separated by U+001E,
 * each row's fields by U+001F:
 *   source_id, message_id, type, event, user_id, anonymous_id, timestamp (epoch ms),
 *   received_at (epoch ms), escaped, raw
 * Valid JSON text never contains these two control characters unescaped, so
 * raw needs no escaping (append() refuses a raw that contains them). The six
 * string fields are written as they are, '' standing for NULL, unless one of
 * them is '' or contains a character from U+001C to U+001F: then they are all
 * written empty and `escaped` holds them as a JSON array.
 */
export const ROW_SEP = '\u001e';
export const ROW_SEP_BYTE = 0x1e; // never part of a multi-byte UTF-8 sequence
export const ROW_SEP_BUF = Buffer.from([ROW_SEP_BYTE]);
export const FIELD_SEP = '\u001f';
// eslint-disable-next-line no-control-regex -- these control characters are exactly what is looked for
const NEEDS_ESCAPE = /[\u001c-\u001f]/;

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The string as DuckDB stores it: UTF-8 has no lone surrogates, they become U+FFFD (so do they for deduplication). */
export function wellFormed(s: string): string {
  return SURROGATE.test(s) ? s.replace(LONE_SURROGATE, '\ufffd') : s;
}

/** One row of the group string: the event's columns, then its raw JSON. */
export function encodeRow(sourceId: string, e: AppendEvent, tsMs: number, recMs: number): string {
  const event = e.event ?? '';
  const userId = e.userId ?? '';
  const anonymousId = e.anonymousId ?? '';
  if (
    e.type === '' ||
    e.event === '' ||
    e.userId === '' ||
    e.anonymousId === '' ||
    NEEDS_ESCAPE.test(sourceId) ||
    NEEDS_ESCAPE.test(e.messageId) ||
    NEEDS_ESCAPE.test(e.type) ||
    NEEDS_ESCAPE.test(event) ||
    NEEDS_ESCAPE.test(userId) ||
    NEEDS_ESCAPE.test(anonymousId)
  ) {
    const escaped = fixLoneSurrogates(JSON.stringify([sourceId, e.messageId, e.type, e.event ?? null, e.userId ?? null, e.anonymousId ?? null]));
    return `${FIELD_SEP}${FIELD_SEP}${FIELD_SEP}${FIELD_SEP}${FIELD_SEP}${FIELD_SEP}${tsMs}${FIELD_SEP}${recMs}${FIELD_SEP}${escaped}${FIELD_SEP}${e.raw}`;
  }
  return `${sourceId}${FIELD_SEP}${e.messageId}${FIELD_SEP}${e.type}${FIELD_SEP}${event}${FIELD_SEP}${userId}${FIELD_SEP}${anonymousId}${FIELD_SEP}${tsMs}${FIELD_SEP}${recMs}${FIELD_SEP}${FIELD_SEP}${e.raw}`;
}

export function epochMs(iso: string, what: string): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`${what} is not a valid date: ${iso}`);
  return ms;
}

/** A request's accepted events as the writer takes them. */
export interface EncodedRows {
  /** The messageId of each event (well-formed, as stored). */
  ids: string[];
  /** The rows (see encodeRow), separated by U+001E. */
  data: Uint8Array;
  /** Epoch ms of the newest receivedAt (events and rejected), or -Infinity. */
  lastMs: number;
}

/** Check and encode a request's events; throws TypeError on an event the log cannot take. */
export function encodeEvents(sourceId: string, events: readonly AppendEvent[], rejected: readonly RejectedEvent[] = []): EncodedRows {
  if (typeof sourceId !== 'string' || sourceId === '') throw new TypeError('sourceId is required');
  const rows = new Array<string>(events.length);
  const ids = new Array<string>(events.length);
  let lastMs = -Infinity;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (typeof e.messageId !== 'string' || e.messageId === '') throw new TypeError('messageId is required');
    if (typeof e.type !== 'string') throw new TypeError('type is required');
    if (typeof e.raw !== 'string') throw new TypeError('raw is required');
    if (e.raw.includes(ROW_SEP) || e.raw.includes(FIELD_SEP)) throw new TypeError('raw is not JSON text (it holds an unescaped control character)');
    const rec = epochMs(e.receivedAt, 'receivedAt');
    if (rec > lastMs) lastMs = rec;
    // DuckDB's JSON type refuses escaped lone surrogates, and would fail the whole group: replace them here.
    const raw = fixLoneSurrogates(e.raw);
    rows[i] = encodeRow(sourceId, raw === e.raw ? e : { ...e, raw }, epochMs(e.timestamp, 'timestamp'), rec);
    ids[i] = wellFormed(e.messageId);
  }
  for (const r of rejected) {
    const rec = epochMs(r.receivedAt, 'receivedAt');
    if (rec > lastMs) lastMs = rec;
  }
  return { ids, data: Buffer.from(rows.join(ROW_SEP), 'utf8'), lastMs };
}
