/**
 * Write-key authentication: `Authorization: Bearer KEY`, Basic auth with the
 * key as user name and an empty password (Segment's libraries), or `writeKey`
 * in the body. The key is looked up on every request through the injected
 * resolveWriteKey, so a deleted key (or a deleted source's key) is refused at once.
 */
import { unauthorized } from './errors';

export interface WriteKeyOwner {
  sourceId: string;
}

export type ResolveWriteKey = (key: string) => WriteKeyOwner | null | undefined | Promise<WriteKeyOwner | null | undefined>;

/** Visible ASCII, no spaces, at most 512 characters. */
const KEY = /^[\x21-\x7e]{1,512}$/;

export type HeaderKey = { key: string; scheme: 'bearer' | 'basic' } | null;

/**
 * The write key carried by an Authorization header; null when there is no
 * header. A header that is present but malformed is a 401.
 */
export function keyFromAuthorization(header: string | undefined): HeaderKey {
  if (header === undefined) return null;
  const m = /^\s*(\S+)(?:\s+(.*?))?\s*$/.exec(header);
  if (!m) throw unauthorized('Malformed Authorization header: use "Bearer <write key>" or Basic auth with the write key as user name');
  const scheme = m[1].toLowerCase();
  const value = m[2] ?? '';
  if (scheme === 'bearer') {
    if (!KEY.test(value)) throw unauthorized('Malformed Authorization header: the Bearer write key is missing or malformed');
    return { key: value, scheme: 'bearer' };
  }
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw unauthorized('Malformed Authorization header: Basic credentials are not base64');
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    if (password !== '') throw unauthorized('Malformed Authorization header: Basic auth takes the write key as user name and an empty password');
    if (!KEY.test(user)) throw unauthorized('Malformed Authorization header: the Basic auth write key is missing or malformed');
    return { key: user, scheme: 'basic' };
  }
  throw unauthorized(`Unsupported Authorization scheme ${JSON.stringify(m[1].slice(0, 20))}: use Bearer or Basic`);
}

/**
 * The `writeKey` of a body: the top-level object's (single event or
 * `{batch}` envelope), or for a bare array its first event's. undefined when
 * absent; a present but malformed one is a 401.
 */
export function keyFromBody(body: unknown): string | undefined {
  let holder: unknown = body;
  if (Array.isArray(body)) holder = body[0];
  if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(holder, 'writeKey')) return undefined;
  const key = (holder as { writeKey?: unknown }).writeKey;
  if (key === undefined || key === null) return undefined;
  if (typeof key !== 'string' || !KEY.test(key)) throw unauthorized('Malformed writeKey in the body');
  return key;
}

/** Look a key up; unknown (or deleted) keys are a 401. */
export async function resolveKey(key: string, resolveWriteKey: ResolveWriteKey): Promise<WriteKeyOwner> {
  const owner = await resolveWriteKey(key);
  if (!owner || typeof owner.sourceId !== 'string' || owner.sourceId === '') {
    throw unauthorized('Unknown write key: check the key in the source settings (deleted keys stop working at once)');
  }
  return owner;
}

export const missingKey = () =>
  unauthorized('Missing write key: send "Authorization: Bearer <write key>", Basic auth with the key as user name, or "writeKey" in the body');
