// npm start: build, then launch the Electron app. Where Electron's binary
// cannot be had (no download possible), say so in one line and point to headless mode.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildIfStale, root } from './build-if-stale.mjs';

const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    return require('electron'); // the binary's path; throws when it was never downloaded
  } catch {
    return null;
  }
}

buildIfStale();
let binary = electronBinary();
if (!binary) {
  // Dependencies install without scripts (.npmrc); fetch Electron's binary now.
  const r = spawnSync(process.execPath, [join(root, 'node_modules/electron/install.js')], { stdio: 'ignore', timeout: 120_000 });
  binary = r.status === 0 ? electronBinary() : null;
}
if (!binary) {
  console.error("Electron's binary is not installed and could not be downloaded here; run the app headless instead: npm run serve");
  process.exit(1);
}
const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
