#!/usr/bin/env node
// npm run bench:identity [-- --count 1000000 --users 200000]
// Bundles test/bench/identity.bench.ts (esbuild, dependencies external) and runs it with Node.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'tmp', 'bench', 'identity.bench.mjs');
await mkdir(dirname(out), { recursive: true });
await build({
  entryPoints: [join(root, 'test', 'bench', 'identity.bench.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  loader: { '.json': 'json' },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
const { main } = await import(pathToFileURL(out).href);
await main(process.argv.slice(2));
