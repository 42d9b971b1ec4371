/**
 * JavaScript transformations: `function transform(event) { return {...} }` run in QuickJS
 * inside a worker thread (one per transformer). The thread keeps the main thread responsive:
 * QuickJS checks its interrupt deadline only between bytecodes, so a single native call
 * (e.g. `Array(2**32 - 1).indexOf(1)`) could otherwise block for minutes; the host terminates
 * and replaces the thread when an event overruns its limit by the grace period.
 */
import { DEFAULT_MAX_LOG_ENTRIES, DEFAULT_MAX_LOG_ENTRY_CHARS, DEFAULT_MAX_OUTPUT_BYTES, type TransformResult } from '../types';
import { WorkerHost } from '../worker/host';
import { resolvePackage } from '../worker/resolve';
import { SandboxedTransformer, type EngineError } from '../worker/sandboxed';
import { jsAdapter } from './outcome';
import { CONSOLE_SOURCE, HARNESS_FILENAME, PICK_TRANSFORM_SOURCE, RUNNER_SOURCE, USER_FILENAME } from './vm-sources';
import { JS_WORKER_SCRIPT } from './worker-source';

export interface JsTransformerOptions {
  source: string;
  /** Per-event time limit (default 100 ms). */
  timeoutMs?: number;
  /** Time limit of the top-level code (default max(timeoutMs, 1000)). */
  initTimeoutMs?: number;
  /** QuickJS heap limit (default 32 MiB). */
  memoryBytes?: number;
  /** QuickJS stack limit (default 256 KiB). */
  maxStackBytes?: number;
  /** Limit of the serialized output (default 64 KiB). */
  maxOutputBytes?: number;
  maxLogEntries?: number;
  maxLogChars?: number;
  /** Extra time after the limit before the worker thread is terminated (default max(100, timeoutMs)). */
  graceMs?: number;
}

export interface JsTransformer {
  /** Starts the engine and loads the code; resolves to the code's problem (syntax, top level, no transform) or null. */
  ready(): Promise<EngineError | null>;
  /** The code's problem once known; every run reports it too. */
  readonly initError: EngineError | null;
  run(event: unknown): Promise<TransformResult>;
  runMany(events: readonly unknown[]): Promise<TransformResult[]>;
  dispose(): Promise<void>;
}

export const JS_DEFAULTS = {
  timeoutMs: 100,
  memoryBytes: 32 * 1024 * 1024,
  maxStackBytes: 256 * 1024,
};

let quickjsPath: string | undefined;

/** Where quickjs-emscripten is installed, resolved from here (works from sources and from the bundle). */
export function resolveQuickJsPath(): string {
  quickjsPath ??= resolvePackage('quickjs-emscripten');
  return quickjsPath;
}

export function createJsHost(options: Omit<JsTransformerOptions, 'source'>): { host: WorkerHost; limits: JsLimits } {
  const timeoutMs = options.timeoutMs ?? JS_DEFAULTS.timeoutMs;
  const limits: JsLimits = {
    timeoutMs,
    initTimeoutMs: options.initTimeoutMs ?? Math.max(timeoutMs, 1000),
    memoryBytes: options.memoryBytes ?? JS_DEFAULTS.memoryBytes,
    maxStackBytes: options.maxStackBytes ?? JS_DEFAULTS.maxStackBytes,
    maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    maxLogEntries: options.maxLogEntries ?? DEFAULT_MAX_LOG_ENTRIES,
    maxLogChars: options.maxLogChars ?? DEFAULT_MAX_LOG_ENTRY_CHARS,
  };
  const host = new WorkerHost({
    label: 'JavaScript',
    script: JS_WORKER_SCRIPT,
    workerData: {
      ...limits,
      quickjsPath: resolveQuickJsPath(),
      consoleSource: CONSOLE_SOURCE,
      runnerSource: RUNNER_SOURCE,
      pickSource: PICK_TRANSFORM_SOURCE,
      userFilename: USER_FILENAME,
      harnessFilename: HARNESS_FILENAME,
    },
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    timeoutMs: limits.timeoutMs,
    initTimeoutMs: limits.initTimeoutMs,
    graceMs: options.graceMs ?? Math.max(100, timeoutMs),
    bootTimeoutMs: 30_000,
  });
  return { host, limits };
}

export interface JsLimits {
  timeoutMs: number;
  initTimeoutMs: number;
  memoryBytes: number;
  maxStackBytes: number;
  maxOutputBytes: number;
  maxLogEntries: number;
  maxLogChars: number;
}

/** Creates the transformer; the worker starts on first use (or `ready()`). */
export function createJsTransformer(options: JsTransformerOptions): JsTransformer {
  const { host, limits } = createJsHost(options);
  return new SandboxedTransformer(host, options.source, jsAdapter(limits));
}
