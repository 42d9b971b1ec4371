/**
 * From a parsed request body to the events of the request: the body's shape
 * (one event, a bare array, or a `{batch, context, sentAt}` envelope), then
 * per event validate -> normalize -> serialize -> size check.
 */
import { previewPayload, toStoredJson } from '../events/serialize';
import type { AppendEvent, RejectedEvent } from '../events/types';
import { parseIsoDate } from './dates';
import { badRequest, formatBytes, tooLarge } from './errors';
import { eventFacts, normalizeEvent, type Envelope, type NormalizedEvent } from './normalize';
import { isPlainObject, validateEvent, type EventType, type ValidateOptions } from './validate';

/** Which endpoint received the body: /v1/events, /v1/batch, or a single call /v1/<type>. */
export type IngestRoute = 'events' | 'batch' | EventType;

export interface RequestEvents {
  items: unknown[];
  envelope: Envelope;
  /** The type given by the path, for /v1/<type>. */
  pathType?: EventType;
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Split a body into its events; 400 for a shape that holds no events, 413 over maxEvents. */
export function splitBody(body: unknown, route: IngestRoute, maxEvents: number): RequestEvents {
  const pathType = route === 'events' || route === 'batch' ? undefined : route;
  let items: unknown[];
  const envelope: Envelope = {};
  if (pathType) {
    if (!isPlainObject(body)) throw badRequest(`The body of /v1/${pathType} must be one event (a JSON object)`);
    items = [body];
  } else if (Array.isArray(body)) {
    items = body;
  } else if (isPlainObject(body)) {
    if (has(body, 'batch')) {
      if (!Array.isArray(body.batch)) throw badRequest('batch must be an array of events');
      items = body.batch;
      if (has(body, 'context') && body.context !== null && body.context !== undefined) {
        if (!isPlainObject(body.context)) throw badRequest('The batch context must be an object');
        envelope.context = body.context;
      }
      if (has(body, 'sentAt') && body.sentAt !== null && body.sentAt !== undefined) {
        if (parseIsoDate(body.sentAt) === null) throw badRequest('The batch sentAt is not an ISO 8601 date');
        envelope.sentAt = body.sentAt as string;
      }
    } else {
      items = [body];
    }
  } else {
    throw badRequest('The body must be an event (a JSON object), an array of events, or {"batch": [...]}');
  }
  if (items.length === 0) throw badRequest('The batch is empty: send at least one event');
  if (items.length > maxEvents) {
    throw tooLarge(`The request has ${items.length} events, over the limit of ${maxEvents} events per request`);
  }
  return { items, envelope, pathType };
}

export interface PrepareOptions extends Pick<ValidateOptions, 'maxDepth' | 'maxIdLength'> {
  receivedAt: Date;
  /** Largest normalized event, in bytes of JSON (default 32 KiB). */
  maxEventBytes?: number;
  /** Makes the messageIds generated for events without one nor a time `gen-<requestId>-<index>` (else random). */
  requestId?: string;
}

export interface Facts {
  type: string | null;
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  messageId: string | null;
}

export interface AcceptedItem {
  index: number;
  normalized: NormalizedEvent;
  append: AppendEvent;
  facts: Facts;
}

export interface RejectedItem {
  index: number;
  reason: string;
  /** What the debugger shows: the received value, or a truncated preview of it. */
  payload: unknown;
  facts: Facts;
  record: RejectedEvent;
}

export interface PreparedEvents {
  accepted: AcceptedItem[];
  rejected: RejectedItem[];
}

export const DEFAULT_MAX_EVENT_BYTES = 32 * 1024;

function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v.slice(0, 1024);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Best-effort facts of an event that failed validation. */
function rawFacts(item: unknown): Facts {
  if (!isPlainObject(item)) return { type: null, event: null, userId: null, anonymousId: null, messageId: null };
  const get = (k: string) => (has(item, k) ? item[k] : undefined);
  return { type: str(get('type')), event: str(get('event')), userId: str(get('userId')), anonymousId: str(get('anonymousId')), messageId: str(get('messageId')) };
}

function rejecter(into: RejectedItem[], receivedAt: string) {
  return (index: number, item: unknown, reason: string, facts = rawFacts(item)) => {
    const text = previewPayload(item);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
    into.push({ index, reason, payload, facts, record: { index, reason, receivedAt, ...facts, payload: text } });
  };
}

const sizeReason = (bytes: number, maxBytes: number) => `The event is ${bytes} bytes, over the limit of ${formatBytes(maxBytes)} per event`;

function normalize(req: RequestEvents, item: unknown, index: number, opts: PrepareOptions, receivedAtIso: string): NormalizedEvent {
  return normalizeEvent(item as Record<string, unknown>, {
    receivedAt: opts.receivedAt,
    receivedAtIso,
    envelope: req.envelope,
    pathType: req.pathType,
    fallbackId: opts.requestId === undefined ? undefined : `${opts.requestId}-${index}`,
  });
}

/** The valid events of a request with their index; each invalid one is rejected with its reason. */
function* validItems(req: RequestEvents, opts: PrepareOptions, reject: ReturnType<typeof rejecter>): Generator<[number, Record<string, unknown>]> {
  for (let index = 0; index < req.items.length; index++) {
    const item = req.items[index];
    const v = validateEvent(item, { pathType: req.pathType, maxDepth: opts.maxDepth, maxIdLength: opts.maxIdLength });
    if (v.ok) yield [index, item as Record<string, unknown>];
    else reject(index, item, v.reason);
  }
}

/** A valid event normalized and serialized, or null when it was rejected (not normalizable, or over the size limit). */
function measured(
  req: RequestEvents,
  item: unknown,
  index: number,
  opts: PrepareOptions,
  receivedAt: string,
  maxBytes: number,
  reject: ReturnType<typeof rejecter>,
): { normalized: NormalizedEvent; raw: string } | null {
  let normalized: NormalizedEvent;
  let raw: string;
  try {
    normalized = normalize(req, item, index, opts, receivedAt);
    raw = toStoredJson(normalized);
  } catch (err) {
    reject(index, item, `The event could not be normalized: ${(err as Error).message}`);
    return null;
  }
  // JSON text is at most 3 bytes per UTF-16 unit: count bytes only when it may matter.
  const bytes = raw.length * 3 <= maxBytes ? raw.length : Buffer.byteLength(raw);
  if (bytes > maxBytes) {
    reject(index, item, sizeReason(bytes, maxBytes), eventFacts(normalized));
    return null;
  }
  return { normalized, raw };
}

/** Validate, normalize and serialize each event of a request. */
export function prepareEvents(req: RequestEvents, opts: PrepareOptions): PreparedEvents {
  const maxBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const receivedAt = opts.receivedAt.toISOString();
  const accepted: AcceptedItem[] = [];
  const rejected: RejectedItem[] = [];
  const reject = rejecter(rejected, receivedAt);
  for (const [index, item] of validItems(req, opts, reject)) {
    const m = measured(req, item, index, opts, receivedAt, maxBytes, reject);
    if (!m) continue;
    const { normalized, raw } = m;
    const facts = eventFacts(normalized);
    accepted.push({
      index,
      normalized,
      facts,
      append: {
        messageId: normalized.messageId,
        type: normalized.type,
        event: facts.event,
        userId: normalized.userId,
        anonymousId: normalized.anonymousId,
        timestamp: normalized.timestamp,
        receivedAt: normalized.receivedAt,
        raw,
      },
    });
  }
  return { accepted, rejected };
}

/**
 * At least the UTF-8 length of a string's JSON text: 6 bytes per UTF-16 unit covers any escape and any
 * character. (Looser than scanning the string, but scanning every string cost 2 µs per event; a typical
 * event's bound stays far under 32 KiB, and only events over ~4 KiB take the exact path.)
 */
const stringBound = (s: string) => s.length * 6 + 2;

/** An upper bound of the UTF-8 byte length of `JSON.stringify(v)` for a value from JSON.parse, without building the text. */
export function jsonBytesBound(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return stringBound(v);
    case 'number':
      return 26; // the longest a double prints is 25 characters (-0.0000012345678901234567, -1.7976931348623157e+308 is 24)
    case 'boolean':
      return 5;
    case 'object': {
      if (v === null) return 4;
      let n = 2;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) n += jsonBytesBound(v[i]) + 1;
        return n;
      }
      const o = v as Record<string, unknown>;
      for (const k in o) n += stringBound(k) + 2 + jsonBytesBound(o[k]);
      return n;
    }
    default:
      return 4;
  }
}

