// The reference of `npm run bench:ingest`: a bare fastify server that only reads and
// JSON-parses each body (no auth, validation, normalization or storage) and answers
// {"accepted":N}. Prints {"ready":true,"url":...} on stdout.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body));
  } catch (err) {
    err.statusCode = 400;
    done(err);
  }
});
app.post('/v1/events', async (req) => ({ accepted: Array.isArray(req.body) ? req.body.length : 1, rejected: [], duplicates: 0 }));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ ready: true, url: `http://127.0.0.1:${app.server.address().port}` }) + '\n');
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
