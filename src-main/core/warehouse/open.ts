import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ALL_MIGRATIONS, type WarehouseMigration } from './migrations';

export interface Warehouse {
  instance: DuckDBInstance;
  /** A new connection; each writer (event log, pipelines) keeps its own. */
  connect(): Promise<DuckDBConnection>;
  close(): Promise<void>;
}

/** Apply the migrations not yet recorded, each in one transaction. */
export async function migrateWarehouse(conn: DuckDBConnection, migrations: WarehouseMigration[] = ALL_MIGRATIONS): Promise<string[]> {
  await conn.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (id VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
  );
  const done = new Set((await (await conn.runAndReadAll('SELECT id FROM schema_migrations')).getRowsJson()).map((r) => String(r[0])));
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const stmt of m.sql) await conn.run(stmt);
      await conn.run('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw new Error(`Warehouse migration ${m.id} failed: ${(err as Error).message}`);
    }
    applied.push(m.id);
  }
  return applied;
}

export async function openWarehouse(file: string, migrations?: WarehouseMigration[]): Promise<Warehouse> {
  let instance: DuckDBInstance;
  try {
    // A larger checkpoint threshold: each checkpoint rewrites the open row group of `events`, so the
    // default (16 MB of WAL) spends most of the journal loader's CPU there. Measured with bench:ingest
    // (1M events loaded behind the answers): 16 MB 73 µs of CPU per event and 38 s to catch up, 64 MB
    // 57 µs and 30 s, 256 MB 39 µs and 18 s. The cost is a longer WAL replay after a crash (seconds).
    instance = await DuckDBInstance.create(file, { checkpoint_threshold: '256MB' });
  } catch (err) {
    const msg = (err as Error).message;
    const hint = /lock/i.test(msg) ? ' Is another copy of the app running on this data folder?' : '';
    throw new Error(`Cannot open the warehouse ${file}: ${msg}${hint}`);
  }
  const conn = await instance.connect();
  try {
    await migrateWarehouse(conn, migrations);
  } finally {
    conn.closeSync();
  }
  const open = new Set<DuckDBConnection>();
  return {
    instance,
    async connect() {
      const c = await instance.connect();
      open.add(c);
      return c;
    },
    async close() {
      for (const c of open) {
        try {
          c.closeSync();
        } catch {
          /* already closed */
        }
      }
      open.clear();
      // CHECKPOINT happens on close; closeSync releases the file lock.
      instance.closeSync();
    },
  };
}
