import { describe, expect, it } from 'vitest';
import { coerceValue, validateOutput } from '../../../src-main/core/transform/validate';

const model = {
  properties: [
    { name: 'email', type: 'string' },
    { name: 'vip', type: 'boolean' },
    { name: 'age', type: 'int' },
    { name: 'score', type: 'float' },
    { name: 'balance', type: 'decimal' },
    { name: 'seen_at', type: 'datetime' },
    { name: 'birthday', type: 'date' },
    { name: 'extra', type: 'json' },
    { name: 'tags', type: 'array' },
  ],
};

const ok = (value: unknown, type: string) => {
  const r = coerceValue(value, type);
  if (!r.ok) throw new Error(`${JSON.stringify(value)} as ${type}: ${r.message}`);
  return r.value;
};
const bad = (value: unknown, type: string) => {
  const r = coerceValue(value, type);
  if (r.ok) throw new Error(`${JSON.stringify(value)} as ${type} should fail, got ${JSON.stringify(r.value)}`);
  return r.message;
};

describe('validateOutput', () => {
  it('coerces every property and reports the others by name', () => {
    const r = validateOutput(
      {
        email: 'a@b.c',
        vip: 'TRUE',
        age: '42',
        score: 1.5,
        balance: '0012.50',
        seen_at: '2024-05-01T12:00:00+02:00',
        birthday: '1815-12-10',
        extra: { a: [1, { b: null }] },
        tags: ['x', 2, true],
        nickname: 'ada',
      },
      model,
    );
    expect(r.values).toEqual({
      email: 'a@b.c',
      vip: true,
      age: 42,
      score: 1.5,
      balance: '12.50',
      seen_at: '2024-05-01T10:00:00.000Z',
      birthday: '1815-12-10',
      extra: { a: [1, { b: null }] },
      tags: ['x', '2', 'true'],
    });
    expect(r.errors).toEqual([{ property: 'nickname', message: "unknown property 'nickname': it is not in the Customer Model" }]);
  });

  it('keeps null as "no value" and reports wrong types per property', () => {
    const r = validateOutput({ email: null, age: 'forty', vip: 3, tags: 'a,b', seen_at: 1714557600000 }, model);
    expect(r.values).toEqual({ email: null });
    expect(r.errors.map((e) => e.property)).toEqual(['age', 'vip', 'tags', 'seen_at']);
    expect(r.errors[0].message).toBe('expected an integer, got the string "forty"');
  });

  it('refuses an output that is not an object', () => {
    for (const out of [null, 'x', 42, [1], undefined]) {
      const r = validateOutput(out, model);
      expect(r.values).toEqual({});
      expect(r.errors[0].message).toMatch(/^the output must be an object/);
    }
  });

  it('treats "__proto__" as a plain (unknown) property name', () => {
    const r = validateOutput(JSON.parse('{"__proto__": {"email": "x"}, "email": "y"}'), model);
    expect(r.values).toEqual({ email: 'y' });
    expect(r.errors).toEqual([{ property: '__proto__', message: expect.stringMatching(/unknown property/) }]);
  });
});

describe('coerceValue', () => {
  it('string', () => {
    expect(ok(12.5, 'string')).toBe('12.5');
    expect(ok(false, 'string')).toBe('false');
    expect(bad({}, 'string')).toBe('expected a string, got an object');
    expect(bad([], 'string')).toBe('expected a string, got an array');
  });

  it('boolean', () => {
    expect(ok(' false ', 'boolean')).toBe(false);
    expect(ok(1, 'boolean')).toBe(true);
    expect(bad('yes', 'boolean')).toMatch(/expected a boolean/);
    expect(bad(2, 'boolean')).toMatch(/expected a boolean/);
  });

  it('int', () => {
    expect(ok(-7, 'int')).toBe(-7);
    expect(ok('+8', 'int')).toBe(8);
    expect(ok('9.00', 'int')).toBe(9);
    expect(bad(1.5, 'int')).toMatch(/expected an integer/);
    expect(bad('1e3', 'int')).toMatch(/expected an integer/);
    expect(bad(true, 'int')).toMatch(/expected an integer/);
    expect(bad('99999999999999999999', 'int')).toMatch(/out of the supported range/);
  });

  it('float', () => {
    expect(ok('1e3', 'float')).toBe(1000);
    expect(ok('.5', 'float')).toBe(0.5);
    expect(bad(Infinity, 'float')).toMatch(/finite/);
    expect(bad('1.2.3', 'float')).toMatch(/expected a number/);
  });

  it('decimal (as canonical text)', () => {
    expect(ok(12.5, 'decimal')).toBe('12.5');
    expect(ok('-0.10', 'decimal')).toBe('-0.10');
    expect(ok('-0.00', 'decimal')).toBe('0.00');
    expect(ok('.5', 'decimal')).toBe('0.5');
    expect(ok(1e21, 'decimal')).toBe('1000000000000000000000');
    expect(ok(1.5e-7, 'decimal')).toBe('0.00000015');
    expect(ok('12345678901234567890.123456789', 'decimal')).toBe('12345678901234567890.123456789');
    expect(bad('1'.repeat(39), 'decimal')).toMatch(/more than 38 digits/);
    expect(bad('abc', 'decimal')).toMatch(/expected a decimal/);
    expect(bad('.', 'decimal')).toMatch(/expected a decimal/);
  });

  it('datetime (ISO 8601 to UTC)', () => {
    expect(ok('2024-02-29T23:30:00-01:30', 'datetime')).toBe('2024-03-01T01:00:00.000Z');
    expect(ok('2024-05-01 10:00', 'datetime')).toBe('2024-05-01T10:00:00.000Z');
    expect(ok('2024-05-01T10:00:00.123456Z', 'datetime')).toBe('2024-05-01T10:00:00.123Z');
    expect(ok('2024-05-01', 'datetime')).toBe('2024-05-01T00:00:00.000Z');
    expect(ok('2024-05-01T10:00:00+0530', 'datetime')).toBe('2024-05-01T04:30:00.000Z');
    expect(ok(new Date(Date.UTC(2020, 0, 1)), 'datetime')).toBe('2020-01-01T00:00:00.000Z');
    expect(bad('2023-02-29T00:00:00Z', 'datetime')).toMatch(/ISO 8601/);
    expect(bad('2024-05-01T25:00:00Z', 'datetime')).toMatch(/ISO 8601/);
    expect(bad('May 1st', 'datetime')).toMatch(/ISO 8601/);
    expect(bad(1714557600000, 'datetime')).toMatch(/ISO 8601/);
  });

  it('date', () => {
    expect(ok('2024-02-29', 'date')).toBe('2024-02-29');
    expect(ok('2024-05-01T23:30:00-02:00', 'date')).toBe('2024-05-02');
    expect(bad('2023-02-29', 'date')).toMatch(/not a valid calendar date/);
    expect(bad('01/05/2024', 'date')).toMatch(/YYYY-MM-DD/);
  });

  it('json', () => {
    expect(ok('text', 'json')).toBe('text');
    expect(ok({ d: new Date(0) }, 'json')).toEqual({ d: '1970-01-01T00:00:00.000Z' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(bad(cyclic, 'json')).toMatch(/cannot be stored as JSON/);
  });

  it('array of strings', () => {
    expect(ok([], 'array')).toEqual([]);
    expect(bad(['a', null], 'array')).toBe('expected an array of strings, element 1 is null');
    expect(bad(['a', { b: 1 }], 'array')).toMatch(/element 1 is an object/);
  });

  it('unknown type', () => {
    expect(bad('x', 'uuid')).toBe("unknown property type 'uuid'");
  });
});
