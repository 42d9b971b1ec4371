import { afterAll, describe, expect, it } from 'vitest';
import {
  checkTransformation,
  createTransformer,
  disposeJsChecker,
  disposePythonChecker,
  validateOutput,
  type Transformation,
  type Transformer,
} from '../../../src-main/core/transform';

const model = {
  properties: [
    { name: 'email', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'vip', type: 'boolean' },
    { name: 'seen_at', type: 'datetime' },
  ],
};

const event = {
  type: 'identify',
  userId: 'u1',
  timestamp: '2024-05-01T12:00:00+02:00',
  traits: { email: ' Ada@Example.COM ', age: '36', plan: 'gold' },
};

const expected = { email: 'ada@example.com', age: 36, vip: true, seen_at: '2024-05-01T12:00:00+02:00' };

const kinds: Record<Transformation['kind'], Transformation> = {
  mapping: {
    kind: 'mapping',
    mapping: { email: 'lower(trim(traits.email))', age: 'to_int(traits.age)', vip: 'eq(traits.plan, "gold")', seen_at: 'timestamp' },
  },
  javascript: {
    kind: 'javascript',
    source: `function transform(e) {
  return { email: e.traits.email.trim().toLowerCase(), age: parseInt(e.traits.age, 10), vip: e.traits.plan === 'gold', seen_at: e.timestamp };
}`,
  },
  python: {
    kind: 'python',
    source: `def transform(e):
    t = e['traits']
    return {'email': t['email'].strip().lower(), 'age': int(t['age']), 'vip': t['plan'] == 'gold', 'seen_at': e['timestamp']}
`,
  },
};

const open: Transformer[] = [];

afterAll(async () => {
  await Promise.all(open.map((t) => t.dispose()));
  await disposeJsChecker();
  await disposePythonChecker();
});

describe('createTransformer', () => {
  for (const kind of ['mapping', 'javascript', 'python'] as const) {
    it(`runs a ${kind} transformation with the common result shape, validated against the model`, async () => {
      const t = createTransformer(kinds[kind], model);
      open.push(t);
      expect(t.kind).toBe(kind);
      const r = await t.run(event);
      expect(r).toEqual({ ok: true, output: expected, logs: [], ms: expect.any(Number) });
      if (!r.ok) return;
      expect(validateOutput(r.output, model)).toEqual({
        values: { ...expected, seen_at: '2024-05-01T10:00:00.000Z' },
        errors: [],
      });
      const many = await t.runMany([event, { ...event, traits: { ...event.traits, age: 'x' } }, event]);
      expect(many.map((m) => m.ok)).toEqual([true, kind === 'javascript', true]);
      if (kind !== 'javascript') expect(many[1]).toMatchObject({ ok: false, code: 'exception' });
    });
  }

  it('fails every run of an invalid mapping with its first error', async () => {
    const t = createTransformer({ kind: 'mapping', mapping: { email: 'lower(', nope: 'x' } }, model);
    expect(await t.run(event)).toEqual({
      ok: false,
      code: 'syntax',
      error: "email: expected an expression (and 1 more)",
      logs: [],
      ms: 0,
    });
  });

  it('reports a mapping function that fails at run time', async () => {
    const t = createTransformer({ kind: 'mapping', mapping: { age: 'to_int(traits.email)' } }, model);
    expect(await t.run(event)).toMatchObject({ ok: false, code: 'exception', error: 'age: to_int: "Ada@Example.COM" is not a number' });
  });

  it('refuses an unknown kind', () => {
    expect(() => createTransformer({ kind: 'lua', source: '' } as unknown as Transformation, model)).toThrow(/unknown transformation kind/);
  });
});

describe('checkTransformation', () => {
  it('accepts valid transformations of every kind', async () => {
    for (const t of Object.values(kinds)) expect(await checkTransformation(t, model)).toEqual([]);
  });

  it('reports mapping errors with property and range', async () => {
    expect(
      await checkTransformation({ kind: 'mapping', mapping: { email: 'upper(traits.email', age: 'eq(a, b)', zip: 'traits.zip' } }, model),
    ).toEqual([
      { property: 'email', message: "missing ')' to close upper(", start: 0, end: 18 },
      { property: 'age', message: 'eq(...) returns a boolean, but the property is of type int', start: 0, end: 8 },
      { property: 'zip', message: "unknown property 'zip': it is not in the Customer Model", start: 0, end: 10 },
    ]);
  });

  it('reports JavaScript and Python syntax errors with line and column', async () => {
    expect(await checkTransformation({ kind: 'javascript', source: 'function transform(e) {\n  return e.\n}' }, model)).toEqual([
      { message: expect.stringMatching(/^SyntaxError/), line: 3, column: expect.any(Number) },
    ]);
    expect(await checkTransformation({ kind: 'python', source: 'def transform(e):\n    return e[\n' }, model)).toEqual([
      { message: "SyntaxError: '[' was never closed (line 2)", line: 2, column: 13 },
    ]);
  });

  it('refuses malformed transformations', async () => {
    expect(await checkTransformation(null as unknown as Transformation, model)).toEqual([{ message: 'the transformation is missing' }]);
    expect(await checkTransformation({ kind: 'sql' } as unknown as Transformation, model)).toEqual([{ message: "unknown transformation kind 'sql'" }]);
    expect(await checkTransformation({ kind: 'python', source: 42 } as unknown as Transformation, model)).toEqual([{ message: 'the source must be text' }]);
  });
});
