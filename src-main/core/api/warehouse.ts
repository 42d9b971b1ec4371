import { z } from 'zod';
import { method } from './define';

export interface QueryResult {
  columns: string[];
  columnTypes: string[];
  rows: unknown[][];
  /** True when more rows existed than were returned. */
  truncated: boolean;
  elapsedMs: number;
}

export const warehouseMethods = {
  'warehouse.query': method<QueryResult>()(
    z
      .object({
        sql: z.string().trim().min(1, 'SQL is empty').max(100_000, 'SQL is longer than 100,000 characters'),
        maxRows: z.number().int().min(1).max(10_000).optional(),
      })
      .strict(),
    'Run read-only SQL over the warehouse; returns {columns, rows} (rows as arrays). Writes are refused.',
  ),
};
