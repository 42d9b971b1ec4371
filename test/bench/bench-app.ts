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
