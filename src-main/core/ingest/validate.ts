/**
 * Validation of one event, with the reason of a failure. A bad event never
 * fails its good neighbours: the route stores the good ones and reports each
 * bad one with its index and this reason. The size limit per event is checked
 * on the normalized event (see batch.ts).
 */
import { parseIsoDate } from './dates';

export const EVENT_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (v: unknown): v is EventType => typeof v === 'string' && (EVENT_TYPES as readonly string[]).includes(v);

export interface ValidateOptions {
  /** The type given by the path (/v1/track ...): it wins over the body's. */
  pathType?: EventType;
  /** Deepest nesting allowed, the event object being level 1 (default 64). */
  maxDepth?: number;
  /** Longest userId, anonymousId, messageId, groupId or previousId (default 1024 characters). */
  maxIdLength?: number;
}

export type Validation = { ok: true; type: EventType } | { ok: false; reason: string };

export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_ID_LENGTH = 1024;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** An identifier's state: absent (undefined, null or ""), present (string or finite number), or an error reason. */
const ABSENT = 0;
const PRESENT = 1;
function idCheck(v: unknown, name: string, maxLen: number): number | string {
  if (v === undefined || v === null || v === '') return ABSENT;
  if (typeof v === 'string') return v.length > maxLen ? `${name} is longer than ${maxLen} characters` : PRESENT;
  if (typeof v === 'number' && Number.isFinite(v)) return PRESENT;
  return `${name} must be a string`;
}

/** True when a value nests deeper than `levels` (objects and arrays count; recursion stops at the limit). */
export function nestsDeeperThan(v: unknown, levels: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (levels <= 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (nestsDeeperThan(v[i], levels - 1)) return true;
    return false;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) if (nestsDeeperThan(o[k], levels - 1)) return true;
  return false;
}

const dateReason = (k: string, v: unknown) => `${k} is not an ISO 8601 date (got ${String(JSON.stringify(v)).slice(0, 60)})`;

export function validateEvent(input: unknown, opts: ValidateOptions = {}): Validation {
  const maxId = opts.maxIdLength ?? DEFAULT_MAX_ID_LENGTH;
  const fail = (reason: string): Validation => ({ ok: false, reason });
  if (!isPlainObject(input)) {
    return fail(`The event is not a JSON object (got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input})`);
  }
  const e = input;

  // type
  let type: EventType;
  if (opts.pathType) type = opts.pathType;
  else {
    const t = e.type;
    if (t === undefined || t === null || t === '') return fail('type is missing');
    if (typeof t !== 'string') return fail('type must be a string');
    if (!isEventType(t)) return fail(`Unknown type ${JSON.stringify(t.slice(0, 50))} (expected one of ${EVENT_TYPES.join(', ')})`);
    type = t;
  }

  // identifiers (the field names read here are never inherited from Object.prototype, so plain reads are safe)
  const userId = idCheck(e.userId, 'userId', maxId);
  if (typeof userId === 'string') return fail(userId);
  const anonymousId = idCheck(e.anonymousId, 'anonymousId', maxId);
  if (typeof anonymousId === 'string') return fail(anonymousId);
  const messageId = idCheck(e.messageId, 'messageId', maxId);
  if (typeof messageId === 'string') return fail(messageId);
  if (type === 'alias') {
    const previousId = idCheck(e.previousId, 'previousId', maxId);
    if (typeof previousId === 'string') return fail(previousId);
    if (userId === ABSENT) return fail('alias needs a userId (the new id)');
    if (previousId === ABSENT) return fail('alias needs a previousId');
  } else if (userId === ABSENT && anonymousId === ABSENT) {
    return fail('userId or anonymousId is required');
  }
  if (type === 'track') {
    const ev = e.event;
    if (ev === undefined || ev === null || ev === '') return fail('track needs an event name (event)');
    if (typeof ev !== 'string') return fail('event must be a string');
    if (ev.length > maxId) return fail(`event is longer than ${maxId} characters`);
  } else if (type === 'group') {
    const groupId = idCheck(e.groupId, 'groupId', maxId);
    if (typeof groupId === 'string') return fail(groupId);
    if (groupId === ABSENT) return fail('group needs a groupId');
  } else if (type === 'page' || type === 'screen') {
    const name = e.name;
    if (name !== undefined && name !== null && typeof name !== 'string') return fail('name must be a string');
  }

  // nested objects
  const objectReason = (v: unknown, k: string) =>
    v !== undefined && v !== null && !isPlainObject(v) ? `${k} must be an object (got ${Array.isArray(v) ? 'an array' : typeof v})` : null;
  const r = objectReason(e.traits, 'traits') ?? objectReason(e.properties, 'properties') ?? objectReason(e.context, 'context') ?? objectReason(e.integrations, 'integrations');
  if (r) return fail(r);
  const ctx = e.context;
  if (isPlainObject(ctx) && has(ctx, 'traits')) {
    const ct = ctx.traits;
    if (ct !== undefined && ct !== null && !isPlainObject(ct)) return fail('context.traits must be an object');
  }

  // dates
  if (e.timestamp != null && parseIsoDate(e.timestamp) === null) return fail(dateReason('timestamp', e.timestamp));
  if (e.originalTimestamp != null && parseIsoDate(e.originalTimestamp) === null) return fail(dateReason('originalTimestamp', e.originalTimestamp));
  if (e.sentAt != null && parseIsoDate(e.sentAt) === null) return fail(dateReason('sentAt', e.sentAt));

  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (nestsDeeperThan(e, maxDepth)) return fail(`The event nests deeper than ${maxDepth} levels`);
  return { ok: true, type };
}
