import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, type Warehouse } from '../../../src-main/core/warehouse/open';
import { runReadOnlyQuery } from '../../../src-main/core/warehouse/query';
import { tempDir } from '../../helpers/tmp';

describe('warehouse (real DuckDB file)', () => {
  let wh: Warehouse;
  let file: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    file = join(t.dir, 'warehouse.duckdb');
    wh = await openWarehouse(file);
    const c = await wh.connect();
    await c.run('CREATE TABLE t (a INTEGER, s VARCHAR)');
    await c.run("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, NULL)");
  });
  afterAll(async () => {
    await wh.close();
    await cleanup();
  });

  it('records its migrations once', async () => {
    const r = await runReadOnlyQuery(wh.instance, 'SELECT id FROM schema_migrations ORDER BY id');
    expect(r.rows.map((x) => x[0])).toContain('core-001-meta');
    await wh.close();
    wh = await openWarehouse(file); // reopening applies nothing twice
    const again = await runReadOnlyQuery(wh.instance, 'SELECT count(*) FROM schema_migrations');
    expect(again.rows[0][0]).toBe(r.rows.length);
  });

  it('runs a read and returns columns and rows as arrays', async () => {
    const r = await runReadOnlyQuery(wh.instance, 'select 42 as answer');
    expect(r.columns).toEqual(['answer']);
    expect(r.rows).toEqual([[42]]);
    const t = await runReadOnlyQuery(wh.instance, 'SELECT a, s FROM t ORDER BY a');
    expect(t.rows).toEqual([[1, 'one'], [2, 'two'], [3, null]]);
  });

  it('truncates large results', async () => {
    const r = await runReadOnlyQuery(wh.instance, 'SELECT * FROM range(5000)', { maxRows: 100 });
    expect(r.rows).toHaveLength(100);
    expect(r.truncated).toBe(true);
  });

  it.each([
    'INSERT INTO t VALUES (9, \'x\')',
    'UPDATE t SET a = 0',
    'DELETE FROM t',
    'DROP TABLE t',
    'CREATE TABLE u (x INT)',
    'ALTER TABLE t ADD COLUMN z INT',
    "COPY t TO '/tmp/krenalis-should-not-exist.csv'",
    "ATTACH ':memory:' AS other",
    'CHECKPOINT',
    'SET threads = 1',
    "PRAGMA enable_profiling",
    'BEGIN TRANSACTION',
    "INSTALL httpfs",
    "CREATE MACRO m(x) AS x + 1",
    "  /* comment */ insert into t values (1, 'x')",
    "WITH x AS (SELECT 1) INSERT INTO t SELECT 1, 'y' FROM x",
  ])('refuses a write: %s', async (sql) => {
    await expect(runReadOnlyQuery(wh.instance, sql)).rejects.toMatchObject({ code: 'read_only' });
    const r = await runReadOnlyQuery(wh.instance, 'SELECT count(*) FROM t');
    expect(r.rows[0][0]).toBe(3);
  });

  it('refuses several statements at once, even when the first is a read', async () => {
    await expect(runReadOnlyQuery(wh.instance, 'SELECT 1; DROP TABLE t')).rejects.toMatchObject({ code: 'bad_request' });
    expect((await runReadOnlyQuery(wh.instance, 'SELECT count(*) FROM t')).rows[0][0]).toBe(3);
  });

  it('reports SQL errors clearly', async () => {
    await expect(runReadOnlyQuery(wh.instance, 'SELEC 1')).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/syntax/i) });
    await expect(runReadOnlyQuery(wh.instance, 'SELECT * FROM nope')).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/nope/) });
  });

  it('cancels a query over its time limit', async () => {
    await expect(
      runReadOnlyQuery(wh.instance, 'SELECT count(*) FROM range(100000000000) a', { timeoutMs: 200 }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/cancel|interrupt/i) });
  });

  it('refuses to open a second time while locked by another process', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(file)});`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/lock/i);
  });
});
