import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrationTestHooks } from '../../../src-main/core/model/migrate';
import { DEFAULT_MODEL } from '../../../src-main/core/workspace/defaults';
import { openDomain, seedUsers, snapshot, type Domain } from './ctx';

const N = 1200;
const props = () => structuredClone(DEFAULT_MODEL.properties) as any[];
const columnsOf = async (d: Domain) =>
  Object.fromEntries(
    (await d.rows(`SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'users' ORDER BY column_index`)) as [string, string][],
  );
const count = async (d: Domain) => Number((await d.rows('SELECT count(*) FROM users'))[0][0]);

describe('users table migrations (real DuckDB file with rows)', () => {
  let d: Domain;
  beforeAll(async () => {
    d = await openDomain();
    await seedUsers(d, N);
  });
  afterAll(() => d.cleanup());
  afterEach(() => {
    delete migrationTestHooks.afterStatement;
  });

  it('created users from the model at start: system columns first, then one typed column per property', async () => {
    expect(d.reconciled).toContain('created users');
    const cols = await columnsOf(d);
    expect(Object.keys(cols).slice(0, 3)).toEqual(['_id', '_created_at', '_updated_at']);
    expect(cols._id).toBe('VARCHAR');
    expect(cols._created_at).toBe('TIMESTAMP WITH TIME ZONE');
    expect(cols.email).toBe('VARCHAR');
    expect(cols.created_at).toBe('TIMESTAMP WITH TIME ZONE');
    expect(Object.keys(cols)).toHaveLength(3 + DEFAULT_MODEL.properties.length);
    expect(await count(d)).toBe(N);
    const model = await d.ok('model.get');
    expect(model.revision).toBe(0);
    expect(model.properties.map((p: any) => p.name)).toEqual(DEFAULT_MODEL.properties.map((p) => p.name));
  });

  it('adds a column of every type and keeps every row and value', async () => {
    const before = await snapshot(d, ['_id', 'email', 'first_name', 'created_at']);
    const next = [
      ...props(),
      { name: 'age', type: 'int' },
      { name: 'vip', type: 'boolean' },
      { name: 'score', type: 'float' },
      { name: 'ltv', type: 'decimal' },
      { name: 'birthday', type: 'date' },
      { name: 'last_login', type: 'datetime' },
      { name: 'traits', type: 'json' },
      { name: 'tags', type: 'array' },
      { name: 'nickname', type: 'string', description: 'What friends call them' },
    ];
    const preview = await d.ok('model.preview', { properties: next });
    expect(preview.changes.filter((c: any) => c.kind === 'add')).toHaveLength(9);
    expect(preview.needsConfirm).toBe(false);
    expect(preview.blocked).toBeNull();
    expect(preview.users).toBe(N);
    const r = await d.ok('model.update', { properties: next });
    expect(r.model.revision).toBe(1);
    const cols = await columnsOf(d);
    expect(cols).toMatchObject({
      age: 'BIGINT',
      vip: 'BOOLEAN',
      score: 'DOUBLE',
      ltv: 'DECIMAL(38,9)',
      birthday: 'DATE',
      last_login: 'TIMESTAMP WITH TIME ZONE',
      traits: 'JSON',
      tags: 'VARCHAR[]',
      nickname: 'VARCHAR',
    });
    expect(await count(d)).toBe(N);
    expect(await snapshot(d, ['_id', 'email', 'first_name', 'created_at'])).toEqual(before);
    // Saved to workspace.json only after the warehouse committed, with the new revision.
    const file = JSON.parse(await readFile(join(d.dir, 'workspace.json'), 'utf8'));
    expect(file.model.revision).toBe(1);
    expect(file.model.properties.at(-1)).toEqual({ name: 'nickname', type: 'string', description: 'What friends call them' });
  });

  it('renames a column and keeps its values', async () => {
    await d.conn.run(`UPDATE users SET age = 20 + (CAST(substr(_id, 2) AS BIGINT) % 50), tags = ['a', 'b'] WHERE _id < 'u000500'`);
    const before = await snapshot(d, ['_id', 'first_name', 'age', 'tags']);
    const model = await d.ok('model.get');
    const next = model.properties.map((p: any) => (p.name === 'first_name' ? { ...p, name: 'given_name', previousName: 'first_name' } : p));
    const preview = await d.ok('model.preview', { properties: next });
    expect(preview.changes).toEqual([{ kind: 'rename', from: 'first_name', to: 'given_name' }]);
    await d.ok('model.update', { properties: next });
    const cols = await columnsOf(d);
    expect(cols.first_name).toBeUndefined();
    expect(cols.given_name).toBe('VARCHAR');
    expect(await count(d)).toBe(N);
    expect(await snapshot(d, ['_id', 'given_name', 'age', 'tags'])).toEqual(before);
  });

  it('swaps two names in one change (renames through temporary names)', async () => {
    const before = await snapshot(d, ['_id', 'company', 'job_title']);
    const model = await d.ok('model.get');
    const next = model.properties.map((p: any) =>
      p.name === 'company' ? { ...p, name: 'job_title', previousName: 'company' } : p.name === 'job_title' ? { ...p, name: 'company', previousName: 'job_title' } : p,
    );
    await d.ok('model.update', { properties: next });
    const after = await snapshot(d, ['_id', 'job_title', 'company']);
    expect(after).toEqual(before);
  });

  it('drops a column only with confirm, after the preview says what is lost', async () => {
    const model = await d.ok('model.get');
    const next = model.properties.filter((p: any) => p.name !== 'phone');
    const preview = await d.ok('model.preview', { properties: next });
    const drop = preview.changes.find((c: any) => c.kind === 'drop');
    expect(drop).toMatchObject({ kind: 'drop', property: 'phone', valuesLost: N });
    expect(drop.samples.length).toBeGreaterThan(0);
    expect(preview.needsConfirm).toBe(true);

    const refused = await d.call('model.update', { properties: next });
    expect(refused).toMatchObject({ ok: false, status: 409, error: { code: 'conflict', field: 'confirm' } });
    expect((refused as any).error.message).toMatch(/phone.*1,200 values/);
    expect((await columnsOf(d)).phone).toBe('VARCHAR');
    expect((await d.ok('model.get')).revision).toBe(model.revision);

    const before = await snapshot(d, ['_id', 'email', 'given_name']);
    await d.ok('model.update', { properties: next, confirm: true });
    expect((await columnsOf(d)).phone).toBeUndefined();
    expect(await count(d)).toBe(N);
    expect(await snapshot(d, ['_id', 'email', 'given_name'])).toEqual(before);
  });

  it('changes a type when every value converts (string -> int, datetime -> date, int -> string)', async () => {
    const before = (await d.rows(`SELECT _id, plan, created_at::DATE::VARCHAR, age FROM users ORDER BY _id`)) as any[][];
    const model = await d.ok('model.get');
    const next = model.properties.map((p: any) =>
      p.name === 'plan' ? { ...p, type: 'int' } : p.name === 'created_at' ? { ...p, type: 'date' } : p.name === 'age' ? { ...p, type: 'string' } : p,
    );
    const preview = await d.ok('model.preview', { properties: next });
    expect(preview.blocked).toBeNull();
    const planChange = preview.changes.find((c: any) => c.kind === 'type' && c.property === 'plan');
    expect(planChange).toMatchObject({ from: 'string', to: 'int', values: N, failing: 0 });
    await d.ok('model.update', { properties: next });
    const cols = await columnsOf(d);
    expect(cols).toMatchObject({ plan: 'BIGINT', created_at: 'DATE', age: 'VARCHAR' });
    const after = (await d.rows(`SELECT _id, plan, created_at::VARCHAR, age FROM users ORDER BY _id`)) as any[][];
    expect(after.length).toBe(N);
    after.forEach((row, i) => {
      expect(row[0]).toBe(before[i][0]);
      expect(String(row[1])).toBe(String(before[i][1]));
      expect(row[2]).toBe(before[i][2]);
      expect(row[3]).toBe(before[i][3] === null ? null : String(before[i][3]));
    });
  });

  it('refuses a type change when some values do not convert, listing them, and leaves everything as it was', async () => {
    await d.conn.run(`UPDATE users SET city = 'not a number' WHERE _id IN ('u000003', 'u000004')`);
    await d.conn.run(`UPDATE users SET city = '42' WHERE _id NOT IN ('u000003', 'u000004')`);
    const before = await snapshot(d, ['_id', 'city', 'email']);
    const model = await d.ok('model.get');
    const idx = model.properties.findIndex((p: any) => p.name === 'city');
    const next = model.properties.map((p: any) => (p.name === 'city' ? { ...p, type: 'int' } : p));
    const preview = await d.ok('model.preview', { properties: next });
    expect(preview.blocked).toMatchObject({ field: `properties.${idx}.type` });
    expect(preview.changes.find((c: any) => c.kind === 'type')).toMatchObject({ failing: 2, samples: ['not a number'] });
    const r = await d.call('model.update', { properties: next });
    expect(r).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', field: `properties.${idx}.type` } });
    expect((r as any).error.message).toMatch(/2 of 1,200 stored values do not convert.*"not a number"/);
    expect((await columnsOf(d)).city).toBe('VARCHAR');
    expect(await snapshot(d, ['_id', 'city', 'email'])).toEqual(before);
    expect((await d.ok('model.get')).revision).toBe(model.revision);
  });

  it('converts json and arrays sensibly (array -> json, string -> array)', async () => {
    await d.conn.run(`UPDATE users SET nickname = '["x","y"]' WHERE _id = 'u000001'`);
    await d.conn.run(`UPDATE users SET nickname = 'solo' WHERE _id = 'u000002'`);
    const model = await d.ok('model.get');
    const next = model.properties.map((p: any) => (p.name === 'tags' ? { ...p, type: 'json' } : p.name === 'nickname' ? { ...p, type: 'array' } : p));
    await d.ok('model.update', { properties: next });
    const r = await d.rows(`SELECT tags::VARCHAR, nickname FROM users WHERE _id IN ('u000001', 'u000002', 'u000900') ORDER BY _id`);
    expect(r[0]).toEqual(['["a","b"]', ['x', 'y']]);
    expect(r[1]).toEqual(['["a","b"]', ['solo']]);
    expect(r[2]).toEqual([null, null]);
  });

  it('rolls a failing migration back whole: no column changed, model unchanged', async () => {
    const colsBefore = await columnsOf(d);
    const before = await snapshot(d, ['_id', 'email', 'given_name', 'country']);
    const model = await d.ok('model.get');
    const next = [
      ...model.properties.filter((p: any) => p.name !== 'country').map((p: any) => (p.name === 'email' ? { ...p, name: 'email_address', previousName: 'email' } : p)),
      { name: 'brand_new', type: 'string' },
    ];
    // Fail after the second statement (drop + first rename ran inside the transaction).
    migrationTestHooks.afterStatement = (i) => {
      if (i === 1) throw new Error('disk full (simulated)');
    };
    const r = await d.call('model.update', { properties: next, confirm: true });
    expect(r).toMatchObject({ ok: false, status: 500 });
    expect((r as any).error.message).toMatch(/rolled back/);
    expect(await columnsOf(d)).toEqual(colsBefore);
    expect(await snapshot(d, ['_id', 'email', 'given_name', 'country'])).toEqual(before);
    expect(await d.ok('model.get')).toEqual(model);
    const meta = JSON.parse(String((await d.rows(`SELECT value FROM app_meta WHERE key = 'users_model'`))[0][0]));
    expect(meta.revision).toBe(model.revision);
  });

  it('keeps every row across a reopen of the files', async () => {
    const before = await snapshot(d, ['_id', 'email', 'given_name']);
    const dir = d.dir;
    await d.close();
    d = await openDomain(dir);
    expect(d.reconciled).toEqual([]);
    expect(await snapshot(d, ['_id', 'email', 'given_name'])).toEqual(before);
  });
});

