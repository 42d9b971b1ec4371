import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPythonSource,
  createPythonTransformer,
  disposePythonChecker,
  type PythonTransformer,
} from '../../../src-main/core/transform/python';
import type { TransformResult } from '../../../src-main/core/transform/types';

// One engine for most cases (Pyodide takes ~2 s to start): the event says what to do.
const MAIN = String.raw`
import datetime, os, sys, time

calls = 0

def recurse(n):
    return recurse(n + 1) + 1

def proxies():
    found, seen, stack = [], set(), [object]
    while stack:
        c = stack.pop()
        try:
            subs = type.__subclasses__(c)
        except TypeError:
            continue
        for s in subs:
            if id(s) in seen:
                continue
            seen.add(id(s))
            stack.append(s)
            for v in list(vars(s).values()):
                g = getattr(getattr(v, '__func__', v), '__globals__', None)
                if isinstance(g, dict):
                    for x in list(g.values()):
                        if 'Js' in type(x).__name__ and not isinstance(x, type):
                            found.append(x)
    return found

def builtin(name):
    importer = next(c for c in object.__subclasses__() if c.__name__ == 'BuiltinImporter')
    module = importer.create_module(importer.find_spec(name))
    importer.exec_module(module)
    return module

def transform(event):
    global calls
    calls += 1
    mode = event.get('mode')
    if mode == 'ok':
        print('hello', event['userId'])
        print('no newline', end='')
        sys.stderr.write('warning\n')
        return {'email': event['traits']['email'].strip().lower(), 'day': datetime.date(2024, 1, 2), 'calls': calls}
    if mode == 'throw':
        raise ValueError('bad value')
    if mode == 'list':
        return [1, 2]
    if mode == 'none':
        return None
    if mode == 'nan':
        return {'x': float('nan')}
    if mode == 'object':
        return {'x': object()}
    if mode == 'huge':
        return {'x': 'y' * 70000}
    if mode == 'loop':
        while True:
            pass
    if mode == 'bomb':
        hoard = []
        while True:
            hoard.append('x' * 1000000 + str(len(hoard)))
    if mode == 'bigstr':
        return {'x': 'a' * (10 ** 9)}
    if mode == 'recurse':
        return {'x': recurse(0)}
    if mode == 'exit':
        sys.exit(2)
    if mode == 'logs':
        for i in range(300):
            print(i)
        print('z' * 5000)
        return {}
    if mode == 'calls':
        return {'calls': calls}
    if mode == 'import js':
        import js
        return {'process': str(js.process)}
    if mode == 'pyodide_js':
        import pyodide_js
        return {'api': str(pyodide_js)}
    if mode == 'ffi':
        from pyodide.ffi import JsProxy, to_js
        import js
        return {'process': str(js.process)}
    if mode == 'dunder':
        return {'m': str(__import__('js').process)}
    if mode == 'importlib':
        import importlib
        return {'m': str(importlib.import_module('pyodide.code').run_js('process'))}
    if mode == 'passwd':
        return {'data': open('/etc/passwd').read()}
    if mode == 'listdir':
        return {'root': sorted(os.listdir('/'))}
    if mode == 'environ':
        return dict(os.environ)
    if mode == 'system':
        return {'rc': os.system('touch ' + event['path'])}
    if mode == 'posix-bypass':
        return {'rc': builtin('posix').system('touch ' + event['path'])}
    if mode == 'socket':
        import socket
        return {}
    if mode == 'socket-bypass':
        _socket = builtin('_socket')
        results = []
        for step in ('connect', 'listen'):
            try:
                s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
                if step == 'connect':
                    s.connect(('127.0.0.1', event['port']))
                    results.append('connected')
                else:
                    s.bind(('127.0.0.1', 0))
                    s.listen(1)
                    results.append('listening')
            except Exception as e:
                results.append(type(e).__name__)
        return {'results': results}
    if mode == 'graph':
        found = proxies()
        hits = []
        for p in found:
            for attempt in (
                lambda: p.constructor.constructor('return globalThis.process')(),
                lambda: p.constructor('return 1')(),
                lambda: p._module.FS.filesystems.NODEFS,
                lambda: p.mountNodeFS('/', '/mnt'),
                lambda: p._api.loadBinaryFile('/etc/passwd'),
                lambda: p.process,
                lambda: p.require,
            ):
                try:
                    value = attempt()
                except Exception:
                    continue
                if value is not None:
                    hits.append(repr(value)[:80])
        return {'proxies': len(found), 'hits': hits}
    return {'calls': calls}
`;

/** The 1-based line of MAIN where `snippet` appears. */
const lineOf = (snippet: string) => MAIN.split('\n').findIndex((l) => l.includes(snippet)) + 1;

const event = { type: 'identify', userId: 'u1', traits: { email: ' Ada@Example.COM ' } };
const open: PythonTransformer[] = [];
let main: PythonTransformer;

