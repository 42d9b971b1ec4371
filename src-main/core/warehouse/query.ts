import { StatementType, type DuckDBInstance } from '@duckdb/node-api';
import { ApiError } from '../api/errors';
import type { QueryResult } from '../api/warehouse';

// Reads only, decided by the statement type DuckDB's parser reports (never by
// looking at the text). Reads also run inside a transaction that is rolled back,
// as a second fence.
const READ_TYPES = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

export interface QueryOptions {
  maxRows?: number;
  timeoutMs?: number;
}

export async function runReadOnlyQuery(instance: DuckDBInstance, sql: string, opts: QueryOptions = {}): Promise<QueryResult> {
  const maxRows = opts.maxRows ?? 1000;
  const started = performance.now();
  const conn = await instance.connect();
  const timer = setTimeout(() => conn.interrupt(), opts.timeoutMs ?? 30_000);
  try {
    const extracted = await conn.extractStatements(sql).catch((err: Error) => {
      throw new ApiError('bad_request', err.message);
    });
    if (extracted.count === 0) throw new ApiError('bad_request', 'SQL is empty');
    if (extracted.count > 1) throw new ApiError('bad_request', `Run one statement at a time (found ${extracted.count})`);
    const stmt = await extracted.prepare(0).catch((err: Error) => {
      throw new ApiError('bad_request', err.message);
    });
    const type = stmt.statementType;
    if (!READ_TYPES.has(type)) {
      throw new ApiError(
        'read_only',
        `The SQL console is read-only: ${StatementType[type] ?? 'this'} statements are refused. Only SELECT (and EXPLAIN) queries run here.`,
      );
    }
    await conn.run('BEGIN TRANSACTION');
    try {
      const reader = await stmt.streamAndReadUntil(maxRows + 1).catch((err: Error) => {
        throw new ApiError('bad_request', /interrupt/i.test(err.message) ? 'Query cancelled: it ran longer than the time limit' : err.message);
      });
      const types = reader.columnTypes().map((t) => t.toString());
      const rows = toJsonRows(reader.getRowsJson() as unknown[][], types);
      const truncated = rows.length > maxRows;
      return {
        columns: reader.columnNames(),
        columnTypes: types,
        rows: truncated ? rows.slice(0, maxRows) : rows,
        truncated,
        elapsedMs: Math.round((performance.now() - started) * 10) / 10,
      };
    } finally {
      await conn.run('ROLLBACK').catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
    conn.closeSync();
  }
}

const INTEGER_TYPES = new Set(['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT']);

/** DuckDB's JSON form writes 64-bit integers as strings; give numbers back where they fit. */
export function toJsonRows(rows: unknown[][], types: string[]): unknown[][] {
  const wide = types.map((t) => INTEGER_TYPES.has(t));
  if (!wide.some(Boolean)) return rows;
  return rows.map((row) =>
    row.map((v, i) => {
      if (!wide[i] || typeof v !== 'string') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }),
  );
}
