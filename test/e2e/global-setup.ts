import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath } from './browser';

// `npm test` builds first (scripts/build-if-stale.mjs); here we only check what e2e needs.
export default function setup() {
  const root = new URL('../..', import.meta.url).pathname;
  if (!existsSync(join(root, 'out/main/serve.js'))) throw new Error('The app is not built: run npm run build (npm test builds it).');
  if (!existsSync(chromiumPath())) throw new Error(`No Chromium at ${chromiumPath()}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
}
