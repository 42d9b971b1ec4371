/**
 * Normalization of one valid event, as Segment does it. Every rule is listed
 * in the README ("Segment ingestion"); keep the two in step.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseIsoDate } from './dates';
import { isPlainObject, type EventType } from './validate';

export interface Envelope {
  /** The batch-level context, merged into each event's context. */
  context?: Record<string, unknown>;
  /** The batch-level sentAt, used when the event has none. */
  sentAt?: string;
}

export interface NormalizeOptions {
  /** Server time of the request. */
  receivedAt: Date;
  /** receivedAt.toISOString(), when the caller has it already (one per request instead of one per event). */
  receivedAtIso?: string;
  envelope?: Envelope;
  /** The type given by the path (/v1/track ...). */
  pathType?: EventType;
  /**
   * The messageId of an event sent without one nor a time of its own (default: random). The ingest
   * route passes `<request id>-<index>`: the journal's loader normalizes the request again and must
   * get the same ids.
   */
  fallbackId?: string;
}

export interface NormalizedEvent {
  type: EventType;
  messageId: string;
  userId: string | null;
  anonymousId: string | null;
  timestamp: string;
  receivedAt: string;
  sentAt?: string;
  context: Record<string, unknown>;
  event?: string;
  traits?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function idValue(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * The messageId of an event sent without one. When the event carries its own
 * time (timestamp or originalTimestamp) the id is derived from its content, so
 * a retried request gets the same ids and is deduplicated; otherwise it is random.
 */
export function generateMessageId(input: Record<string, unknown>, type: EventType, fallbackId?: string): string {
  if (input.timestamp == null && input.originalTimestamp == null) return `gen-${fallbackId ?? randomUUID()}`;
  // Everything the client sent but the fields that may change on a retry.
  const { sentAt: _s, writeKey: _w, ...stable } = input;
  const digest = createHash('sha256').update(type).update('\u0000').update(JSON.stringify(stable)).digest('hex');
  return `gen-${digest.slice(0, 32)}`;
}

/** Normalize a valid event (see validateEvent). Never mutates the input; never assigns a key taken from the input. */
export function normalizeEvent(input: Record<string, unknown>, opts: NormalizeOptions): NormalizedEvent {
  // Copy the client's fields (spread defines own properties, so a "__proto__" key stays plain data), minus the credential.
  const out: Record<string, unknown> = { ...input };
  if (has(input, 'writeKey')) delete out.writeKey;
  const type = opts.pathType ?? (input.type as EventType);
  const receivedAtMs = opts.receivedAt.getTime();

  const messageId = idValue(input.messageId) ?? generateMessageId(input, type, opts.fallbackId);

  // sentAt: the event's, else the envelope's.
  let sentAtText = input.sentAt;
  let sentAtMs = parseIsoDate(sentAtText);
  if (sentAtMs === null) {
    sentAtText = opts.envelope?.sentAt;
    sentAtMs = parseIsoDate(sentAtText);
  }
  const originalMs = parseIsoDate(input.originalTimestamp);
  const timestampMs = parseIsoDate(input.timestamp);
  // An event forwarded by Segment (its Webhook destination) already carries Segment's receivedAt and corrected timestamp.
  const forwardedReceivedMs = parseIsoDate(input.receivedAt);

  let ts: number;
  if (forwardedReceivedMs !== null && timestampMs !== null) ts = timestampMs;
  else if (originalMs !== null && sentAtMs !== null) ts = (forwardedReceivedMs ?? receivedAtMs) - (sentAtMs - originalMs);
  else if (timestampMs !== null) ts = timestampMs;
  else if (originalMs !== null) ts = originalMs;
  else ts = receivedAtMs;
  if (!Number.isFinite(ts) || Math.abs(ts) > 8.64e15) ts = receivedAtMs;

  // context: the envelope's, overridden key by key by the event's.
  const envCtx = opts.envelope && isPlainObject(opts.envelope.context) ? opts.envelope.context : undefined;
  const evCtx = isPlainObject(input.context) ? input.context : undefined;
  const context: Record<string, unknown> = envCtx && evCtx ? { ...envCtx, ...evCtx } : (evCtx ?? (envCtx ? { ...envCtx } : {}));

  out.type = type;
  out.messageId = messageId;
  out.userId = idValue(input.userId);
  out.anonymousId = idValue(input.anonymousId);
  if (typeof input.groupId === 'number') out.groupId = String(input.groupId);
  if (typeof input.previousId === 'number') out.previousId = String(input.previousId);
  out.timestamp = ts === timestampMs && isCanonical(input.timestamp) ? input.timestamp : new Date(ts).toISOString();
  out.receivedAt = opts.receivedAtIso ?? opts.receivedAt.toISOString();
  if (sentAtMs !== null) out.sentAt = isCanonical(sentAtText) ? sentAtText : new Date(sentAtMs).toISOString();
  else if (out.sentAt !== undefined) delete out.sentAt;
  out.context = context;
  // context.traits is kept, and exposed as traits for the calls whose top-level traits are not their own (not identify, not group).
  if (type !== 'identify' && type !== 'group' && (out.traits === undefined || out.traits === null) && isPlainObject(context.traits)) {
    out.traits = context.traits;
  }
  return out as NormalizedEvent;
}

/** Already in toISOString() form (so it can be stored as is). */
function isCanonical(v: unknown): v is string {
  return typeof v === 'string' && v.length === 24 && v.charCodeAt(23) === 90 && v.charCodeAt(10) === 84 && v.charCodeAt(19) === 46;
}

/** The facts the log indexes and the debugger lists. */
export function eventFacts(n: NormalizedEvent) {
  return {
    type: n.type as string,
    event: n.type === 'track' && typeof n.event === 'string' ? n.event : null,
    userId: n.userId,
    anonymousId: n.anonymousId,
    messageId: n.messageId,
  };
}
