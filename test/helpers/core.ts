import { createCore, type Core } from '../../src-main/core/app';
import { tempDir } from './tmp';

/** A real core (real lowdb file, real DuckDB file) in a temp folder; ingest on a loopback port. */
export async function startTestCore(opts: { listen?: boolean; dataDir?: string } = {}): Promise<Core & { dataDir: string; cleanup: () => Promise<void> }> {
  const tmp = opts.dataDir ? { dir: opts.dataDir, cleanup: async () => undefined } : await tempDir();
  const core = await createCore({ dataDir: tmp.dir, ingestHost: '127.0.0.1', ingestPort: 0, listen: opts.listen });
  await core.start();
  return Object.assign(core, {
    dataDir: tmp.dir,
    async cleanup() {
      await core.stop();
      await tmp.cleanup();
    },
  });
}
