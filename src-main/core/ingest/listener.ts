import Fastify, { type FastifyInstance } from 'fastify';

// The ingest server's lifecycle: a fastify instance exposed to Segment that
// serves ingestion routes and a health check, and nothing administrative.
// It can be moved (host/port change in Settings) without restarting the app.
export interface IngestListenerOptions {
  /** Adds the ingestion routes to a fresh fastify instance. */
  register: (app: FastifyInstance) => void | Promise<void>;
  bodyLimit?: number;
}

export function createIngestListener(opts: IngestListenerOptions) {
  let app: FastifyInstance | null = null;
  let url: string | null = null;
  let host = '';
  let error: string | null = null;

  async function start(h: string, port: number) {
    host = h;
    // Timeouts: a slow or endless upload must not hold a connection forever.
    const next = Fastify({ logger: false, forceCloseConnections: false, bodyLimit: opts.bodyLimit, requestTimeout: 60_000, connectionTimeout: 60_000 });
    next.get('/health', async () => ({ ok: true }));
    next.setNotFoundHandler((req, reply) => {
      reply.code(404).send({ error: { code: 'not_found', message: `No ingestion route ${req.method} ${req.url.split('?')[0]}` } });
    });
    await opts.register(next);
    try {
      await next.listen({ host: h, port });
    } catch (err) {
      error = `The ingest server could not listen on ${h}:${port}: ${(err as Error).message}`;
      await next.close().catch(() => undefined);
      throw new Error(error);
    }
    const addr = next.server.address();
    const p = typeof addr === 'object' && addr ? addr.port : port;
    app = next;
    error = null;
    url = `http://${h.includes(':') ? `[${h}]` : h}:${p}`;
  }

  /** Stop accepting new connections and let in-flight requests finish. */
  async function stop() {
    const current = app;
    app = null;
    url = null;
    await current?.close();
  }

  return {
    start,
    stop,
    async restart(h: string, port: number) {
      await stop();
      await start(h, port);
    },
    get url() {
      return url;
    },
    get host() {
      return host;
    },
    get error() {
      return error;
    },
  };
}
export type IngestListener = ReturnType<typeof createIngestListener>;
