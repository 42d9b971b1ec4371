// Bundles a TypeScript benchmark (esbuild, dependencies external) into tmp/bench and runs its main().
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildIfStale } from '../../scripts/build-if-stale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function runTsBench(name, args = process.argv.slice(2)) {
  // The core runs the built journal loader's worker (out/main/ingest-loader.js).
  buildIfStale();
  const out = join(root, 'tmp', 'bench', `${name}.bench.mjs`);
  await mkdir(dirname(out), { recursive: true });
  await build({
    entryPoints: [join(root, 'test', 'bench', `${name}.bench.ts`)],
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
  await main(args);
}
