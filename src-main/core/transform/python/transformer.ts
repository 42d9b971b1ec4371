/**
 * Python transformations: `def transform(event): return {...}` run in Pyodide inside a worker
 * thread (one per transformer, started on first use: Pyodide takes ~2 s to load). The event goes
 * in as JSON and the result comes back as JSON (json.dumps), so no proxies cross. Past the time
 * limit the run is interrupted (KeyboardInterrupt); if it does not stop within the grace period
 * the thread is terminated and a new one started for the next event.
 */
import path from 'node:path';
import { DEFAULT_MAX_LOG_ENTRIES, DEFAULT_MAX_LOG_ENTRY_CHARS, DEFAULT_MAX_OUTPUT_BYTES, type TransformResult } from '../types';
import { WorkerHost } from '../worker/host';
import { resolvePackage } from '../worker/resolve';
import { SandboxedTransformer, type EngineError } from '../worker/sandboxed';
import { pythonHarness } from './harness';
import { pyAdapter } from './outcome';
import { PY_WORKER_SCRIPT } from './worker-source';

export interface PythonTransformerOptions {
  source: string;
  /** Per-event time limit (default 1000 ms). */
  timeoutMs?: number;
  /** Time limit of the top-level code (default max(timeoutMs, 5000)). */
  initTimeoutMs?: number;
  /** Cap of Pyodide's WebAssembly memory (default 256 MiB; Pyodide itself uses ~30 MiB). */
  memoryBytes?: number;
  /** Limit of the serialized output (default 64 KiB). */
  maxOutputBytes?: number;
  maxLogEntries?: number;
  maxLogChars?: number;
  /** Extra time after the interrupt before the thread is terminated (default max(250, timeoutMs / 2)). */
  graceMs?: number;
  /** Where the pyodide package is (default: resolved from node_modules). */
  pyodideDir?: string;
}

export interface PythonTransformer {
  /** Starts the engine and loads the code; resolves to the code's problem (syntax, top level, no transform) or null. */
  ready(): Promise<EngineError | null>;
  readonly initError: EngineError | null;
  run(event: unknown): Promise<TransformResult>;
  runMany(events: readonly unknown[]): Promise<TransformResult[]>;
  dispose(): Promise<void>;
}

export const PYTHON_DEFAULTS = {
  timeoutMs: 1000,
  memoryBytes: 256 * 1024 * 1024,
};

let pyodideDir: string | undefined;

/** The folder of the pyodide package, resolved from here (works from sources and from the bundle with pyodide external). */
export function resolvePyodideDir(): string {
  pyodideDir ??= path.dirname(resolvePackage('pyodide'));
  return pyodideDir;
}

export function createPythonHost(options: Omit<PythonTransformerOptions, 'source'>): {
  host: WorkerHost;
  limits: { timeoutMs: number; initTimeoutMs: number; memoryBytes: number };
} {
  const timeoutMs = options.timeoutMs ?? PYTHON_DEFAULTS.timeoutMs;
  const limits = {
    timeoutMs,
    initTimeoutMs: options.initTimeoutMs ?? Math.max(timeoutMs, 5000),
    memoryBytes: options.memoryBytes ?? PYTHON_DEFAULTS.memoryBytes,
  };
  const maxLogEntries = options.maxLogEntries ?? DEFAULT_MAX_LOG_ENTRIES;
  const maxLogChars = options.maxLogChars ?? DEFAULT_MAX_LOG_ENTRY_CHARS;
  const host = new WorkerHost({
    label: 'Python',
    script: PY_WORKER_SCRIPT,
    workerData: {
      ...limits,
      maxLogEntries,
      maxLogChars,
      pyodideDir: options.pyodideDir ?? resolvePyodideDir(),
      harness: pythonHarness({ maxLogEntries, maxLogChars, maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES }),
    },
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
    timeoutMs,
    initTimeoutMs: limits.initTimeoutMs,
    graceMs: options.graceMs ?? Math.max(250, Math.round(timeoutMs / 2)),
    bootTimeoutMs: 60_000,
  });
  return { host, limits };
}

/** Creates the transformer; Pyodide starts on first use (or `ready()`). */
export function createPythonTransformer(options: PythonTransformerOptions): PythonTransformer {
  const { host, limits } = createPythonHost(options);
  return new SandboxedTransformer(host, options.source, pyAdapter(limits));
}
