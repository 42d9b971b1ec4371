import type { DuckDBConnection } from '@duckdb/node-api';
import { DUCKDB_TYPES, type PropertyType } from '../api/model';

export const USERS_TABLE = 'users';
/** The app's own columns of `users`, before the Customer Model's. */
export const SYSTEM_COLUMNS = ['_id', '_created_at', '_updated_at'] as const;
export const SYSTEM_COLUMN_TYPES: Record<(typeof SYSTEM_COLUMNS)[number], string> = {
  _id: 'VARCHAR',
  _created_at: 'TIMESTAMPTZ',
  _updated_at: 'TIMESTAMPTZ',
};

/** Quote an identifier for DuckDB (names are validated snake_case; quoting is the second fence). */
export const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const duckType = (t: PropertyType) => DUCKDB_TYPES[t];

/** The CREATE TABLE for `users` given the model's properties. */
export function createUsersSql(properties: readonly { name: string; type: PropertyType }[]): string {
  const cols = [
    `_id VARCHAR PRIMARY KEY DEFAULT (gen_random_uuid()::VARCHAR)`,
    `_created_at TIMESTAMPTZ NOT NULL DEFAULT now()`,
    `_updated_at TIMESTAMPTZ NOT NULL DEFAULT now()`,
    ...properties.map((p) => `${q(p.name)} ${duckType(p.type)}`),
  ];
  return `CREATE TABLE ${USERS_TABLE} (\n  ${cols.join(',\n  ')}\n)`;
}

/** Normalize a DuckDB type name as information_schema / duckdb_columns report it. */
export function normalizeDuckType(t: string): string {
  const u = t.toUpperCase().trim();
  if (u === 'TIMESTAMP WITH TIME ZONE') return 'TIMESTAMPTZ';
  return u;
}

/** The property type a DuckDB column type stands for (null when none does). */
export function propertyTypeOf(duck: string): PropertyType | null {
  const n = normalizeDuckType(duck);
  for (const [k, v] of Object.entries(DUCKDB_TYPES)) if (v === n) return k as PropertyType;
  return null;
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** Columns of a table in the main schema, in order; null when the table does not exist. */
export async function tableColumns(conn: DuckDBConnection, table: string): Promise<ColumnInfo[] | null> {
  const r = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = $1 AND database_name = current_database() ORDER BY column_index`,
    [table],
  );
  const rows = r.getRowsJson() as string[][];
  if (rows.length) return rows.map(([name, type]) => ({ name, type: normalizeDuckType(type) }));
  const t = await conn.runAndReadAll(
    `SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $1 AND database_name = current_database()`,
    [table],
  );
  return t.currentRowCount ? [] : null;
}

export async function tableExists(conn: DuckDBConnection, table: string): Promise<boolean> {
  const t = await conn.runAndReadAll(
    `SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $1 AND database_name = current_database()`,
    [table],
  );
  return t.currentRowCount > 0;
}

const TS = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?)?$/;

/** A TIMESTAMPTZ as DuckDB prints it ("2024-01-02 03:04:05.123456+00") -> ISO 8601 in UTC. */
export function isoTimestamp(v: string): string {
  const m = TS.exec(v);
  if (!m) return v;
  const [, d, t, h = '+00', min = '00'] = m;
  const date = new Date(`${d}T${t.slice(0, 12)}${h}:${min}`);
  return Number.isNaN(date.getTime()) ? v : date.toISOString();
}

/**
 * A value from DuckDB's JSON row form -> the API's value for a property type:
 * int -> number (string beyond 2^53), decimal -> string without trailing zeros,
 * datetime -> ISO 8601 UTC, json -> parsed, array -> string[].
 */
export function apiValue(v: unknown, type: PropertyType | 'timestamptz' | null): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'int': {
      if (typeof v !== 'string') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }
    case 'decimal':
      return typeof v === 'string' && v.includes('.') ? v.replace(/\.?0+$/, '') : v;
    case 'datetime':
    case 'timestamptz':
      return typeof v === 'string' ? isoTimestamp(v) : v;
    case 'json':
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v);
      } catch {
        return v;
      }
    default:
      return v;
  }
}

/**
 * An SQL expression converting `expr` (of type `from`) to `to` that is NULL exactly when a
 * non-null value does not convert. Used both to count failing values and in ALTER ... USING.
 */
export function convertExpr(expr: string, from: PropertyType, to: PropertyType): string {
  if (from === to) return expr;
  return `CASE WHEN ${expr} IS NULL THEN NULL ELSE ${rawConvert(expr, from, to)} END`;
}

function rawConvert(expr: string, from: PropertyType, to: PropertyType): string {
  const T = duckType(to);
  switch (to) {
    case 'string':
      if (from === 'array') return `CAST(to_json(${expr}) AS VARCHAR)`;
      if (from === 'json') return `CASE WHEN json_type(${expr}) = 'VARCHAR' THEN json_extract_string(${expr}, '$') ELSE CAST(${expr} AS VARCHAR) END`;
      if (from === 'datetime') return `strftime(${expr} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')`;
      return `CAST(${expr} AS VARCHAR)`;
    case 'json':
      if (from === 'string') return `CASE WHEN json_valid(${expr}) THEN CAST(${expr} AS JSON) ELSE to_json(${expr}) END`;
      return `to_json(${expr})`;
    case 'array':
      if (from === 'string')
        return `CASE WHEN json_valid(${expr}) AND json_type(CAST(${expr} AS JSON)) = 'ARRAY' THEN TRY_CAST(CAST(${expr} AS JSON) AS VARCHAR[]) ELSE [${expr}] END`;
      if (from === 'json')
        return `CASE json_type(${expr}) WHEN 'ARRAY' THEN TRY_CAST(${expr} AS VARCHAR[]) WHEN 'VARCHAR' THEN [json_extract_string(${expr}, '$')] ELSE [CAST(${expr} AS VARCHAR)] END`;
      return `[CAST(${expr} AS VARCHAR)]`;
    case 'boolean':
      if (from === 'int' || from === 'float' || from === 'decimal') return `(${expr} <> 0)`;
      if (from === 'json') return `TRY_CAST(json_extract_string(${expr}, '$') AS BOOLEAN)`;
      if (from === 'string') return `TRY_CAST(lower(trim(${expr})) AS BOOLEAN)`;
      return `TRY_CAST(${expr} AS BOOLEAN)`;
    default:
      if (from === 'json') return `TRY_CAST(json_extract_string(${expr}, '$') AS ${T})`;
      if (from === 'string' && to !== 'datetime' && to !== 'date') return `TRY_CAST(trim(${expr}) AS ${T})`;
      if (from === 'array') return 'NULL';
      return `TRY_CAST(${expr} AS ${T})`;
  }
}
