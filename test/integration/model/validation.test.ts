import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../../../src-main/core/workspace/defaults';
import { openDomain, type Domain } from './ctx';

const base = () => structuredClone(DEFAULT_MODEL.properties) as any[];

describe('model.update refuses bad input whole, naming the field', () => {
  let d: Domain;
  beforeAll(async () => {
    d = await openDomain();
  });
  afterAll(() => d.cleanup());

  const refused = async (properties: unknown, field: string, message: RegExp) => {
    const before = await d.ok('model.get');
    for (const method of ['model.preview', 'model.update']) {
      const r = await d.call(method, method === 'model.update' ? { properties, confirm: true } : { properties });
      expect(r, method).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', field } });
      expect((r as any).error.message).toMatch(message);
    }
    expect(await d.ok('model.get')).toEqual(before);
  };

  it.each([
    ['First Name', /not a snake_case name.*"first_name"/],
    ['firstName', /not a snake_case name.*"first_name"/],
    ['email; DROP TABLE users; --', /spaces, quotes and SQL punctuation are not allowed/],
    ['name" VARCHAR); DROP TABLE users; --', /not a snake_case name/],
    ['1st', /starting with a letter/],
    ['', /required/],
    ['a'.repeat(64), /longer than 63/],
    ['émail', /not a snake_case name/],
  ])('name %j', async (name, message) => {
    await refused([...base(), { name, type: 'string' }], `properties.${base().length}.name`, message);
  });

  it('reserved names starting with _', async () => {
    await refused([{ name: '_id', type: 'string' }], 'properties.0.name', /reserved for the app's own columns/);
    await refused([...base(), { name: '_score', type: 'int' }], `properties.${base().length}.name`, /reserved/);
  });

  it('duplicate names', async () => {
    await refused([...base(), { name: 'email', type: 'string' }], `properties.${base().length}.name`, /Duplicate property name "email" \(also property 1\)/);
  });

  it('unknown types', async () => {
    await refused([...base(), { name: 'age', type: 'integer' }], `properties.${base().length}.type`, /Unknown type "integer".*string, boolean, int/);
    await refused([...base(), { name: 'age', type: 'VARCHAR); DROP TABLE users' }], `properties.${base().length}.type`, /Unknown type/);
  });

  it('identifier only on string or int properties', async () => {
    await refused([...base(), { name: 'traits', type: 'json', identifier: true }], `properties.${base().length}.identifier`, /cannot be an identifier/);
  });

  it('renames of unknown properties, or of one property twice', async () => {
    await refused([...base(), { name: 'x', type: 'string', previousName: 'nope' }], `properties.${base().length}.previousName`, /no property "nope"/);
    await refused(
      [...base(), { name: 'x', type: 'string', previousName: 'city' }, { name: 'y', type: 'string', previousName: 'city' }],
      `properties.${base().length + 1}.previousName`,
      /renamed twice/,
    );
  });

  it('unknown fields and wrong shapes (schema)', async () => {
    const r = await d.call('model.update', { properties: [{ name: 'a', type: 'string', sql: 'x' }] });
    expect(r).toMatchObject({ ok: false, status: 400, error: { field: 'properties.0.sql' } });
    const r2 = await d.call('model.update', { properties: 'email' });
    expect(r2).toMatchObject({ ok: false, status: 400, error: { field: 'properties' } });
    const r3 = await d.call('model.update', { properties: Array.from({ length: 501 }, (_, i) => ({ name: `p${i}`, type: 'string' })) });
    expect(r3).toMatchObject({ ok: false, status: 400, error: { field: 'properties' } });
  });

  it('accepts a valid change with identifiers in priority order', async () => {
    const next = [
      { name: 'user_code', type: 'int', identifier: true },
      ...base().map((p) => (p.name === 'phone' ? { ...p, identifier: true } : p)),
    ];
    const r = await d.ok('model.update', { properties: next, confirm: true });
    expect(r.model.properties.filter((p: any) => p.identifier).map((p: any) => p.name)).toEqual(['user_code', 'email', 'phone']);
    expect(r.applied).toContainEqual({ kind: 'add', property: 'user_code', type: 'int', column: 'user_code BIGINT' });
    expect(r.applied).toContainEqual({ kind: 'describe', property: 'phone' });
  });
});
