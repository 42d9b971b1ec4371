import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { CustomerModel, PropertyType } from '../api/model';
import { badRequest } from '../api/errors';
import { apiValue, q, SYSTEM_COLUMNS, USERS_TABLE } from '../model/sql';

export interface ViewColumn {
  name: string;
  /** Property type, or 'timestamptz' / null for the system columns. */
  type: PropertyType | 'timestamptz' | null;
}

export interface ViewArgs {
  search?: string;
  sort?: { property: string; direction: 'asc' | 'desc' };
}

export interface View {
  columns: ViewColumn[];
  /** SQL after WHERE ('' when there is no search) and its parameters ($1..$n). */
  where: string;
  /** The same condition over the in-memory search copy (column `t` instead of the string columns). */
  copyWhere: string;
  params: DuckDBValue[];
  orderBy: string;
  search: string;
}

export const DEFAULT_SORT = { property: '_created_at', direction: 'desc' as const };

export function viewColumns(model: CustomerModel): ViewColumn[] {
  return [
    { name: '_id', type: null },
    { name: '_created_at', type: 'timestamptz' },
    { name: '_updated_at', type: 'timestamptz' },
    ...model.properties.map((p) => ({ name: p.name, type: p.type })),
  ];
}

/** Search text as typed: trimmed, control characters removed. */
export function cleanSearch(s: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (s ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
}

/**
 * The WHERE and ORDER BY of a users view. The search text only ever travels as a parameter:
 * case-insensitive substring over string properties, exact userId / anonymousId / _id
 * (identities are looked up first through their indexes, then passed as parameters).
 */
export async function buildView(conn: DuckDBConnection, model: CustomerModel, args: ViewArgs, field = 'sort.property'): Promise<View> {
  const columns = viewColumns(model);
  const sort = args.sort ?? DEFAULT_SORT;
  if (!columns.some((c) => c.name === sort.property)) {
    const names = columns.map((c) => c.name);
    throw badRequest(`Unknown sort column "${sort.property}": sort by one of ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`, field);
  }
  const dir = sort.direction === 'desc' ? 'DESC' : 'ASC';
  const orderBy = sort.property === '_id' ? `_id ${dir}` : `${q(sort.property)} ${dir} NULLS LAST, _id ${dir}`;
  const search = cleanSearch(args.search);
  if (!search) return { columns, where: '', copyWhere: '', params: [], orderBy, search };

  const params: DuckDBValue[] = [search.toLowerCase(), search];
  const ors = model.properties.filter((p) => p.type === 'string').map((p) => `contains(lower(${q(p.name)}), $1)`);
  const rest = ['_id = $2'];
  const ids = await identityMatches(conn, search);
  if (ids.length) {
    const at = params.length;
    params.push(...ids);
    rest.push(`_id IN (${ids.map((_, i) => `$${at + i + 1}`).join(', ')})`);
  }
  return {
    columns,
    where: `(${[...ors, ...rest].join(' OR ')})`,
    copyWhere: `(${['contains(t, $1)', ...rest].join(' OR ')})`,
    params,
    orderBy,
    search,
  };
}

/** users._id of identities whose userId or anonymousId is exactly the search text (index lookups). */
async function identityMatches(conn: DuckDBConnection, search: string): Promise<string[]> {
  const r = await conn.runAndReadAll(
    `SELECT DISTINCT _user_id FROM (
       SELECT _user_id FROM user_identities WHERE user_id = $1
       UNION ALL
       SELECT _user_id FROM user_identities WHERE anonymous_id = $1
     ) LIMIT 1000`,
    [search],
  );
  return (r.getRowsJson() as string[][]).map((row) => row[0]);
}

/** Rows of DuckDB's JSON form -> API objects keyed by column name. */
export function toUserObjects(columns: ViewColumn[], rows: unknown[][]): Record<string, unknown>[] {
  return rows.map((row) => {
    const o: Record<string, unknown> = {};
    columns.forEach((c, i) => (o[c.name] = apiValue(row[i], c.type)));
    return o;
  });
}

export const selectList = (columns: ViewColumn[]) => columns.map((c) => q(c.name)).join(', ');
export { SYSTEM_COLUMNS, USERS_TABLE };
