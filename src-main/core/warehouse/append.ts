import type { DuckDBConnection } from '@duckdb/node-api';

/** Bulk-append rows of text (or NULL) through DuckDB's appender: staging tables cast them in SQL afterwards. */
export async function appendTextRows(conn: DuckDBConnection, table: string, rows: (string | null)[][]): Promise<void> {
  if (rows.length === 0) return;
  const appender = await conn.createAppender(table);
  try {
    for (const row of rows) {
      for (const v of row) {
        if (v === null) appender.appendNull();
        else appender.appendVarchar(v);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