function py(source: string, options: { timeoutMs?: number; graceMs?: number } = {}) {
  const t = createPythonTransformer({ source, memoryBytes: 160 * 1024 * 1024, ...options });
  open.push(t);
  return t;
}

function failure(r: TransformResult) {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.output)}`);
  return r;
}

const run = (extra: Record<string, unknown>) => main.run({ ...event, ...extra });

beforeAll(async () => {
  main = py(MAIN, { timeoutMs: 1000 });
  expect(await main.ready()).toBeNull();
});

afterAll(async () => {
  await Promise.all(open.map((t) => t.dispose()));
  await disposePythonChecker();
});

describe('Python transformations (Pyodide in a worker)', () => {
  it('transforms an event, converts dates, captures print() and stderr as logs', async () => {
    const r = await run({ mode: 'ok' });
    expect(r).toMatchObject({
      ok: true,
      output: { email: 'ada@example.com', day: '2024-01-02' },
      logs: [
        { level: 'log', message: 'hello u1' },
        { level: 'error', message: 'warning' },
        { level: 'log', message: 'no newline' },
      ],
    });
    expect(r.ms).toBeLessThan(500);
  });

  it('reports exceptions with the last traceback line and the line number', async () => {
    expect(failure(await run({ mode: 'throw' }))).toMatchObject({ code: 'exception', error: `ValueError: bad value (line ${lineOf("raise ValueError('bad value')")})` });
    expect(failure(await run({ mode: 'recurse' }))).toMatchObject({
      code: 'exception',
      error: expect.stringMatching(new RegExp(`^RecursionError: maximum recursion depth exceeded.*\\(line ${lineOf('return recurse(n + 1) + 1')}\\)$`)),
    });
    expect(failure(await run({ mode: 'exit' })).error).toBe('transform called exit() (SystemExit: 2)');
  });

  it('refuses outputs that are not a JSON object, or too large', async () => {
    expect(failure(await run({ mode: 'list' }))).toMatchObject({ code: 'bad-return', error: 'transform must return a dict, but it returned a list' });
    expect(failure(await run({ mode: 'none' })).error).toBe('transform must return a dict, but it returned None (did you forget return?)');
    expect(failure(await run({ mode: 'nan' })).error).toMatch(/^the output cannot be serialized as JSON: ValueError: Out of range float/);
    expect(failure(await run({ mode: 'object' })).error).toBe(
      'the output cannot be serialized as JSON: TypeError: Object of type object is not JSON serializable',
    );
    expect(failure(await run({ mode: 'huge' }))).toMatchObject({
      code: 'output-too-large',
      error: 'the output is too large: 70008 bytes serialized, the limit is 65536',
    });
  });

  it('bounds the logs', async () => {
    const r = await run({ mode: 'logs' });
    expect(r.logs).toHaveLength(101);
    expect(r.logs[100]).toEqual({ level: 'warn', message: '201 more log line(s) dropped (limit 100)' });
  });

  it('interrupts an infinite loop at the time limit, and the engine keeps its state', async () => {
    const before = await run({ mode: 'calls' });
    const started = performance.now();
    expect(failure(await run({ mode: 'loop' }))).toMatchObject({ code: 'timeout', error: 'the transformation exceeded the 1000 ms time limit' });
    expect(performance.now() - started).toBeLessThan(2500);
    const after = await run({ mode: 'calls' });
    expect(after.ok && before.ok && (after.output.calls as number) - (before.output.calls as number)).toBe(2);
  });

  it('turns a memory bomb into a MemoryError and recovers', async () => {
    expect(failure(await run({ mode: 'bomb' }))).toMatchObject({
      code: 'memory',
      error: 'MemoryError: the transformation ran out of memory (limit 160 MiB)',
    });
    expect(failure(await run({ mode: 'bigstr' })).code).toBe('memory');
    expect((await run({ mode: 'ok' })).ok).toBe(true);
  });

  it('runs a batch in order where bad events fail alone, and serializes concurrent calls', async () => {
    const results = await main.runMany([{ ...event, mode: 'ok' }, { mode: 'throw' }, { mode: 'list' }, 1n as unknown, { mode: 'calls' }]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'exception', 'bad-return', 'invalid-input', 'ok']);
    const many = await Promise.all([1, 2, 3, 4, 5].map(() => run({ mode: 'calls' })));
    const calls = many.map((r) => (r.ok ? (r.output.calls as number) : -1));
    expect(calls).toEqual([...calls].sort((a, b) => a - b));
    expect(new Set(calls).size).toBe(5);
  });
});

describe('Python host isolation', () => {
  it('refuses the JavaScript bridge: import js, pyodide_js, pyodide.ffi, __import__, importlib', async () => {
    const clear = /^ImportError: import of '(js|pyodide_js|pyodide|pyodide\.code)' is not allowed in a transformation \(no access to the host, the network or processes\) \(line \d+\)$/;
    for (const mode of ['import js', 'pyodide_js', 'ffi', 'dunder', 'importlib']) {
      const r = failure(await run({ mode }));
      expect(r.code).toBe('exception');
      expect(r.error).toMatch(clear);
    }
  });

  it('sees only the in-memory file system and a clean environment', async () => {
    expect(failure(await run({ mode: 'passwd' })).error).toBe(
      `FileNotFoundError: [Errno 44] No such file or directory: '/etc/passwd' (line ${lineOf("open('/etc/passwd')")})`,
    );
    expect(await run({ mode: 'listdir' })).toMatchObject({ ok: true, output: { root: ['dev', 'home', 'lib', 'proc', 'tmp'] } });
    const env = await run({ mode: 'environ' });
    if (!env.ok) throw new Error(env.error);
    expect(Object.keys(env.output).sort()).toEqual(['HOME', 'LANG', 'LOGNAME', 'PATH', 'PWD', 'USER']);
  });

  it('runs no host command, not even through a re-created posix module', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'krenalis-py-'));
    try {
      const target = path.join(dir, 'pwned');
      expect(failure(await run({ mode: 'system', path: target })).error).toBe(
        `PermissionError: os.system is not allowed in a transformation (line ${lineOf("os.system('touch '")})`,
      );
      const bypass = await run({ mode: 'posix-bypass', path: target });
      expect(bypass).toMatchObject({ ok: true, output: { rc: -1 } });
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens no socket, not even through a re-created _socket module', async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      expect(failure(await run({ mode: 'socket' })).error).toMatch(/^ImportError: import of 'socket' is not allowed/);
      const r = await run({ mode: 'socket-bypass', port });
      if (!r.ok) throw new Error(r.error);
      expect(r.output.results).toEqual(['PermissionError', 'PermissionError']);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it('leaves no way to the host from JavaScript proxies found in the object graph', async () => {
    const r = await run({ mode: 'graph' });
    if (!r.ok) throw new Error(r.error);
    expect(r.output.proxies).toBeGreaterThan(0);
    expect(r.output.hits).toEqual([]);
  });
});

describe('Python limits that need a new worker', () => {
  it('terminates code that ignores the interrupt, then restarts the engine for the next event', async () => {
    const t = py(
      String.raw`
