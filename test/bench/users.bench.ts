// The Users benchmark: 1,000,000 users (DuckDB appender, realistic values), the app started
// on them in headless mode, users.list measured over HTTP, and the Users page's first paint
// with data in Chromium. Figures go to stdout and tmp/bench/users-results.json.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHeadless } from '../helpers/headless';
import { repoRoot } from '../helpers/tmp';
import { launchChromium } from '../e2e/browser';
import { initDataDir, seedUsers } from './users.seed';

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r1 = (x: number) => Math.round(x * 10) / 10;

export async function main(args: string[]) {
  const users = Number(arg(args, 'users', '1000000'));
  const runs = Number(arg(args, 'runs', '30'));
  const dir = arg(args, 'dir', join(repoRoot, 'tmp', 'bench', `users-${users}`));
  const marker = join(dir, 'seeded.json');
  let sample: Awaited<ReturnType<typeof seedUsers>>;
  if (existsSync(marker)) {
    sample = JSON.parse(await readFile(marker, 'utf8'));
    console.log(`Reusing the seeded warehouse in ${dir} (delete it to seed again)`);
  } else {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await initDataDir(dir);
    const t = performance.now();
    sample = await seedUsers(dir, users, { onProgress: (n) => process.stderr.write(`\rappended ${n.toLocaleString('en-US')} users`) });
    process.stderr.write('\n');
    console.log(`Seeded ${users.toLocaleString('en-US')} users + identities with the appender in ${r1((performance.now() - t) / 1000)} s`);
    await writeFile(marker, JSON.stringify(sample));
  }

  const app = await startHeadless(['--data-dir', dir, '--ingest-host', '127.0.0.1', '--ingest-port', '0', '--admin-port', '0']);
  const results: Record<string, { p50: number; p95: number; max: number; runs: number; note?: string }> = {};
  try {
    const time = async (name: string, argsFor: (i: number) => unknown, note?: string, method = 'users.list', warm = true, n = runs, pauseMs = 0) => {
      if (warm) {
        // Warm-up: the first request of a view reads its columns from disk and prepares the
        // view's order behind; let that finish so the runs measure the steady state.
        await app.call(method, argsFor(-1));
        await new Promise((r) => setTimeout(r, 2500));
      }
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
        const t = performance.now();
        const r = await app.call(method, argsFor(i));
        xs.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`${name}: ${JSON.stringify(r.body)}`);
      }
      results[name] = { p50: r1(pct(xs, 50)), p95: r1(pct(xs, 95)), max: r1(Math.max(...xs)), runs: n, ...(note ? { note } : {}) };
      console.log(`${name.padEnd(44)} p50 ${String(results[name].p50).padStart(7)} ms   p95 ${String(results[name].p95).padStart(7)} ms`);
    };
    const total = (await app.call('users.list', { limit: 1 })).body.total;
    await new Promise((r) => setTimeout(r, 3000)); // the search copy is built in the background after start
    console.log(`\nusers.list over HTTP on ${total.toLocaleString('en-US')} users, ${runs} runs each; load average before: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    await time('first page (default sort, 100 rows)', () => ({ limit: 100 }));
    await time('deep page (offset 900,000)', () => ({ offset: 900_000, limit: 100 }));
    await time('sort by a string column (last_name, first page)', () => ({ sort: { property: 'last_name', direction: 'asc' }, limit: 100 }));
    const stringCols = ['email', 'first_name', 'last_name', 'phone', 'company', 'job_title', 'plan', 'country', 'city'];
    await time(
      'sort by a string column, first request (cold)',
      (i) => ({ sort: { property: stringCols[i % stringCols.length], direction: 'desc' }, limit: 100 }),
      'each string column once, its first request: a top-N over every row, nothing prepared',
      'users.list',
      false,
      stringCols.length,
      2500,
    );
    await time('sort by a string column, deep (offset 900,000)', () => ({ sort: { property: 'email', direction: 'asc' }, offset: 900_000, limit: 100 }));
    // 31 distinct words (names, places, domains, companies): no run repeats an earlier search.
    const words = 'marco gmail berlin stark patel founder proton osaka enterprise müller lucia austin hooli ravi london giulia tanaka madrid designer icloud kowalski nguyen oscorp wonka rio delhi haddad jensen emma sales fastmail'.split(' ');
    await time(
      'search (a different word each run)',
      (i) => ({ search: i < 0 ? 'warmup' : words[i % words.length], limit: 100 }),
      'substring, case-insensitive, over the 9 string columns + exact identity lookup',
    );
    await time('search, next pages (same word)', (i) => ({ search: 'gmail', offset: 100 * (i + 1), limit: 100 }));
    await time('search an exact userId', (i) => ({ search: sample.sampleUserIds[Math.max(0, i) % sample.sampleUserIds.length], limit: 100 }));
    await time('users.get', (i) => ({ id: sample.sampleIds[Math.max(0, i) % sample.sampleIds.length] }), undefined, 'users.get');

    // First paint with data: a fresh load of #/users until the first row of data is in the DOM.
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(app.openUrl);
    const paints: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.goto('about:blank');
      await page.goto(`${app.adminUrl}/#/users`);
      await page.waitForSelector('tr[data-row-key]', { timeout: 30_000 });
      paints.push(await page.evaluate(() => performance.now()));
    }
    await browser.close();
    const warm = paints.slice(1);
    results['Users page first paint with data (Chromium)'] = {
      p50: r1(pct(warm, 50)),
      p95: r1(pct(warm, 95)),
      max: r1(Math.max(...paints)),
      runs: warm.length,
      note: `first load (cold cache) ${r1(paints[0])} ms`,
    };
    console.log(`\nUsers page first paint with data: cold ${r1(paints[0])} ms, then p50 ${results['Users page first paint with data (Chromium)'].p50} ms (from navigation start)`);
  } finally {
    await app.stop();
  }
  await writeFile(join(repoRoot, 'tmp', 'bench', 'users-results.json'), JSON.stringify({ users, runs, cpus: os.cpus().length, loadAverage: os.loadavg(), at: new Date().toISOString(), results }, null, 2));
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
}