describe('start-up reconciliation of users with the model', () => {
  it('brings workspace.json forward when its save was lost after the warehouse committed', async () => {
    let d = await openDomain();
    const dir = d.dir;
    const original = await readFile(join(dir, 'workspace.json'), 'utf8');
    await seedUsers(d, 10);
    const next = [...props(), { name: 'score', type: 'float' }];
    await d.ok('model.update', { properties: next });
    await d.close();
    // As if workspace.json had not been written: the old file is back.
    await writeFile(join(dir, 'workspace.json'), original);
    d = await openDomain(dir);
    expect(d.reconciled[0]).toMatch(/brought forward to revision 1/);
    expect((await d.ok('model.get')).properties.map((p: any) => p.name)).toContain('score');
    const file = JSON.parse(await readFile(join(dir, 'workspace.json'), 'utf8'));
    expect(file.model.revision).toBe(1);
    expect(Number((await d.rows('SELECT count(*) FROM users'))[0][0])).toBe(10);
    await d.cleanup();
  });

  it('adds columns for properties added by hand and never drops a column at start', async () => {
    let d = await openDomain();
    const dir = d.dir;
    await seedUsers(d, 5);
    await d.close();
    const file = JSON.parse(await readFile(join(dir, 'workspace.json'), 'utf8'));
    file.model.properties = file.model.properties.filter((p: any) => p.name !== 'city');
    file.model.properties.push({ name: 'favourite_color', type: 'string' });
    await writeFile(join(dir, 'workspace.json'), JSON.stringify(file));
    d = await openDomain(dir);
    expect(d.reconciled).toEqual(['added favourite_color']);
    expect(d.logs.join('\n')).toMatch(/users\.city is not in the model; it was kept/);
    const cols = (await d.rows(`SELECT column_name FROM duckdb_columns() WHERE table_name = 'users'`)).map((r) => r[0]);
    expect(cols).toContain('city');
    expect(cols).toContain('favourite_color');
    // Adding "city" back while the old column is still there: refused up front, with a clear reason.
    const model = await d.ok('model.get');
    const r = await d.call('model.preview', { properties: [...model.properties, { name: 'city', type: 'string' }] });
    expect((r as any).result.blocked.message).toMatch(/already has a column "city"/);
    await d.cleanup();
  });

  it('stops start-up with a clear message when workspace.json holds an invalid model, leaving it untouched', async () => {
    const d = await openDomain();
    const dir = d.dir;
    await d.close();
    const file = JSON.parse(await readFile(join(dir, 'workspace.json'), 'utf8'));
    file.model.properties.push({ name: 'Bad Name', type: 'string' });
    const text = JSON.stringify(file);
    await writeFile(join(dir, 'workspace.json'), text);
    await expect(openDomain(dir)).rejects.toThrow(/Customer Model in workspace.json is not valid \(properties\.10\.name\).*snake_case/);
    expect(await readFile(join(dir, 'workspace.json'), 'utf8')).toBe(text);
  });

  it('creates user_identities with the agreed columns', async () => {
    const d = await openDomain();
    const cols = await d.rows(`SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'user_identities' ORDER BY column_index`);
    expect(cols).toEqual([
      ['_user_id', 'VARCHAR'],
      ['source_id', 'VARCHAR'],
      ['user_id', 'VARCHAR'],
      ['anonymous_id', 'VARCHAR'],
      ['first_seen', 'TIMESTAMP WITH TIME ZONE'],
      ['last_seen', 'TIMESTAMP WITH TIME ZONE'],
    ]);
    await d.cleanup();
  });
});
