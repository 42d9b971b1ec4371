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

/** Validate, normalize and serialize each event of a request. */
export function prepareEvents(req: RequestEvents, opts: PrepareOptions): PreparedEvents {
  const maxBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const receivedAt = opts.receivedAt.toISOString();
  const accepted: AcceptedItem[] = [];
  const rejected: RejectedItem[] = [];
  const reject = (index: number, item: unknown, reason: string, facts = rawFacts(item)) => {
    const text = previewPayload(item);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
    rejected.push({ index, reason, payload, facts, record: { index, reason, receivedAt, ...facts, payload: text } });
  };
  for (let index = 0; index < req.items.length; index++) {
    const item = req.items[index];
    const v = validateEvent(item, { pathType: req.pathType, maxDepth: opts.maxDepth, maxIdLength: opts.maxIdLength });
    if (!v.ok) {
      reject(index, item, v.reason);
      continue;
    }
    let normalized: NormalizedEvent;
    let raw: string;
    try {
      normalized = normalizeEvent(item as Record<string, unknown>, { receivedAt: opts.receivedAt, receivedAtIso: receivedAt, envelope: req.envelope, pathType: req.pathType });
      raw = toStoredJson(normalized);
    } catch (err) {
      reject(index, item, `The event could not be normalized: ${(err as Error).message}`);
      continue;
    }
    // JSON text is at most 3 bytes per UTF-16 unit: count bytes only when it may matter.
    const bytes = raw.length * 3 <= maxBytes ? raw.length : Buffer.byteLength(raw);
    if (bytes > maxBytes) {
      reject(index, item, `The event is ${bytes} bytes, over the limit of ${formatBytes(maxBytes)} per event`, eventFacts(normalized));
      continue;
    }
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
