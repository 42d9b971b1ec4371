import type { WarehouseTable } from '../api/users';
import type { CoreContext } from '../context';
import { normalizeDuckType } from '../model/sql';
import { withConnection } from './list';

const FIRST = ['users', 'user_identities', 'events'];

/** The warehouse's tables and columns (information_schema), users / identities / events first. */
export function warehouseTables(ctx: CoreContext): Promise<{ tables: WarehouseTable[] }> {
  return withConnection(ctx, async (conn) => {
    const cols = await conn.runAndReadAll(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'main' AND table_catalog = current_database() ORDER BY table_name, ordinal_position`,
    );
    const sizes = await conn.runAndReadAll(
      `SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database()`,
    );
    const rows = new Map((sizes.getRowsJson() as [string, string | number][]).map(([t, n]) => [t, Number(n)]));
    const tables = new Map<string, WarehouseTable>();
    for (const [table, name, type] of cols.getRowsJson() as string[][]) {
      let t = tables.get(table);
      if (!t) tables.set(table, (t = { name: table, rows: rows.get(table) ?? null, columns: [] }));
      t.columns.push({ name, type: normalizeDuckType(type) });
    }
    const rank = (n: string) => (FIRST.includes(n) ? FIRST.indexOf(n) : FIRST.length);
    return { tables: [...tables.values()].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name)) };
  });
}
