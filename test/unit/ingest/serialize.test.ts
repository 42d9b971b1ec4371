import { describe, expect, it } from 'vitest';
import { fixLoneSurrogates, previewPayload, toStoredJson } from '../../../src-main/core/events/serialize';

describe('toStoredJson', () => {
  it('replaces lone surrogates (which DuckDB JSON refuses) and keeps valid pairs and escaped backslashes', () => {
    expect(toStoredJson({ a: '\ud800' })).toBe('{"a":"\\ufffd"}');
    expect(toStoredJson({ a: 'x\udc00y\ud83d' })).toBe('{"a":"x\\ufffdy\\ufffd"}');
    expect(toStoredJson({ a: '😀' })).toBe('{"a":"😀"}');
    expect(toStoredJson({ a: '\\ud800' })).toBe('{"a":"\\\\ud800"}');
    expect(fixLoneSurrogates('"\\\\\\ud800"')).toBe('"\\\\\\ufffd"');
    expect(JSON.parse(toStoredJson({ k: '\udfff' }))).toEqual({ k: '\ufffd' });
  });
});

describe('previewPayload', () => {
  it('keeps small payloads whole and truncates large ones', () => {
    expect(previewPayload('not an object')).toBe('"not an object"');
    expect(previewPayload(undefined)).toBe('null');
    const big = { s: 'x'.repeat(10_000) };
    const p = JSON.parse(previewPayload(big, 100));
    expect(p).toMatchObject({ truncated: true, bytes: 10_008 });
    expect(p.preview).toHaveLength(100);
  });
  it('survives values JSON.stringify cannot handle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JSON.parse(previewPayload(cyclic))).toMatchObject({ unserializable: true });
  });
});
