import { afterEach, describe, expect, it } from 'vitest';
import { segment, startApp, type Json, type TestApp } from './helpers';

const ok = (i: number, traits: Json = {}) => segment({ type: 'identify', userId: `u${i}`, traits: { email: `u${i}@x.io`, ...traits } });

/** Max event-loop delay (ms) while fn runs: the app must stay responsive. */
async function lagDuring<T>(fn: () => Promise<T>): Promise<{ result: T; maxLag: number }> {
  let maxLag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 10);
    last = now;
  }, 10);
  try {
    const result = await fn();
    return { result, maxLag };
  } finally {
    clearInterval(timer);
  }
}

const HOSTILE: { name: string; source: string; code: string; message: RegExp }[] = [
  { name: 'throws', source: `function transform(e) { if (e.traits.bad) throw new Error('boom'); return { email: e.traits.email }; }`, code: 'exception', message: /Error: boom/ },
  { name: 'returns a non-object', source: `function transform(e) { return e.traits.bad ? 42 : { email: e.traits.email }; }`, code: 'bad-return', message: /object/i },
  {
    name: 'returns a huge object',
    source: `function transform(e) { return e.traits.bad ? { email: 'x'.repeat(5 * 1024 * 1024) } : { email: e.traits.email }; }`,
    code: 'output-too-large|memory',
    message: /.+/,
  },
  { name: 'loops forever', source: `function transform(e) { while (e.traits.bad) {} return { email: e.traits.email }; }`, code: 'timeout', message: /time limit/ },
  {
    name: 'allocates without end',
    source: `function transform(e) { const a = []; while (e.traits.bad) a.push(new Float64Array(1000000)); return { email: e.traits.email }; }`,
    // Whichever limit the engine hits first (its memory limit or its time limit), the event fails alone.
    code: 'memory|timeout',
    message: /memory|time limit/i,
  },
];

describe('hostile transformations: the event fails, the rest goes on', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.cleanup();
    app = null;
  });

  for (const h of HOSTILE) {
    it(`JavaScript that ${h.name}`, async () => {
      app = await startApp();
      const bad = await app.createPipeline({ name: h.name, transformation: { kind: 'javascript', source: h.source } });
      const good = await app.createPipeline({ name: 'mapping', transformation: { kind: 'mapping', mapping: { first_name: 'traits.firstName' } } });
      const events = [ok(1, { firstName: 'A' }), ok(2, { bad: true, firstName: 'B' }), ok(3, { firstName: 'C' }), ok(4, { bad: true }), ok(5)];
      const { maxLag } = await lagDuring(async () => {
        await app!.append(events);
        await app!.idle(30_000);
      });
      expect(maxLag).toBeLessThan(400);
      const errors = await app.call('pipelines.errors', { id: bad.id });
      expect(errors.errors).toHaveLength(1);
      const g = errors.errors[0];
      expect(g.count).toBe(2);
      expect(g.code).toMatch(new RegExp(`^(${h.code})$`));
      expect(g.message).toMatch(h.message);
      expect(g.lastMessageId).toBe(events[3].messageId);
      const m = await app.call('pipelines.metrics', { id: bad.id });
      expect(m.totals).toMatchObject({ received: 5, transformFailed: 2 });
      // The good events of the hostile pipeline, and every event of the other pipeline, went through.
      expect(await app.sql(`SELECT u.user_id, email, first_name FROM users JOIN user_identities u ON u._user_id = users._id ORDER BY 1`)).toEqual([
        ['u1', 'u1@x.io', 'A'],
        ['u2', null, 'B'],
        ['u3', 'u3@x.io', 'C'],
        ['u4', null, null],
        ['u5', 'u5@x.io', null],
      ]);
      expect((await app.call('pipelines.errors', { id: good.id })).total).toBe(0);
    });
  }

  it('wrong types are recorded as invalid output, with the property named', async () => {
    app = await startApp();
    const p = await app.createPipeline({
      transformation: {
        kind: 'javascript',
        source: `function transform(e) { return e.traits.bad ? { email: { a: 1 }, created_at: 'not a date' } : { email: e.traits.email, created_at: '2024-01-02T03:04:05Z' }; }`,
      },
    });
    await app.append([ok(1), ok(2, { bad: true }), ok(3)]);
    await app.idle();
    const { errors } = await app.call('pipelines.errors', { id: p.id });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'validation', code: 'invalid-output', count: 1 });
    expect(errors[0].message).toMatch(/^email: expected a string, got an object; created_at: expected an ISO 8601 date-time/);
    expect((await app.call('pipelines.metrics', { id: p.id })).totals).toMatchObject({ received: 3, invalidOutput: 1, usersCreated: 2 });
    expect(await app.sql(`SELECT count(*) FROM users WHERE created_at = '2024-01-02T03:04:05Z'`)).toEqual([[2]]);
  });

  it('a looping pipeline never stalls the others, and the API keeps answering', async () => {
    app = await startApp();
    const slow = await app.createPipeline({ name: 'loops', transformation: { kind: 'javascript', source: `function transform(e) { for (;;) {} }` } });
    const fast = await app.createPipeline({ name: 'fast', transformation: { kind: 'mapping', mapping: { email: 'traits.email' } } });
    const events = Array.from({ length: 40 }, (_, i) => ok(i));
    await app.append(events);
    const started = performance.now();
    // The mapping pipeline finishes long before the looping one (40 x 100 ms time limit).
    for (;;) {
      const s = await app.call('pipelines.status', { id: fast.id });
      if (s.pending === 0) break;
      expect(performance.now() - started).toBeLessThan(3000);
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = performance.now();
    await app.call('workspace.info');
    expect(performance.now() - t0).toBeLessThan(300);
    expect((await app.call('pipelines.status', { id: slow.id })).pending).toBeGreaterThan(0);
    expect(await app.sql(`SELECT count(email) FROM users`)).toEqual([[40]]);
    // Disabling stops the looping pipeline at once.
    await app.call('pipelines.setEnabled', { id: slow.id, enabled: false });
    const before = (await app.call('pipelines.status', { id: slow.id })).processed;
    await new Promise((r) => setTimeout(r, 500));
    expect((await app.call('pipelines.status', { id: slow.id })).processed).toBe(before);
  });
});
