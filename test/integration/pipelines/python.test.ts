import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segment, startApp, type Json, type TestApp } from './helpers';

const ok = (i: number, traits: Json = {}) => segment({ type: 'identify', userId: `u${i}`, traits: { email: `u${i}@x.io`, ...traits } });

describe('Python transformations in the runner (Pyodide in a worker)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.cleanup();
  });

  it('imports users, and hostile Python (host access, throws, endless loop) fails alone', async () => {
    const good = await app.createPipeline({
      name: 'python',
      transformation: {
        kind: 'python',
        source: `def transform(event):
    t = event.get("traits") or {}
    print("seen", event["userId"])
    return {"email": t.get("email", "").upper(), "plan": t.get("plan")}
`,
      },
    });
    const hostile = await app.createPipeline({
      name: 'hostile python',
      transformation: {
        kind: 'python',
        source: `def transform(event):
    t = event["traits"]
    if t.get("host"):
        import js
        return {"city": str(js.process.pid)}
    if t.get("pyjs"):
        import pyodide_js
        return {"city": str(pyodide_js.version)}
    if t.get("loop"):
        while True:
            pass
    if t.get("boom"):
        raise ValueError("boom")
    return {"city": "ok"}
`,
      },
    });
    const events = [ok(1, { plan: 'Pro' }), ok(2, { host: true }), ok(3, { pyjs: true }), ok(4, { loop: true }), ok(5, { boom: true }), ok(6)];
    await app.append(events);
    await app.idle(120_000);
    expect(await app.sql(`SELECT u.user_id, email, plan, city FROM users JOIN user_identities u ON u._user_id = users._id ORDER BY 1`)).toEqual([
      ['u1', 'U1@X.IO', 'Pro', 'ok'],
      ['u2', 'U2@X.IO', null, null],
      ['u3', 'U3@X.IO', null, null],
      ['u4', 'U4@X.IO', null, null],
      ['u5', 'U5@X.IO', null, null],
      ['u6', 'U6@X.IO', null, 'ok'],
    ]);
    expect((await app.call('pipelines.errors', { id: good.id })).total).toBe(0);
    const { errors } = await app.call('pipelines.errors', { id: hostile.id });
    const byCode = Object.fromEntries(errors.map((e: { code: string; message: string; count: number }) => [e.message, e]));
    const messages = errors.map((e: { message: string }) => e.message).join('\n');
    expect(errors).toHaveLength(4);
    expect(messages).toMatch(/js/); // host access refused
    expect(messages).toMatch(/pyodide_js/);
    expect(messages).toMatch(/time limit/);
    expect(messages).toMatch(/ValueError: boom/);
    expect(Object.values(byCode).every((e) => (e as { count: number }).count === 1)).toBe(true);
    const m = await app.call('pipelines.metrics', { id: hostile.id });
    expect(m.totals).toMatchObject({ received: 6, transformFailed: 4 });
  }, 180_000);

  it('refuses a Python syntax error with its line, and previews with logs', async () => {
    try {
      await app.call('pipelines.create', {
        sourceId: app.sourceId,
        name: 'x',
        transformation: { kind: 'python', source: 'def transform(event):\n    return {"email": event["traits"]["email"]\n' },
      });
      throw new Error('should fail');
    } catch (e) {
      expect(e).toMatchObject({ code: 'bad_request', field: 'transformation.source' });
      expect((e as Error).message).toMatch(/line \d+/);
    }
    const r = await app.call('pipelines.preview', {
      filter: null,
      transformation: { kind: 'python', source: 'def transform(event):\n    print("hello", event["userId"])\n    return {"email": event["traits"]["email"]}\n' },
      event: ok(7),
    });
    expect(r).toMatchObject({ ok: true, output: { email: 'u7@x.io' } });
    expect(r.logs.map((l: { message: string }) => l.message).join('\n')).toMatch(/hello u7/);
  }, 120_000);
});
