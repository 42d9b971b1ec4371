import { describe, expect, it } from 'vitest';
import {
  MappingEvalError,
  checkExpressionType,
  compileMapping,
  evaluate,
  inferType,
  parseExpression,
} from '../../../src-main/core/transform/mapping';

const event = {
  type: 'identify',
  userId: 'u1',
  traits: { email: '  Ada@Example.COM ', name: 'ada LOVELACE-byron', age: '36', vip: true, tags: ['a', 'b'], empty: '' },
  context: { os: { name: 'macOS' }, items: [{ sku: 'x1' }, { sku: 'x2' }], ip: null },
  properties: { 'first name': 'Ada', json: '{"a":[1,2]}', bad: '{oops' },
};

function run(src: string, ev: unknown = event): unknown {
  const r = parseExpression(src);
  if (!r.ok) throw new Error(`parse error: ${r.error.message}`);
  return evaluate(r.ast, ev);
}

describe('evaluation', () => {
  it('reads paths; anything missing is null', () => {
    expect(run('traits.email')).toBe('  Ada@Example.COM ');
    expect(run('context.os.name')).toBe('macOS');
    expect(run('properties["first name"]')).toBe('Ada');
    expect(run('context.items[1].sku')).toBe('x2');
    expect(run('context.items[5].sku')).toBeNull();
    expect(run('traits.nope.deeper.still')).toBeNull();
    expect(run('traits.email.length')).toBeNull();
    expect(run('traits.tags.length')).toBeNull();
    expect(run('context.ip')).toBeNull();
    expect(run('traits.x', null)).toBeNull();
    expect(run('traits.x', 'a string event')).toBeNull();
  });

  it('never reads prototypes: __proto__, constructor, prototype and inherited names', () => {
    expect(run('traits.constructor')).toBeNull();
    expect(run('traits["__proto__"]')).toBeNull();
    expect(run('traits.constructor.prototype')).toBeNull();
    expect(run('traits.toString')).toBeNull();
    expect(run('traits.hasOwnProperty')).toBeNull();
    const hostile = JSON.parse('{"traits": {"__proto__": {"polluted": 1}, "constructor": {"name": "x"}}}');
    expect(run('traits.__proto__.polluted', hostile)).toBeNull();
    expect(run('traits.constructor.name', hostile)).toBeNull();
    expect(run('map("__proto__", 1)')).toEqual(JSON.parse('{"__proto__": 1}'));
    expect(Object.getPrototypeOf(run('map("__proto__", map("x", 1))') as object)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('implements the text functions', () => {
    expect(run('lower(trim(traits.email))')).toBe('ada@example.com');
    expect(run('upper(properties["first name"])')).toBe('ADA');
    expect(run('ltrim("  a ")')).toBe('a ');
    expect(run('rtrim("  a ")')).toBe('  a');
    expect(run('initcap(traits.name)')).toBe('Ada Lovelace-Byron');
    expect(run('initcap("élan vital 2go")')).toBe('Élan Vital 2go');
    expect(run('lower(traits.missing)')).toBeNull();
    expect(run('lower(42)')).toBe('42');
    expect(run('concat(traits.name, " <", null, context.os.name, ">")')).toBe('ada LOVELACE-byron <macOS>');
    expect(run('replace("a-b-c", "-", "+")')).toBe('a+b+c');
    expect(run('split("a,b,,c", ",")')).toEqual(['a', 'b', '', 'c']);
    expect(run('to_string(traits.tags)')).toBe('["a","b"]');
    expect(run('to_string(true)')).toBe('true');
  });

  it('implements substring with SQL semantics on characters', () => {
    expect(run('substring("hello", 2)')).toBe('ello');
    expect(run('substring("hello", 2, 3)')).toBe('ell');
    expect(run('substring("hello", 0, 2)')).toBe('h');
    expect(run('substring("hello", -5, 10)')).toBe('hell');
    expect(run('substring("hello", 9)')).toBe('');
    expect(run('substring("héllo😀x", 5, 2)')).toBe('o😀');
    expect(run('substring(null, 1)')).toBeNull();
    expect(run('substring("abc", "2")')).toBe('bc');
    expect(() => run('substring("abc", 1, -1)')).toThrow(MappingEvalError);
  });

  it('implements len on texts, arrays and objects', () => {
    expect(run('len("😀ab")')).toBe(3);
    expect(run('len(traits.tags)')).toBe(2);
    expect(run('len(context.os)')).toBe(1);
    expect(run('len(traits.none)')).toBeNull();
  });

  it('implements coalesce, if and the logic functions (lazily)', () => {
    expect(run('coalesce(traits.nope, context.ip, "fallback")')).toBe('fallback');
    expect(run('coalesce(traits.empty, "x")')).toBe('');
    expect(run('if(traits.vip, "gold", "basic")')).toBe('gold');
    expect(run('if(traits.empty, "yes")')).toBeNull();
    expect(run('if(false, to_int("boom"), 7)')).toBe(7);
    expect(run('coalesce("first", to_int("boom"))')).toBe('first');
    expect(run('eq(traits.age, "36")')).toBe(true);
    expect(run('eq(traits.age, 36)')).toBe(false);
    expect(run('eq(traits.nope, null)')).toBe(true);
    expect(run('eq(traits.tags, array("a", "b"))')).toBe(true);
    expect(run('ne(context.os, map("name", "macOS"))')).toBe(false);
    expect(run('and(traits.vip, eq(type, "identify"), 1)')).toBe(true);
    expect(run('and(traits.vip, 0)')).toBe(false);
    expect(run('or(null, "", 0, traits.email)')).toBe(true);
    expect(run('not(traits.none)')).toBe(true);
    expect(run('not(traits.vip)')).toBe(false);
  });

  it('builds and parses JSON values', () => {
    expect(run('json_parse(properties.json)')).toEqual({ a: [1, 2] });
    expect(run('json_parse(properties.json).a[1]')).toBe(2);
    expect(run('(coalesce(traits.nope, context.os)).name')).toBe('macOS');
    expect(run('json_parse(properties.json)["constructor"]')).toBeNull();
    expect(run('json_parse(context.os)')).toEqual({ name: 'macOS' });
    expect(run('json_parse(null)')).toBeNull();
    expect(() => run('json_parse(properties.bad)')).toThrow(/json_parse: invalid JSON/);
    expect(run('array(1, "a", null, traits.tags)')).toEqual([1, 'a', null, ['a', 'b']]);
    expect(run('map("os", context.os.name, "n", 1)')).toEqual({ os: 'macOS', n: 1 });
  });

  it('converts numbers', () => {
    expect(run('to_int(traits.age)')).toBe(36);
    expect(run('to_int("-3.9")')).toBe(-3);
    expect(run('to_int(true)')).toBe(1);
    expect(run('to_float(" 2.5e1 ")')).toBe(25);
    expect(run('to_int(null)')).toBeNull();
    expect(() => run('to_int("abc")')).toThrow('to_int: "abc" is not a number');
    expect(() => run('to_float(traits.tags)')).toThrow(/cannot convert an array/);
  });

  it('copes with huge strings and deep events', () => {
    const huge = 'x'.repeat(5_000_000);
    expect(run('len(upper(traits.s))', { traits: { s: huge } })).toBe(5_000_000);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(run('a.a.a.a', deep)).toEqual(expect.any(Object));
    expect(() => run('eq(traits.d, traits.d2)', { traits: { d: deep, d2: JSON.parse(JSON.stringify({ a: 1 })) } })).not.toThrow();
    expect(() => run('eq(a, a)', deep)).not.toThrow();
    let deep2: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep2 = { a: deep2 };
    expect(() => run('eq(a, b)', { a: deep, b: deep2 })).toThrow(/nested too deeply/);
  });
});

describe('inferType and checkExpressionType', () => {
  const parse = (s: string) => {
    const r = parseExpression(s);
    if (!r.ok) throw new Error(r.error.message);
    return r.ast;
  };

  it('infers static types', () => {
    expect(inferType(parse('traits.a'))).toBe('any');
    expect(inferType(parse('eq(a, b)'))).toBe('boolean');
    expect(inferType(parse('lower(a)'))).toBe('string');
    expect(inferType(parse('len(a)'))).toBe('int');
    expect(inferType(parse('1.5'))).toBe('float');
    expect(inferType(parse('coalesce(a, 1, 2.5)'))).toBe('any');
    expect(inferType(parse('coalesce(1, 2.5)'))).toBe('float');
    expect(inferType(parse('if(a, "x", null)'))).toBe('string');
    expect(inferType(parse('if(a, "x", 1)'))).toBe('any');
    expect(inferType(parse('array()'))).toBe('array');
    expect(inferType(parse('map()'))).toBe('object');
  });

  it('flags obvious mismatches with the range of the expression', () => {
    expect(checkExpressionType(parse('eq(a, b)'), 'int')).toEqual({
      message: 'eq(...) returns a boolean, but the property is of type int',
      start: 0,
      end: 8,
    });
    expect(checkExpressionType(parse('lower(a)'), 'array')?.message).toMatch(/returns a string/);
    expect(checkExpressionType(parse('array(a)'), 'string')?.message).toMatch(/returns an array/);
    expect(checkExpressionType(parse('map("k", a)'), 'datetime')?.message).toMatch(/returns an object/);
    expect(checkExpressionType(parse('len(a)'), 'date')?.message).toMatch(/returns an integer/);
    expect(checkExpressionType(parse('"abc"'), 'int')?.message).toMatch(/expected an integer/);
    expect(checkExpressionType(parse('"2024-13-01"'), 'date')?.message).toMatch(/not a valid calendar date/);
    expect(checkExpressionType(parse('to_int("x")'), 'int')?.message).toMatch(/not a number/);
  });

  it('accepts compatible and unknown types', () => {
    expect(checkExpressionType(parse('traits.age'), 'int')).toBeNull();
    expect(checkExpressionType(parse('to_int(traits.age)'), 'float')).toBeNull();
    expect(checkExpressionType(parse('len(a)'), 'string')).toBeNull();
    expect(checkExpressionType(parse('eq(a, 1)'), 'boolean')).toBeNull();
    expect(checkExpressionType(parse('"2024-05-01T10:00:00+02:00"'), 'datetime')).toBeNull();
    expect(checkExpressionType(parse('map("a", b)'), 'json')).toBeNull();
    expect(checkExpressionType(parse('split(a, ",")'), 'array')).toBeNull();
    expect(checkExpressionType(parse('null'), 'int')).toBeNull();
  });
});

describe('compileMapping', () => {
  const model = {
    properties: [
      { name: 'email', type: 'string' },
      { name: 'age', type: 'int' },
      { name: 'vip', type: 'boolean' },
      { name: 'os', type: 'string' },
      { name: 'tags', type: 'array' },
      { name: 'extra', type: 'json' },
    ],
  };

  it('runs every assigned property and skips the unassigned ones', () => {
    const c = compileMapping(
      { email: 'lower(trim(traits.email))', age: 'to_int(traits.age)', vip: '', os: '  ', tags: 'traits.tags', extra: 'traits.nope' },
      model,
    );
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    expect(c.properties).toEqual(['email', 'age', 'tags', 'extra']);
    expect(c.run(event)).toEqual({ email: 'ada@example.com', age: 36, tags: ['a', 'b'], extra: null });
    expect(c.run({})).toEqual({ email: null, age: null, tags: null, extra: null });
    expect(c.run(null)).toEqual({ email: null, age: null, tags: null, extra: null });
  });

  it('collects every error with its property and position', () => {
    const c = compileMapping(
      { email: 'lower(traits.email', age: 'eq(a, b)', nope: 'traits.x', vip: 'frob(1)', os: 'upper(context.os.name)' },
      model,
    );
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.errors).toEqual([
      { property: 'email', message: "missing ')' to close lower(", start: 0, end: 18 },
      { property: 'age', message: 'eq(...) returns a boolean, but the property is of type int', start: 0, end: 8 },
      { property: 'nope', message: "unknown property 'nope': it is not in the Customer Model", start: 0, end: 8 },
      { property: 'vip', message: "unknown function 'frob'", start: 0, end: 4 },
    ]);
  });

  it('names the property when a function fails at run time', () => {
    const c = compileMapping({ age: 'to_int(traits.email)' }, model);
    if (!c.ok) throw new Error('should compile');
    let caught: unknown;
    try {
      c.run(event);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MappingEvalError);
    expect((caught as MappingEvalError).property).toBe('age');
    expect((caught as Error).message).toBe('age: to_int: "Ada@Example.COM" is not a number');
  });

  it('refuses a mapping that is not an object', () => {
    expect(compileMapping(null as unknown as Record<string, string>, model).ok).toBe(false);
    expect(compileMapping({ email: 5 as unknown as string }, model).ok).toBe(false);
  });
});
