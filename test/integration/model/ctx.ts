import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createDispatcher } from '../../../src-main/core/api/dispatch';
import type { Handlers } from '../../../src-main/core/api/contract';
import { createLiveHub } from '../../../src-main/core/api/push';
import type { CoreContext } from '../../../src-main/core/context';
import { modelHandlers } from '../../../src-main/core/model/handlers';
import { reconcileUsersTable } from '../../../src-main/core/model/migrate';
import { usersHandlers } from '../../../src-main/core/users/handlers';
import { openWarehouse } from '../../../src-main/core/warehouse/open';
import { openWorkspace } from '../../../src-main/core/workspace/store';
import { tempDir } from '../../helpers/tmp';

/**
 * The model and users domains on a real workspace.json and a real warehouse.duckdb, without
 * the rest of the core (ingest, pipelines): the dispatcher validates arguments as in the app.
 */
export async function openDomain(dir?: string) {
  const tmp = dir ? { dir, cleanup: async () => undefined } : await tempDir('krenalis-model-');
  const store = await openWorkspace(join(tmp.dir, 'workspace.json'));
  const warehouse = await openWarehouse(join(tmp.dir, 'warehouse.duckdb'));
  const ctx = {
    dataDir: tmp.dir,
    version: 'test',
    store,
    warehouse,
    live: createLiveHub(),
    ingest: { url: null, error: null } as unknown as CoreContext['ingest'],
    overrides: {},
  } as CoreContext;
  const logs: string[] = [];
  const reconciled = await reconcileUsersTable(ctx, (m) => logs.push(m));
  const dispatcher = createDispatcher({ ...modelHandlers(ctx), ...usersHandlers(ctx) } as Handlers);
  const conn: DuckDBConnection = await warehouse.connect();
  const call = async (method: string, args: unknown = {}) => dispatcher.settle(method, args);
  const rows = async (sql: string, params?: unknown[]) => (await conn.runAndReadAll(sql, params as never)).getRowsJson() as unknown[][];
  return {
    ctx,
    dir: tmp.dir,
    conn,
    call,
    rows,
    logs,
    reconciled,
    /** Call and expect success. */
    async ok<T = any>(method: string, args: unknown = {}): Promise<T> {
      const r = await call(method, args);
      if (!r.ok) throw new Error(`${method} failed: ${JSON.stringify(r)}`);
      return r.result as T;
    },
    async close() {
      await warehouse.close();
    },
    async cleanup() {
      await warehouse.close();
      await tmp.cleanup();
    },
  };
}
export type Domain = Awaited<ReturnType<typeof openDomain>>;

/** Insert n users with values in the default model's columns. */
export async function seedUsers(d: Domain, n: number) {
  await d.conn.run(`INSERT INTO users (_id, _created_at, _updated_at, email, first_name, last_name, phone, company, job_title, plan, country, city, created_at)
    SELECT 'u' || lpad(i::VARCHAR, 6, '0'),
           TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(i),
           TIMESTAMPTZ '2024-06-01 00:00:00+00' + to_minutes((i * 7) % 1000),
           'user' || i || '@example.com',
           CASE WHEN i % 10 = 0 THEN NULL ELSE ['Anna','Bruno','Carla','Dario'][1 + i % 4] END,
           'Last' || (i % 37),
           '+39 333 ' || lpad(i::VARCHAR, 6, '0'),
           'Acme ' || (i % 5),
           'Engineer',
           (i % 3)::VARCHAR,
           ['Italy','Spain','France'][1 + i % 3],
           'City ' || (i % 11),
           TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_days(i)
      FROM range(${n}) t(i)`);
}

/** Every row of users as text, ordered: to compare before / after a migration. */
export async function snapshot(d: Domain, columns: string[]) {
  return d.rows(`SELECT ${columns.map((c) => `"${c}"::VARCHAR`).join(', ')} FROM users ORDER BY _id`);
}
