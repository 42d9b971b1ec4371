import { afterAll, describe, expect, it } from 'vitest';
import { checkJsSource, createJsTransformer, disposeJsChecker, type JsTransformer } from '../../../src-main/core/transform/javascript';
import type { TransformResult } from '../../../src-main/core/transform/types';

const event = {
  type: 'identify',
  userId: 'u1',
  timestamp: '2024-05-01T10:00:00.000Z',
  traits: { email: ' Ada@Example.com ', age: 36 },
};

const open: JsTransformer[] = [];
function js(source: string, options: { timeoutMs?: number; memoryBytes?: number; maxOutputBytes?: number } = {}) {
  const t = createJsTransformer({ source, ...options });
  open.push(t);
  return t;
}

afterAll(async () => {
  await Promise.all(open.map((t) => t.dispose()));
  await disposeJsChecker();
});

function failure(r: TransformResult) {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.output)}`);
  return r;
}

describe('JavaScript transformations (QuickJS in a worker)', () => {
  it('transforms an event and captures console output', async () => {
    const t = js(`
      function transform(event) {
        console.log('user', event.userId, { n: 1 });
        console.warn('careful');
        console.error(new TypeError('shown'));
        return { email: event.traits.email.trim().toLowerCase(), age: event.traits.age + 1, seen_at: new Date(event.timestamp) };
      }`);
    const r = await t.run(event);
    expect(r).toMatchObject({
      ok: true,
      output: { email: 'ada@example.com', age: 37, seen_at: '2024-05-01T10:00:00.000Z' },
      logs: [
        { level: 'log', message: 'user u1 {"n":1}' },
        { level: 'warn', message: 'careful' },
        { level: 'error', message: 'TypeError: shown' },
      ],
    });
    expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(await t.ready()).toBeNull();
  });

  it('accepts const/arrow and async transforms, keeps top-level state between events', async () => {
    const t = js(`let count = 0;\nconst transform = async (e) => { await null; count++; return { count }; };`);
    expect((await t.run(event)).ok && (await t.run(event))).toMatchObject({ ok: true, output: { count: 2 } });
  });

  it('reports a throw with its message and line', async () => {
    const t = js(`function transform(e) {\n  const x = e.traits;\n  throw new RangeError('bad ' + x.age);\n}`);
    expect(failure(await t.run(event))).toMatchObject({ code: 'exception', error: 'RangeError: bad 36 (line 3)' });
    const t2 = js(`function transform(e) {\n  return e.nope.deeper;\n}`);
    expect(failure(await t2.run(event)).error).toBe("TypeError: cannot read property 'deeper' of undefined (line 2)");
    const t3 = js(`function transform(e) { throw { reason: 'plain object' } }`);
    expect(failure(await t3.run(event)).error).toBe('Uncaught {"reason":"plain object"}');
    const t4 = js(`async function transform(e) { throw new Error('async') }`);
    expect(failure(await t4.run(event)).error).toBe('Error: async (line 1)');
  });

  it('refuses a return value that is not an object', async () => {
    const cases: [string, string][] = [
      ['return 42', 'a number'],
      ['return "x"', 'a string'],
      ['return [1, 2]', 'an array'],
      ['return null', 'null'],
      ['', 'undefined (did you forget return?)'],
    ];
    for (const [body, what] of cases) {
      const r = failure(await js(`function transform(e) { ${body} }`).run(event));
      expect(r).toMatchObject({ code: 'bad-return', error: `transform must return an object, but it returned ${what}` });
    }
    const pending = failure(await js('function transform(e) { return new Promise(() => {}) }').run(event));
    expect(pending.error).toMatch(/did not settle/);
  });

  it('refuses an output over the size limit', async () => {
    const t = js(`function transform(e) { return { blob: 'x'.repeat(70000) } }`);
    expect(failure(await t.run(event))).toMatchObject({
      code: 'output-too-large',
      error: 'the output is too large: 70011 bytes serialized, the limit is 65536',
    });
    const t2 = js(`function transform(e) { return { blob: 'é'.repeat(40000) } }`);
    expect(failure(await t2.run(event)).code).toBe('output-too-large');
  });

  it('stops an infinite loop at the time limit and keeps working', async () => {
    const t = js(`let calls = 0;\nfunction transform(e) { calls++; if (e.loop) { while (true) {} } return { calls }; }`);
    const started = performance.now();
    expect(failure(await t.run({ loop: true }))).toMatchObject({
      code: 'timeout',
      error: 'the transformation exceeded the 100 ms time limit',
    });
    expect(performance.now() - started).toBeLessThan(1000);
    // The runtime was rebuilt: top-level state starts over.
    expect(await t.run({})).toMatchObject({ ok: true, output: { calls: 1 } });
  });

  it('terminates a worker stuck in a native call, without blocking the main thread', async () => {
    const t = js(`function transform(e) { if (e.stall) return { i: Array(2 ** 32 - 1).indexOf(1) }; return { ok: true }; }`);
    await t.ready();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    const r = failure(await t.run({ stall: true }));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(r).toMatchObject({ code: 'timeout', error: 'the transformation exceeded the 100 ms time limit' });
    expect(elapsed).toBeLessThan(1500);
    expect(ticks).toBeGreaterThan(5); // the event loop kept running meanwhile
    expect(await t.run({})).toMatchObject({ ok: true, output: { ok: true } });
  });

  it('fails cleanly on endless allocation, a huge string and deep recursion, then recovers', async () => {
    const t = js(
      `function deep(n) { return deep(n + 1) + 1 }
       function transform(e) {
         if (e.mode === 'grow') { const a = []; for (;;) a.push({ i: a.length, j: [a.length, a.length] }); }
         if (e.mode === 'huge') return { s: 'x'.repeat(1 << 26) };
         if (e.mode === 'deep') return { n: deep(0) };
         return { fine: true };
       }`,
      { timeoutMs: 2000 },
    );
    const grow = failure(await t.run({ mode: 'grow' }));
    expect(grow.code).toBe('memory');
    expect(grow.error).toMatch(/out of memory \(limit 32 MiB\)/);
    expect(failure(await t.run({ mode: 'huge' })).code).toBe('memory');
    expect(failure(await t.run({ mode: 'deep' })).code).toBe('memory');
    expect(await t.run({ mode: 'none' })).toMatchObject({ ok: true, output: { fine: true } });
  });

  it('exposes nothing of the host', async () => {
    const t = js(`
      function transform(e) {
        const probe = {};
        for (const name of ['process', 'require', 'module', 'fetch', 'XMLHttpRequest', 'WebSocket', 'std', 'os', 'Buffer', 'setTimeout']) {
          probe[name] = typeof globalThis[name];
        }
        probe.viaConstructor = typeof (function () {}).constructor('return typeof process')();
        probe.fromFunction = Function('return typeof require')();
        let imported = 'no';
        import('fs').then(() => { imported = 'yes' }, () => { imported = 'rejected' });
        probe.globals = Object.getOwnPropertyNames(globalThis).filter((n) => !/^[A-Z]/.test(n)).sort().join(',');
        return probe;
      }`);
    const r = await t.run(event);
    if (!r.ok) throw new Error(r.error);
    const { globals, ...types } = r.output as Record<string, string>;
    expect(types).toEqual({
      process: 'undefined',
      require: 'undefined',
      module: 'undefined',
      fetch: 'undefined',
      XMLHttpRequest: 'undefined',
      WebSocket: 'undefined',
      std: 'undefined',
      os: 'undefined',
      Buffer: 'undefined',
      setTimeout: 'undefined',
      viaConstructor: 'string',
      fromFunction: 'undefined',
    });
    for (const g of globals.split(',')) {
      expect(['console', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'eval', 'globalThis',
        'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'transform', 'undefined', 'unescape']).toContain(g);
    }
    const imp = js(`let state = 'start';\nfunction transform(e) { import('fs').then(() => { state = 'loaded' }, (err) => { state = 'refused: ' + err.message }); return {}; }\nfunction after() {}`);
    expect((await imp.run(event)).ok).toBe(true);
  });

  it('bounds the logs', async () => {
    const t = js(`function transform(e) { for (let i = 0; i < 500; i++) console.log(i); console.log('x'.repeat(10000)); return {}; }`);
    const r = await t.run(event);
    expect(r.logs).toHaveLength(101);
    expect(r.logs[100]).toEqual({ level: 'warn', message: '401 more log line(s) dropped (limit 100)' });
    const t2 = js(`function transform(e) { console.log('y'.repeat(10000)); return {}; }`);
    const r2 = await t2.run(event);
    expect(r2.logs[0].message.length).toBeLessThan(2100);
  });

  it('runs a batch where one bad event does not affect the others', async () => {
    const t = js(`function transform(e) { if (e.n === 2) throw new Error('two'); if (e.n === 3) while (true) {} return { n: e.n }; }`);
    const results = await t.runMany([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, 10n as unknown]);
    expect(results.map((r) => (r.ok ? r.output.n : r.code))).toEqual([1, 'exception', 'timeout', 4, 'invalid-input']);
  });

  it('reports problems of the code on every run', async () => {
    const syntax = js('function transform(e) {\n  return { a: 1,, }\n}');
    expect(failure(await syntax.run(event))).toMatchObject({ code: 'syntax', error: 'SyntaxError: invalid property name (line 2)' });
    expect((await syntax.ready())?.line).toBe(2);
    const missing = js('function transfrom(e) { return {} }');
    expect(failure(await missing.run(event))).toMatchObject({ code: 'init', error: expect.stringMatching(/^transform is not defined/) });
    const notFn = js('var transform = 42;');
    expect(failure(await notFn.run(event)).error).toBe('transform must be a function, but it is a number');
    const top = js('throw new Error("at load");\nfunction transform(e) { return {} }');
    expect(failure(await top.run(event)).error).toBe('top-level code failed: Error: at load (line 1)');
    const loop = js('for (;;) {}\nfunction transform(e) { return {} }');
    const r = failure(await loop.run(event));
    expect(r).toMatchObject({ code: 'timeout', error: 'top-level code: the transformation exceeded the 1000 ms time limit' });
    expect(failure(await loop.run(event)).code).toBe('timeout');
  });

  it('runs nothing after dispose', async () => {
    const t = createJsTransformer({ source: 'function transform(e) { return {} }' });
    expect((await t.run(event)).ok).toBe(true);
    await t.dispose();
    expect(failure(await t.run(event)).code).toBe('internal');
  });
});

describe('checkJsSource', () => {
  it('accepts valid code', async () => {
    expect(await checkJsSource('function transform(event) { return { a: event.a } }')).toEqual([]);
  });

  it('reports syntax errors with line and column', async () => {
    expect(await checkJsSource('function transform(e) {\n  return {a: 1,, }\n}')).toEqual([
      { message: 'SyntaxError: invalid property name (line 2)', line: 2, column: 16 },
    ]);
    const [e] = await checkJsSource('const a = 1;\nfunction transform(e) {\n  return e.\n}');
    expect(e.line).toBe(4);
  });

  it('reports a missing transform and failing or endless top-level code', async () => {
    expect((await checkJsSource('const x = 1'))[0].message).toMatch(/^transform is not defined/);
    expect((await checkJsSource('null.x; function transform() {}'))[0]).toMatchObject({ message: expect.stringMatching(/^top-level code failed: TypeError/), line: 1 });
    expect((await checkJsSource('while (true) {}'))[0].message).toMatch(/time limit/);
    expect(await checkJsSource('function transform(e) { return {} }')).toEqual([]);
  });
});
