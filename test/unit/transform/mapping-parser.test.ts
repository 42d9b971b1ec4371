import { describe, expect, it } from 'vitest';
import { MAPPING_FUNCTIONS, parseExpression, tokenize } from '../../../src-main/core/transform/mapping';

function ast(src: string) {
  const r = parseExpression(src);
  if (!r.ok) throw new Error(`unexpected parse error: ${r.error.message}`);
  return r.ast;
}

function error(src: string) {
  const r = parseExpression(src);
  if (r.ok) throw new Error(`expected a parse error for ${src}`);
  return r.error;
}

describe('tokenizer', () => {
  it('splits identifiers, punctuation, numbers and strings with offsets', () => {
    const tokens = tokenize(`lower(traits["first name"], 1.5e2)`);
    expect(tokens.map((t) => t.type)).toEqual([
      'ident', 'lparen', 'ident', 'lbracket', 'string', 'rbracket', 'comma', 'number', 'rparen', 'eof',
    ]);
    expect(tokens[4]).toMatchObject({ value: 'first name', start: 13, end: 25 });
    expect(tokens[7]).toMatchObject({ value: 150 });
  });

  it('decodes escapes in single and double quoted strings', () => {
    const [t1] = tokenize(String.raw`'it\'s \"q\" \n\t\u00e9\\'`);
    expect(t1.value).toBe('it\'s "q" \n\té\\');
    const [t2] = tokenize(String.raw`"say \"hi\" 'x'"`);
    expect(t2.value).toBe(`say "hi" 'x'`);
  });
});

describe('parseExpression', () => {
  it('parses paths with dots, quoted keys and indexes', () => {
    expect(ast('traits.email')).toEqual({ type: 'path', segments: ['traits', 'email'], start: 0, end: 12 });
    expect(ast('context.os.name')).toMatchObject({ segments: ['context', 'os', 'name'] });
    expect(ast('properties["first name"]')).toMatchObject({ segments: ['properties', 'first name'], end: 24 });
    expect(ast("context.x[0]['y']")).toMatchObject({ segments: ['context', 'x', 0, 'y'] });
    expect(ast('traits.null')).toMatchObject({ type: 'path', segments: ['traits', 'null'] });
    expect(ast('json_parse(a).b[0]')).toMatchObject({
      type: 'path',
      segments: ['b', 0],
      start: 0,
      end: 18,
      base: { type: 'call', name: 'json_parse', start: 0, end: 13 },
    });
  });

  it('parses literals', () => {
    expect(ast('"a"')).toMatchObject({ type: 'literal', value: 'a' });
    expect(ast("'b'")).toMatchObject({ type: 'literal', value: 'b' });
    expect(ast('42')).toMatchObject({ type: 'literal', value: 42 });
    expect(ast('-3.5')).toMatchObject({ type: 'literal', value: -3.5, start: 0, end: 4 });
    expect(ast('true')).toMatchObject({ type: 'literal', value: true });
    expect(ast('FALSE')).toMatchObject({ type: 'literal', value: false });
    expect(ast('null')).toMatchObject({ type: 'literal', value: null });
  });

  it('parses nested calls, case-insensitive names and parentheses', () => {
    const node = ast(' COALESCE( lower(traits.email), "x" ) ');
    expect(node).toMatchObject({ type: 'call', name: 'coalesce', start: 1, end: 37, nameStart: 1, nameEnd: 9 });
    if (node.type !== 'call') throw new Error('call expected');
    expect(node.args[0]).toMatchObject({ type: 'call', name: 'lower', start: 11, end: 30 });
    expect(ast('(traits.a)')).toMatchObject({ type: 'path' });
    expect(ast('array()')).toMatchObject({ type: 'call', name: 'array', args: [] });
  });

  it('reports an unknown function at its name, with a suggestion', () => {
    expect(error('coalesce(lowr(traits.email))')).toEqual({
      message: "unknown function 'lowr' (did you mean 'lower'?)",
      start: 9,
      end: 13,
    });
    expect(error('frobnicate(1)').message).toBe("unknown function 'frobnicate'");
  });

  it('reports a wrong number of arguments over the whole call', () => {
    expect(error('lower(a, b)')).toEqual({ message: 'lower() expects 1 argument, got 2', start: 0, end: 11 });
    expect(error('substring("abc")').message).toBe('substring() expects 2 to 3 arguments, got 1');
    expect(error('coalesce()').message).toBe('coalesce() expects at least 1 argument, got 0');
    expect(error('map("a")').message).toMatch(/even number/);
    expect(error('if(true)').message).toBe('if() expects 2 to 3 arguments, got 1');
  });

  it('reports syntax errors with positions', () => {
    expect(error('lower(traits.email')).toMatchObject({ message: "missing ')' to close lower(", start: 0 });
    expect(error('lower(traits.email,)')).toMatchObject({ message: "expected an argument after ','", start: 18 });
    expect(error('traits.')).toMatchObject({ start: 6, end: 7 });
    expect(error('traits.email extra')).toEqual({
      message: "unexpected 'extra' after the end of the expression",
      start: 13,
      end: 18,
    });
    expect(error('"abc')).toEqual({ message: 'unterminated string', start: 0, end: 4 });
    expect(error('"a\\qb"')).toEqual({ message: "invalid escape '\\q'", start: 2, end: 4 });
    expect(error('traits.email # x')).toEqual({ message: "unexpected character '#'", start: 13, end: 14 });
    expect(error('traits[-1]')).toMatchObject({ start: 7 });
    expect(error('12abc')).toMatchObject({ message: "invalid number '12abc'", start: 0, end: 5 });
    expect(error('   ').message).toBe('empty expression');
    expect(error('- 1').message).toMatch(/followed by a number/);
  });

  it('bounds hostile expressions: nesting, path depth and length', () => {
    const deep = 'lower('.repeat(200) + 'x' + ')'.repeat(200);
    expect(error(deep).message).toMatch(/nested too deeply/);
    const longPath = 'a' + '.b'.repeat(40);
    expect(error(longPath).message).toMatch(/path is too deep/);
    expect(error('"' + 'x'.repeat(20_000) + '"').message).toMatch(/too long/);
  });

  it('never throws on junk input', () => {
    for (const src of ['(', ')', ',', '[', '.x', 'a..b', 'a[', 'a["x"', 'f(,)', '\u{1F600}', 'lower(()', '""""']) {
      const r = parseExpression(src);
      expect(r.ok).toBe(false);
    }
    expect(parseExpression(undefined as unknown as string).ok).toBe(false);
  });
});

describe('MAPPING_FUNCTIONS', () => {
  it('lists every documented function with signature and description', () => {
    const names = MAPPING_FUNCTIONS.map((f) => f.name);
    for (const n of ['coalesce', 'lower', 'upper', 'trim', 'ltrim', 'rtrim', 'initcap', 'substring', 'len', 'if', 'eq', 'ne',
      'and', 'or', 'not', 'json_parse', 'array', 'map', 'concat', 'to_string', 'to_int', 'to_float']) {
      expect(names).toContain(n);
    }
    for (const f of MAPPING_FUNCTIONS) {
      expect(f.signature.startsWith(`${f.name}(`)).toBe(true);
      expect(f.description.length).toBeGreaterThan(5);
    }
    expect(MAPPING_FUNCTIONS.find((f) => f.name === 'coalesce')?.maxArgs).toBeNull();
    expect(JSON.parse(JSON.stringify(MAPPING_FUNCTIONS))).toHaveLength(MAPPING_FUNCTIONS.length);
  });
});
