// npm run serve -- [flags]: headless mode (builds first when needed).
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { buildIfStale, root } from './build-if-stale.mjs';

buildIfStale();
await import(pathToFileURL(join(root, 'out/main/serve.js')).href);
