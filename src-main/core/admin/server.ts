import { existsSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { ApiError } from '../api/errors';
import type { Dispatcher } from '../api/dispatch';
import type { LiveHub } from '../api/push';
import { bearerOf, tokenMatches } from './token';
import { RENDERER_CSP } from './csp';

export interface AdminServerOptions {
  dispatcher: Dispatcher;
  live: LiveHub;
  token: string;
  /** Folder of the built renderer (index.html); a helpful page is served when missing. */
  rendererDir: string;
  port: number;
  /** Extra route registrations (e.g. file downloads) that need the same token check. */
  extend?: (app: FastifyInstance) => void;
}

const SECURITY_HEADERS = {
  'content-security-policy': RENDERER_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const LIVE_AUTH_TIMEOUT_MS = 5000;

/** Headless admin surface: the API over HTTP + WebSocket on loopback only, token-protected, and the renderer. */
export async function startAdminServer(opts: AdminServerOptions) {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  let port = opts.port;

  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 would send its own Host.
  app.addHook('onRequest', async (req, reply) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return reply.code(403).send(new ApiError('unauthorized', 'Unexpected Host header').toBody());
    }
    if (req.url.startsWith('/api/') && req.url !== '/api/live' && !tokenMatches(opts.token, bearerOf(req.headers.authorization))) {
      return reply.code(401).send(new ApiError('unauthorized', 'Missing or wrong admin token (Authorization: Bearer <token>)').toBody());
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    const code = status === 413 ? 'payload_too_large' : status === 415 || status === 400 ? 'bad_request' : status < 500 ? 'bad_request' : 'internal';
    const message =
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'Content-Type must be application/json'
        : status === 400 && err.code?.startsWith('FST_ERR_CTP')
          ? `Invalid JSON body: ${err.message}`
          : err.message;
    reply.code(status === 415 ? 400 : status).send(new ApiError(code as never, message).toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(new ApiError('not_found', `No route ${req.method} ${req.url.split('?')[0]}`).toBody());
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.post<{ Params: { method: string } }>('/api/:method', async (req, reply) => {
    const outcome = await opts.dispatcher.settle(req.params.method, req.body ?? {});
    if (outcome.ok) return reply.send(outcome.result ?? null);
    return reply.code(outcome.status).send({ error: outcome.error });
  });

  app.get('/api/live', { websocket: true }, (socket, req) => {
    let unsubscribe: (() => void) | null = null;
    const start = () => {
      unsubscribe = opts.live.subscribe((msg) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
      });
      socket.send(JSON.stringify({ event: 'live.hello', payload: { at: new Date().toISOString() } }));
    };
    // Browsers cannot set headers on a WebSocket: they send the token as the first message.
    if (tokenMatches(opts.token, bearerOf(req.headers.authorization))) start();
    const timer = setTimeout(() => unsubscribe || socket.close(4401, 'auth timeout'), LIVE_AUTH_TIMEOUT_MS);
    socket.on('message', (data) => {
      if (unsubscribe) return;
      let token: string | undefined;
      try {
        token = (JSON.parse(String(data)) as { token?: string }).token;
      } catch {
        /* not JSON: treated as a wrong token */
      }
      if (tokenMatches(opts.token, token)) start();
      else socket.close(4401, 'wrong token');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      unsubscribe?.();
    });
  });

  opts.extend?.(app);

  if (existsSync(opts.rendererDir)) {
    await app.register(fastifyStatic, {
      root: opts.rendererDir,
      setHeaders: (reply) => {
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
      },
    });
  } else {
    app.get('/', (_req, reply) =>
      reply
        .type('text/plain')
        .send(`The renderer is not built (${opts.rendererDir} is missing). Run: npm run build`),
    );
  }

  await app.listen({ host: '127.0.0.1', port: opts.port });
  const addr = app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => app.close(),
  };
}
export type AdminServer = Awaited<ReturnType<typeof startAdminServer>>;
