#!/usr/bin/env node
// npm run bench:pipelines [-- --count 1000000 --code-count 20000 --concurrency 8]
import { runTsBench } from './run-ts.mjs';

await runTsBench('pipelines');
