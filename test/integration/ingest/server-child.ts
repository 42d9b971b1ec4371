/**
 * A stand-alone ingest server for tests that need a separate process (crash
 * safety, load): bundled with esbuild at test time and run with node.
 *   node server-child.mjs <dataDir> [optionsJson]
 * Prints one line {"ready":true,"port":N} on stdout when listening.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Fastify from 'fastify';
import { openJournal } from '../../../src-main/core/events/journal';
import { startLoader } from '../../../src-main/core/events/loader';
import { createEventLog } from '../../../src-main/core/events/log';
import { createEventSample } from '../../../src-main/core/events/sample';
import { registerIngestRoutes } from '../../../src-main/core/ingest/routes';
import { applyMigrations } from './helpers';

async function main() {
  const dir = process.argv[2];
  const options = JSON.parse(process.argv[3] ?? '{}') as { duckdb?: Record<string, string>; log?: Record<string, number> };
  const instance = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'), options.duckdb);
  const setup = await instance.connect();
  await applyMigrations(setup);
  setup.closeSync();
  const log = await createEventLog(await instance.connect(), options.log);
  const journal = openJournal(join(dir, 'journal'), await log.journalMark());
  const loader = startLoader({ journal, log, workerPath: process.env.INGEST_LOADER_WORKER });
  // What a previous run journaled is in the log before this one says it is ready.
  await loader.flush();
  const sample = createEventSample();
  await sample.restore(log);
  const app = Fastify({ logger: false });
  await app.register(registerIngestRoutes, {
    resolveWriteKey: (k: string) => (k.startsWith('wk_') ? { sourceId: 'src_1' } : null),
    journal,
    sample,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const stop = async () => {
    await app.close();
    await loader.close();
    await journal.close();
    await log.close();
    instance.closeSync();
    process.exit(0);
  };
  if (process.env.INGEST_METRICS) setInterval(() => process.stderr.write(JSON.stringify({ ...log.metrics(), loader: loader.metrics(), memory: process.memoryUsage() }) + '\n'), 2000).unref();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Ready only once the handlers are in place: a parent may send SIGTERM as soon as it reads this line.
  process.stdout.write(JSON.stringify({ ready: true, port }) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
