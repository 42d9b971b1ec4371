// npm run bench:users [-- --users 1000000 --runs 30 --dir DIR]
// Builds the app when stale, bundles the TypeScript benchmark with esbuild and runs it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildIfStale, root } from '../../scripts/build-if-stale.mjs';

buildIfStale();
const outDir = join(root, 'tmp', 'bench');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'users.bench.mjs');
await build({
  entryPoints: [join(root, 'test/bench/users.bench.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { main } = await import(pathToFileURL(outfile).href);
await main(process.argv.slice(2));
