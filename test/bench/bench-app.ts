// What the pipeline and identity benchmarks share: flags, the generator of realistic
// Segment traffic, the mapping both time, and a real core with one Segment source.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCore, type Core } from '../../src-main/core/app';
import { GENERATED_MAPPING } from '../integration/pipelines/helpers';

export type Json = Record<string, unknown>;

/** The same Visual Mapping the pipeline integration tests use on generated traffic. */
export const BENCH_MAPPING = GENERATED_MAPPING.mapping;

export function arg(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

export type GenerateEvents = (o: { count: number; seed?: number; users?: number }) => Iterable<Json>;

/** ../shared/tools/segment-events.mjs, deterministic realistic traffic. */
export async function loadGenerator(): Promise<GenerateEvents> {
  const path = join(process.cwd(), '..', 'shared', 'tools', 'segment-events.mjs');
  return ((await import(pathToFileURL(path).href)) as { generateEvents: GenerateEvents }).generateEvents;
}

export interface BenchApp {
  core: Core;
  sourceId: string;
  writeKey: string;
  dir: string;
  call<T = any>(m: string, a?: unknown): Promise<T>;
}

/** A real core in a fresh temp folder (ingest on loopback) with one Segment source and its key. */
export async function openBenchApp(name: string): Promise<BenchApp> {
  const dir = await mkdtemp(join(tmpdir(), `krenalis-bench-${name}-`));
  // The journal loader's worker is the built one (this file runs bundled from tmp/bench, two levels down like test/bench).
  const loaderWorker = fileURLToPath(new URL('../../out/main/ingest-loader.js', import.meta.url));
  const core = await createCore({ dataDir: dir, ingestHost: '127.0.0.1', ingestPort: 0, loaderWorker });
  await core.start();
  const call = async <T,>(m: string, a: unknown = {}) => (await core.dispatcher.call(m, a)) as T;
  const source = await call<{ id: string }>('sources.create', { type: 'segment', name: 'Bench' });
  const keys = await call<{ keys: { key: string }[] }>('writeKeys.list', { sourceId: source.id });
  return { core, sourceId: source.id, writeKey: keys.keys[0].key, dir, call };
}

/**
 * Post request bodies to the app's /v1/events over `concurrency` connections, as Segment's webhook
 * does (a 503/429 is retried after 50 ms); resolves when every body was answered 200.
 */
export async function postAll(app: BenchApp, bodies: string[], concurrency = 8): Promise<void> {
  const url = `${app.core.ctx.ingest.url}/v1/events`;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let body = bodies.shift(); body !== undefined; body = bodies.shift()) {
        for (;;) {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${app.writeKey}` }, body });
          await res.arrayBuffer();
          if (res.status === 200) break;
          if (res.status !== 503 && res.status !== 429) throw new Error(`ingest answered ${res.status}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }),
  );
}

/** Create a pipeline, enable it and time it until it has processed `expected` events; it is disabled after. */
export async function runPipeline(app: BenchApp, transformation: unknown, expected: number): Promise<{ secs: number; rate: number; id: string }> {
  const p = await app.call<{ id: string }>('pipelines.create', { sourceId: app.sourceId, name: 'bench', enabled: false, transformation });
  const started = performance.now();
  await app.call('pipelines.setEnabled', { id: p.id, enabled: true });
  for (;;) {
    const s = await app.call<{ processed: number; pending: number; lastError: string | null }>('pipelines.status', { id: p.id });
    if (s.lastError) throw new Error(`pipeline error: ${s.lastError}`);
    if (s.processed >= expected && s.pending === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const secs = (performance.now() - started) / 1000;
  await app.call('pipelines.setEnabled', { id: p.id, enabled: false });
  return { secs, rate: expected / secs, id: p.id };
}