/** What normalization may add to an event at most, beyond its context and the envelope's (type, ids, times and their keys). */
const NORMALIZATION_SLACK = 1024;

export interface SampledItem {
  index: number;
  normalized: NormalizedEvent;
  facts: Facts;
}

export interface CheckedEvents {
  /** How many events are accepted (prepareEvents would accept exactly these). */
  accepted: number;
  rejected: RejectedItem[];
  /**
   * The last `sample` accepted events, normalized, in batch order (for the debugger). Computed when
   * called: the debugger publishes at most every 50 ms, so most requests' samples are never needed.
   */
  sampled(): SampledItem[];
}

/**
 * The verdicts of prepareEvents without serializing every event: what the ingest route needs to answer
 * (the journal's loader runs prepareEvents on the same bytes later, and must agree). The size limit is
 * checked on an upper bound of the normalized event's size (the event's, plus its context and the
 * envelope's context counted twice, since normalization may copy context.traits to traits); only an event
 * whose bound is over the limit is normalized and measured exactly.
 */
export function checkEvents(req: RequestEvents, opts: PrepareOptions & { sample: number }): CheckedEvents {
  const maxBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const receivedAt = opts.receivedAt.toISOString();
  const rejected: RejectedItem[] = [];
  const reject = rejecter(rejected, receivedAt);
  const envelopeBound = req.envelope.context ? 2 * jsonBytesBound(req.envelope.context) : 0;
  const accepted: number[] = [];
  const exact = new Map<number, NormalizedEvent>();
  for (const [index, item] of validItems(req, opts, reject)) {
    const e = item;
    const bound = jsonBytesBound(e) + (e.context === undefined ? 0 : jsonBytesBound(e.context)) + envelopeBound + NORMALIZATION_SLACK;
    if (bound > maxBytes) {
      const m = measured(req, item, index, opts, receivedAt, maxBytes, reject);
      if (!m) continue;
      exact.set(index, m.normalized);
    }
    accepted.push(index);
  }
  const sampled = () => {
    const out: SampledItem[] = [];
    for (let i = Math.max(0, accepted.length - opts.sample); i < accepted.length; i++) {
      const index = accepted[i];
      const normalized = exact.get(index) ?? normalize(req, req.items[index], index, opts, receivedAt);
      out.push({ index, normalized, facts: eventFacts(normalized) });
    }
    return out;
  };
  return { accepted: accepted.length, rejected, sampled };
}
