// Builds (electron-vite: main + headless entry, preload, renderer) when out/ is
// missing or older than any source file. Build output goes to stderr so the
// headless "ready" line stays alone on stdout.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['src-main', 'src-renderer', 'resources', 'electron.vite.config.ts', 'package.json'];
const OUTPUTS = ['out/main/index.js', 'out/main/serve.js', 'out/preload/index.cjs', 'out/renderer/index.html'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

export function isStale() {
  const outs = OUTPUTS.map((p) => join(root, p));
  if (!outs.every(existsSync)) return true;
  const built = Math.min(...outs.map((p) => statSync(p).mtimeMs));
  return Math.max(...SOURCES.map((p) => newest(join(root, p)))) > built;
}

export function build() {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) {
    process.stderr.write('Build failed (see above).\n');
    process.exit(r.status ?? 1);
  }
}

export function buildIfStale() {
  if (isStale()) {
    process.stderr.write('Building the app…\n');
    build();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--force')) build();
  else buildIfStale();
}
