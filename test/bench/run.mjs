// npm run bench: every benchmark, one after the other (each prints its own figures).
// Each runs with its defaults; run one alone (npm run bench:ingest -- --events N) to change them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const benches = ['ingest.mjs', 'users.mjs', 'pipelines.mjs', 'identity.mjs'];
let failed = 0;
for (const b of benches) {
  console.log(`\n=== ${b}`);
  const r = spawnSync(process.execPath, [here(b)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
