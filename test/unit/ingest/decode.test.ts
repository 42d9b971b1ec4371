import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkContentType, contentEncoding, decodeBody, gunzipBody, parseJsonBody, readBody } from '../../../src-main/core/ingest/decode';
import { IngestError } from '../../../src-main/core/ingest/errors';
import { findJsonError } from '../../../src-main/core/ingest/json-position';

async function failure(p: Promise<unknown> | (() => unknown)): Promise<IngestError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(IngestError);
    return err as IngestError;
  }
  throw new Error('expected a failure');
}

const stream = (...chunks: (string | Buffer)[]) => Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));

describe('content type and encoding', () => {
  it('accepts application/json and text/plain, with a UTF-8 charset', () => {
    for (const t of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'text/plain', 'text/plain;charset=UTF-8', 'application/json; charset="utf-8"']) {
      expect(() => checkContentType(t), t).not.toThrow();
    }
  });
  it('answers 415 for anything else', async () => {
    for (const t of [undefined, '', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/html', 'application/json; charset=latin1']) {
      const e = await failure(() => checkContentType(t));
      expect(e.status, String(t)).toBe(415);
      expect(e.code).toBe('unsupported_media_type');
    }
  });
  it('knows gzip and identity; other encodings are 415', async () => {
    expect(contentEncoding(undefined)).toBe('identity');
    expect(contentEncoding('identity')).toBe('identity');
    expect(contentEncoding('GZIP')).toBe('gzip');
    expect(contentEncoding('x-gzip')).toBe('gzip');
    expect((await failure(() => contentEncoding('br'))).status).toBe(415);
    expect((await failure(() => contentEncoding('deflate'))).status).toBe(415);
  });
});

describe('readBody', () => {
  it('reads chunks up to the limit', async () => {
    expect((await readBody(stream('ab', 'cd'), 4)).toString()).toBe('abcd');
  });
  it('stops at the limit while streaming, without Content-Length', async () => {
    const e = await failure(readBody(stream('abc', 'def'), 4));
    expect(e.status).toBe(413);
    expect(e.message).toContain('4 bytes');
    expect(e.closeConnection).toBe(true);
  });
  it('refuses a declared Content-Length over the limit before reading', async () => {
    const e = await failure(readBody(stream('a'), 4 * 1024 * 1024, String(5 * 1024 * 1024)));
    expect(e.status).toBe(413);
    expect(e.message).toContain('4 MiB');
  });
  it('reports a stream error as 400', async () => {
    const s = new Readable({ read() {} });
    const p = readBody(s, 100);
    s.destroy(new Error('boom'));
    expect((await failure(p)).status).toBe(400);
  });
});

describe('gunzipBody', () => {
  it('decompresses', async () => {
    expect((await gunzipBody(gzipSync('{"a":1}'), 100)).toString()).toBe('{"a":1}');
  });
  it('bad or truncated gzip is 400 "Bad gzip"', async () => {
    for (const b of [Buffer.from('not gzip at all'), gzipSync('{"a":1}').subarray(0, 12)]) {
      const e = await failure(gunzipBody(b, 100));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^Bad gzip/);
    }
  });
  it('a zip bomb stops at the limit: 413', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces in ~64 KiB
    expect(bomb.length).toBeLessThan(100 * 1024);
    const e = await failure(gunzipBody(bomb, 4 * 1024 * 1024));
    expect(e.status).toBe(413);
    expect(e.message).toContain('once decompressed');
  });
});

describe('parseJsonBody', () => {
  it('parses UTF-8 JSON and ignores a BOM', () => {
    expect(parseJsonBody(Buffer.from('\ufeff{"a":"é"}'))).toEqual({ a: 'é' });
  });
  it('empty body is 400', async () => {
    for (const b of ['', '   \n ']) expect((await failure(() => parseJsonBody(Buffer.from(b)))).message).toBe('The request body is empty');
  });
  it('invalid JSON is 400 with the position', async () => {
    const e = await failure(() => parseJsonBody(Buffer.from('[{"type":"identify","userId":"x","traits":{"email":"a@b.c"}\n')));
    expect(e.status).toBe(400);
    expect(e.message).toBe("Invalid JSON at position 60 (line 2, column 1): unexpected end of input, expected ',' or '}'");
    expect((await failure(() => parseJsonBody(Buffer.from('{"a":}')))).message).toContain('position 5 (line 1, column 6)');
  });
  it('replaces invalid UTF-8 with U+FFFD instead of failing', () => {
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    expect(parseJsonBody(body)).toEqual({ name: '\ufffd\ufffd\ufffd' });
  });
  it('parses a very deep document without overflowing (validation rejects it later)', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(Array.isArray(parseJsonBody(Buffer.from(deep)))).toBe(true);
  });
});

describe('decodeBody', () => {
  const headers = (h: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...h });
  it('decodes plain and gzip bodies', async () => {
    expect(await decodeBody({ headers: headers(), body: stream('[1,', '2]') }, 100)).toEqual([1, 2]);
    expect(await decodeBody({ headers: headers({ 'content-encoding': 'gzip' }), body: stream(gzipSync('{"a":1}')) }, 100)).toEqual({ a: 1 });
  });
  it('checks the content type before reading', async () => {
    expect((await failure(decodeBody({ headers: { 'content-type': 'text/csv' }, body: stream('a,b') }, 100))).status).toBe(415);
  });
  it('an empty gzip body is 400', async () => {
    expect((await failure(decodeBody({ headers: headers({ 'content-encoding': 'gzip' }), body: stream() }, 100))).status).toBe(400);
  });
});

describe('findJsonError', () => {
  it('finds the first error', () => {
    expect(findJsonError('{"a":1}')).toBeNull();
    expect(findJsonError('[1,2,]')?.position).toBe(5);
    expect(findJsonError('{"a":1,}')?.message).toBe(`unexpected character "}", expected a property name in double quotes`);
    expect(findJsonError('{"a" 1}')?.position).toBe(5);
    expect(findJsonError('tru')?.position).toBe(0);
    expect(findJsonError('"abc')?.message).toBe('unexpected end of input in a string');
    expect(findJsonError('"a\\x"')?.message).toBe('invalid escape \\x in a string');
    expect(findJsonError('"a\nb"')?.message).toBe('control character in a string (must be escaped)');
    expect(findJsonError('01')?.position).toBe(1);
    expect(findJsonError('{} {}')?.message).toBe('unexpected character "{" after the end of the JSON value');
    expect(findJsonError('[[],{},[1,{"b":[null,true,false,-1.5e3]}]]')).toBeNull();
    expect(findJsonError('')?.message).toBe('empty input');
  });
  it('agrees with JSON.parse on random mutations of a valid document', () => {
    const base = JSON.stringify({ a: [1, 2.5, -3e2, 'x\\"y', { b: null, c: true, d: false }], e: 'é\u0001' });
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = '{}[]",:0123456789.eE+-\\ntrufalse \t';
    for (let i = 0; i < 3000; i++) {
      const pos = Math.floor(rnd() * base.length);
      const ch = alphabet[Math.floor(rnd() * alphabet.length)];
      const mutated = rnd() < 0.5 ? base.slice(0, pos) + ch + base.slice(pos + 1) : base.slice(0, pos);
      let valid = true;
      try {
        JSON.parse(mutated);
      } catch {
        valid = false;
      }
      expect(findJsonError(mutated) === null, mutated).toBe(valid);
    }
  });
});