calls = 0
def transform(event):
    global calls
    calls += 1
    if event.get('stubborn'):
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    return {'calls': calls}
`,
      { timeoutMs: 300, graceMs: 300 },
    );
    expect(await t.run({})).toMatchObject({ ok: true, output: { calls: 1 } });
    const started = performance.now();
    const results = await t.runMany([{}, { stubborn: true }, {}, {}]);
    // The engine was replaced after the stubborn event: its state starts over.
    expect(results.map((r) => (r.ok ? r.output.calls : r.code))).toEqual([2, 'timeout', 1, 2]);
    const timedOut = failure(results[1]);
    expect(timedOut.error).toBe('the transformation exceeded the 300 ms time limit');
    expect(timedOut.ms).toBeGreaterThanOrEqual(600);
    expect(timedOut.ms).toBeLessThan(2000);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('reports code problems on every run, and dispose stops the engine', async () => {
    const syntax = py('def transform(event):\n    return {\n');
    expect(failure(await syntax.run(event))).toMatchObject({ code: 'syntax', error: "SyntaxError: '{' was never closed (line 2)" });
    expect(await syntax.ready()).toMatchObject({ code: 'syntax', line: 2, column: 12 });
    const top = py('import math\nx = 1 / 0\ndef transform(event):\n    return {}', { timeoutMs: 500 });
    expect(failure(await top.run(event))).toMatchObject({
      code: 'init',
      error: 'top-level code failed: ZeroDivisionError: division by zero (line 2)',
    });
    await top.dispose();
    expect(failure(await top.run(event)).code).toBe('internal');
  });
});

describe('checkPythonSource', () => {
  it('compiles without running and reports syntax errors with line and column', async () => {
    expect(await checkPythonSource('import time\ntime.sleep(60)\ndef transform(event):\n    return {}')).toEqual([]);
    expect(await checkPythonSource('def transform(event):\n  if True:\n  return {}')).toEqual([
      { message: "IndentationError: expected an indented block after 'if' statement on line 2 (line 3)", line: 3, column: 3 },
    ]);
    expect(await checkPythonSource('def transform(event) return {}')).toMatchObject([{ line: 1, message: expect.stringMatching(/^SyntaxError/) }]);
  });

  it('reports a missing transform', async () => {
    expect(await checkPythonSource('def transfrom(event):\n    return {}')).toEqual([
      { message: 'transform is not defined: the code must define def transform(event): ...' },
    ]);
    expect(await checkPythonSource('transform = lambda e: {}')).toEqual([]);
    expect(await checkPythonSource('from json import loads as transform')).toEqual([]);
  });
});
