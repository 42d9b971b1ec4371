/**
 * From an HTTP request body to a JSON value: content type, size limit
 * (enforced while streaming, whatever Content-Length says, and again after
 * decompression), gzip, UTF-8 and JSON parsing with the error's position.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { gunzip } from 'node:zlib';
import { badRequest, formatBytes, IngestError, tooLarge, unsupportedMediaType } from './errors';
import { findJsonError } from './json-position';

export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const MEDIA_TYPES = new Set(['application/json', 'text/plain']);
const CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** Accept application/json and text/plain (charset, if given, UTF-8); anything else is 415. */
export function checkContentType(header: string | undefined): void {
  if (header === undefined || header.trim() === '') {
    throw unsupportedMediaType('Missing Content-Type: send the events as application/json (or text/plain)');
  }
  const [type, ...params] = header.split(';');
  const media = type.trim().toLowerCase();
  if (!MEDIA_TYPES.has(media)) {
    throw unsupportedMediaType(`Unsupported Content-Type ${JSON.stringify(header.slice(0, 100))}: send application/json (or text/plain)`);
  }
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (name === 'charset' && !CHARSETS.has(value)) {
      throw unsupportedMediaType(`Unsupported charset ${JSON.stringify(value.slice(0, 50))}: send UTF-8`);
    }
  }
}

/** The body's Content-Encoding: identity or gzip; anything else is 415. */
export function contentEncoding(header: string | string[] | undefined): 'identity' | 'gzip' {
  const v = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  throw unsupportedMediaType(`Unsupported Content-Encoding ${JSON.stringify(v.slice(0, 50))}: send gzip or no encoding`);
}

const overLimit = (maxBytes: number, what = 'The request body') =>
  tooLarge(`${what} is over the limit of ${formatBytes(maxBytes)} (${maxBytes} bytes) per request`, true);

/**
 * Read a body stream into memory, at most maxBytes. Past the limit it stops
 * reading and throws 413 (closeConnection: the rest of the body is unread).
 */
export function readBody(stream: Readable, maxBytes: number, declaredLength?: string | number): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength !== '') {
    const n = Number(declaredLength);
    if (Number.isFinite(n) && n > maxBytes) return Promise.reject(overLimit(maxBytes));
  }
  if (stream.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const finish = (err: IngestError | null) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (err) {
        stream.pause();
        reject(err);
      } else {
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
      }
    };
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += b.length;
      if (total > maxBytes) return finish(overLimit(maxBytes));
      chunks.push(b);
    };
    const onEnd = () => finish(null);
    const onError = (e: Error) => finish(badRequest(`The request body could not be read: ${e.message}`));
    const onClose = () => finish(badRequest('The request was aborted before its body ended'));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** Gunzip with the output bounded by maxBytes (zip bombs stop at the limit): 400 for bad gzip, 413 when over. */
export function gunzipBody(body: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: maxBytes }, (err, out) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        return reject(tooLarge(`The request body is over the limit of ${formatBytes(maxBytes)} (${maxBytes} bytes) per request once decompressed`));
      }
      reject(badRequest(`Bad gzip: the body could not be decompressed (${err.message})`));
    });
  });
}

/**
 * Parse a UTF-8 JSON body. Invalid UTF-8 sequences become U+FFFD (as Go's
 * encoding/json does); a leading BOM is ignored. Empty body: 400; invalid
 * JSON: 400 naming the position (character index, line and column).
 */
export function parseJsonBody(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw badRequest('The request body is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    const where = findJsonError(text);
    if (where) {
      throw badRequest(`Invalid JSON at position ${where.position} (line ${where.line}, column ${where.column}): ${where.message}`);
    }
    throw badRequest(`Invalid JSON: ${(err as Error).message}`);
  }
}

export interface DecodeInput {
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** Content type, size, encoding and JSON: the request's body (decompressed) and its parsed JSON value, or an IngestError. */
export async function decodeBodyBytes(req: DecodeInput, maxBytes = DEFAULT_MAX_REQUEST_BYTES): Promise<{ bytes: Buffer; value: unknown }> {
  checkContentType(req.headers['content-type']);
  const encoding = contentEncoding(req.headers['content-encoding']);
  let body = await readBody(req.body, maxBytes, req.headers['content-length']);
  if (encoding === 'gzip') {
    if (body.length === 0) throw badRequest('The request body is empty');
    body = await gunzipBody(body, maxBytes);
  }
  return { bytes: body, value: parseJsonBody(body) };
}

/** The request's parsed JSON value (see decodeBodyBytes). */
export async function decodeBody(req: DecodeInput, maxBytes = DEFAULT_MAX_REQUEST_BYTES): Promise<unknown> {
  return (await decodeBodyBytes(req, maxBytes)).value;
}
