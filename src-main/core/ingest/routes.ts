/**
 * The ingestion routes, as a fastify plugin:
 *   POST /v1/events   one event, a bare array (Segment's Webhook destination), or {batch, context, sentAt}
 *   POST /v1/batch    Segment's HTTP Tracking API batch
 *   POST /v1/identify, /v1/track, /v1/page, /v1/screen, /v1/group, /v1/alias   single calls, type from the path
 * Answer 200 {"accepted":N,"rejected":[{"index":i,"reason":"..."}]} only after the request is
 * durable in the ingest journal (events/journal.ts), from which the loader moves it into the
 * event log; errors as {"error":{"code","message"}}. Duplicates (a retried batch) are dropped by
 * the log and counted in events.stats.
 *
 * Register with `await app.register(registerIngestRoutes, deps)` (encapsulated)
 * or `await registerIngestRoutes(app, deps)`. It replaces fastify's body
 * parsers in its context with one that hands over the raw stream: the body is
 * read, limited, gunzipped and parsed here (decode.ts).
 */
import type { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { LogClosedError, OverloadedError } from '../events/errors';
import type { Journal } from '../events/journal';
import { sampleEntries, type EventSample } from '../events/sample';
import { keyFromAuthorization, keyFromBody, missingKey, resolveKey, type ResolveWriteKey, type WriteKeyOwner } from './auth';
import { checkEvents, DEFAULT_MAX_EVENT_BYTES, splitBody, type IngestRoute } from './batch';
import { DEFAULT_MAX_REQUEST_BYTES, decodeBodyBytes } from './decode';
import { IngestError } from './errors';
import { EVENT_TYPES } from './validate';

export interface IngestLimits {
  /** Largest request body, before and after gunzip (default 4 MiB). */
  maxRequestBytes: number;
  /** Largest normalized event (default 32 KiB). */
  maxEventBytes: number;
  /** Most events per request (default 5000). */
  maxEventsPerRequest: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  maxEventsPerRequest: 5000,
};

export interface IngestDeps {
  /** Called on every request: a deleted key must return null at once. */
  resolveWriteKey: ResolveWriteKey;
  journal: Pick<Journal, 'append'>;
  sample: Pick<EventSample, 'record' | 'capacity'>;
  /** The limits, or a function read on every request (settings may change them). */
  limits?: Partial<IngestLimits> | (() => Partial<IngestLimits>);
  /** Server clock (receivedAt). */
  now?: () => Date;
}

export interface IngestResponse {
  accepted: number;
  rejected: { index: number; reason: string }[];
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

function sendError(reply: FastifyReply, err: unknown) {
  if (err instanceof IngestError) {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    // The rest of the body was not read: don't try to parse it as the next request.
    if (err.closeConnection) reply.header('connection', 'close');
    return reply.code(err.status).send(err.toBody());
  }
  const fe = err as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status === 500) return reply.code(500).send(errorBody('internal', 'Internal error'));
  return reply.code(status).send(errorBody(CODE_BY_STATUS[status] ?? 'bad_request', fe.message ?? 'Bad request'));
}

export async function registerIngestRoutes(app: FastifyInstance, deps: IngestDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const limits = (): IngestLimits => ({ ...DEFAULT_LIMITS, ...(typeof deps.limits === 'function' ? deps.limits() : (deps.limits ?? {})) });

  // Hand the raw body stream to the handler, whatever the content type (it checks the type itself).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  app.setErrorHandler((err, _req, reply) => sendError(reply, err));

  async function handle(route: IngestRoute, request: FastifyRequest, reply: FastifyReply) {
    const lim = limits();
    // A key in the header is checked before the body is read.
    const headerKey = keyFromAuthorization(request.headers.authorization);
    let owner: WriteKeyOwner | null = headerKey ? await resolveKey(headerKey.key, deps.resolveWriteKey) : null;

    const stream = (request.body as Readable | undefined) ?? request.raw;
    const decoded = await decodeBodyBytes({ headers: request.headers, body: stream }, lim.maxRequestBytes);
    if (!owner) {
      const key = keyFromBody(decoded.value);
      if (!key) throw missingKey();
      owner = await resolveKey(key, deps.resolveWriteKey);
    }

    const receivedAt = now();
    const requestId = randomUUID();
    const cap = deps.sample.capacity;
    const checked = checkEvents(splitBody(decoded.value, route, lim.maxEventsPerRequest), {
      receivedAt,
      maxEventBytes: lim.maxEventBytes,
      requestId,
      sample: cap,
    });
    const rejected = checked.rejected;
    try {
      await deps.journal.append(
        { s: owner.sourceId, r: receivedAt.getTime(), t: route, id: requestId, e: lim.maxEventBytes, n: checked.accepted, k: rejected.length },
        decoded.bytes,
      );
    } catch (err) {
      if (err instanceof OverloadedError || err instanceof LogClosedError) {
        throw new IngestError('unavailable', err.message, { headers: { 'retry-after': String(err.retryAfterSeconds) } });
      }
      throw new IngestError('internal', 'The events could not be stored; nothing of this request was stored. Retry later.');
    }

    // The debugger's entries are made when published (at most every 50 ms), from the newest request.
    const tail = rejected.slice(Math.max(0, rejected.length - cap));
    const sourceId = owner.sourceId;
    deps.sample.record(sourceId, {
      count: Math.min(cap, checked.accepted + tail.length),
      get: () =>
        sampleEntries(
          {
            sourceId,
            receivedAt: receivedAt.toISOString(),
            accepted: checked.sampled().map((a) => ({ index: a.index, facts: a.facts, payload: a.normalized, id: `${requestId}-${a.index}` })),
            rejected: tail.map((r) => ({ index: r.index, facts: r.facts, payload: r.payload, reason: r.reason, id: `${requestId}-${r.index}` })),
          },
          cap,
        ),
    });

    const response: IngestResponse = { accepted: checked.accepted, rejected: rejected.map((r) => ({ index: r.index, reason: r.reason })) };
    return reply.code(200).send(response);
  }

  const routes: [string, IngestRoute][] = [
    ['/v1/events', 'events'],
    ['/v1/batch', 'batch'],
    ...EVENT_TYPES.map((t): [string, IngestRoute] => [`/v1/${t}`, t]),
  ];
  for (const [path, route] of routes) {
    app.post(path, (request, reply) => handle(route, request, reply));
  }
}
