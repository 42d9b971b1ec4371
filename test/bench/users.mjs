// npm run bench:users [-- --users 1000000 --runs 30 --dir DIR]
// Builds the app when stale (the bench runs it headless), then the TypeScript benchmark.
import { buildIfStale } from '../../scripts/build-if-stale.mjs';
import { runTsBench } from './run-ts.mjs';

buildIfStale();
await runTsBench('users');
