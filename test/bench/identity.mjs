#!/usr/bin/env node
// npm run bench:identity [-- --count 1000000 --users 200000]
import { runTsBench } from './run-ts.mjs';

await runTsBench('identity');
