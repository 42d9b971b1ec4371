import { join } from 'node:path';
import pkg from '../../package.json';
import { createDispatcher } from './api/dispatch';
import type { Handlers } from './api/contract';
import { createLiveHub } from './api/push';
import type { CoreContext } from './context';
import { ensureWritableDir } from './datadir';
import { createIngestListener } from './ingest/listener';
import { openWarehouse } from './warehouse/open';
import { warehouseHandlers } from './warehouse/handlers';
import { modelHandlers } from './model/handlers';
import { reconcileUsersTable } from './model/migrate';
import { usersHandlers } from './users/handlers';
import { sourcesHandlers } from './sources/handlers';
import { createPipelines } from './pipelines';
import { writeKeyResolver } from './sources';
import { openJournal } from './events/journal';
import { startLoader } from './events/loader';
import { createEventLog } from './events/log';
import { createEventSample } from './events/sample';
import { eventsHandlers } from './events/handlers';
import { registerIngestRoutes } from './ingest/routes';
import { openWorkspace } from './workspace/store';
import { effectiveIngest, workspaceHandlers } from './workspace/handlers';
import { identityHandlers } from './identity/handlers';

export interface CoreOptions {
  dataDir: string;
  ingestHost?: string;
  ingestPort?: number;
  /** Start the ingest server (default true); some tests only need the API. */
  listen?: boolean;
  /** The journal loader's worker script (default: the built out/main/ingest-loader.js). */
  loaderWorker?: string;
}

/**
 * The composition root. Opens the workspace and the warehouse, wires every
 * domain's handlers into one dispatcher and starts the ingest server.
 * Plain Node: used by Electron main, headless mode and tests alike.
 */
export async function createCore(opts: CoreOptions) {
  await ensureWritableDir(opts.dataDir);
  const store = await openWorkspace(join(opts.dataDir, 'workspace.json'));
  const warehouse = await openWarehouse(join(opts.dataDir, 'warehouse.duckdb'));
  const live = createLiveHub();

  // The event log writes on its own connection (group commit); the debugger's sample is restored from it.
  const eventLog = await createEventLog(await warehouse.connect());
  // Requests become durable in the journal; the loader moves them into the log behind them.
  const journal = openJournal(join(opts.dataDir, 'journal'), await eventLog.journalMark());
  let wakePipelines = () => {};
  const loader = startLoader({ journal, log: eventLog, workerPath: opts.loaderWorker, onLoaded: () => wakePipelines() });
  const sample = createEventSample();
  await sample.restore(eventLog);
  sample.subscribe((msg) => live.publish('events.received', msg));
  const resolveWriteKey = writeKeyResolver(store);
  const ingest = createIngestListener({
    register: (app) =>
      registerIngestRoutes(app, { resolveWriteKey, journal, sample, limits: () => store.data.settings.limits }),
  });

  const ctx: CoreContext = {
    dataDir: opts.dataDir,
    version: pkg.version,
    store,
    warehouse,
    live,
    ingest,
    overrides: { ingestHost: opts.ingestHost, ingestPort: opts.ingestPort },
  };

  // The users table follows the Customer Model: create or re-sync it before anything reads or writes users.
  await reconcileUsersTable(ctx);

  const pipelines = createPipelines(ctx);
  wakePipelines = () => pipelines.runner.wake();
  const sources = sourcesHandlers(ctx);
  const handlers: Handlers = {
    ...workspaceHandlers(ctx),
    ...warehouseHandlers(ctx),
    ...modelHandlers(ctx),
    ...usersHandlers(ctx),
    ...sources,
    // Deleting a source deletes its pipelines too (its stored events stay in the log).
    'sources.delete': async (args) => {
      const result = await sources['sources.delete'](args);
      for (const p of ctx.store.data.pipelines.filter((x) => x.sourceId === args.id)) {
        await pipelines.handlers['pipelines.delete']({ id: p.id });
      }
      return result;
    },
    ...eventsHandlers(ctx, eventLog, sample, loader),
    ...pipelines.handlers,
    ...identityHandlers(ctx, pipelines.runner),
  };
  const dispatcher = createDispatcher(handlers);

  let stopped = false;
  return {
    ctx,
    dispatcher,
    live,
    pipelines,
    /** Resolves true once every accepted request is in the warehouse's events table (false after timeoutMs). */
    eventsLoaded: (timeoutMs?: number) => loader.flush(timeoutMs),
    /** Start listening for Segment; a busy port is reported in workspace.info, not fatal. */
    async start() {
      await pipelines.start();
      if (opts.listen === false) return;
      const { host, port } = effectiveIngest(ctx);
      await ingest.start(host, port).catch(() => undefined);
    },
    /** Stop accepting, let in-flight requests finish, flush and close DuckDB. Idempotent. */
    async stop() {
      if (stopped) return;
      stopped = true;
      await ingest.stop();
      await pipelines.stop();
      await loader.close();
      await journal.close();
      await eventLog.close();
      sample.close();
      await warehouse.close();
    },
  };
}
export type Core = Awaited<ReturnType<typeof createCore>>;
