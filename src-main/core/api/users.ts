import { z } from 'zod';
import { method } from './define';

/** A user row: `_id`, `_created_at`, `_updated_at` and one key per Customer Model property. */
export type UserRow = { _id: string; _created_at: string; _updated_at: string } & Record<string, unknown>;

export interface UserIdentity {
  sourceId: string;
  userId: string | null;
  anonymousId: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface UserEvent {
  seq: number;
  sourceId: string;
  messageId: string | null;
  type: string | null;
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  timestamp: string | null;
  receivedAt: string | null;
  /** The normalized event as stored. */
  raw: unknown;
}

export interface UsersPage {
  total: number;
  users: UserRow[];
}

export interface UserDetail {
  user: UserRow;
  identities: UserIdentity[];
  /** Earliest first_seen / latest last_seen of the identities (falls back to _created_at/_updated_at). */
  firstSeen: string | null;
  lastSeen: string | null;
  /** The user's most recent events (newest first, at most 50), [] while there is no event log. */
  events: UserEvent[];
}

export type ExportFormat = 'csv' | 'parquet';
export interface ExportStatus {
  id: string;
  format: ExportFormat;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** Rows to export (the view's total) and progress 0..1 while running. */
  rows: number;
  progress: number;
  bytes: number | null;
  fileName: string;
  error: string | null;
  /** Headless mode: GET this path on the admin server (once) to download the file. */
  downloadPath: string | null;
}

export interface WarehouseTable {
  name: string;
  rows: number | null;
  columns: { name: string; type: string }[];
}

const sortSchema = z
  .object({
    property: z.string().min(1).max(200),
    direction: z.enum(['asc', 'desc']),
  })
  .strict();

export const viewSchema = z.object({
  search: z.string().max(200, 'Search is longer than 200 characters').optional(),
  sort: sortSchema.optional(),
});

export const usersMethods = {
  'users.list': method<UsersPage>()(
    viewSchema
      .extend({
        offset: z.number().int().min(0, 'Offset must be 0 or more').max(1_000_000_000).optional(),
        limit: z.number().int().min(1, 'Limit must be at least 1').max(1000, 'Limit must be at most 1000').optional(),
      })
      .strict(),
    'Users, a page at a time: search across string properties and identities (userId, anonymousId), sort on any column; returns {total, users}.',
  ),
  'users.get': method<UserDetail>()(
    z.object({ id: z.string().min(1).max(200) }).strict(),
    "One user: all properties, identities and the user's recent events.",
  ),
  'users.export': method<ExportStatus>()(
    viewSchema
      .extend({
        format: z.enum(['csv', 'parquet']),
        /** Columns to export (default: all); `_id`, `_created_at`, `_updated_at` or property names. */
        columns: z.array(z.string().min(1).max(200)).max(600).optional(),
      })
      .strict(),
    'Start exporting the current users view (search + sort) to CSV or Parquet through DuckDB COPY; progress arrives as users.export push events and through users.exportStatus.',
  ),
  'users.exportStatus': method<ExportStatus>()(z.object({ id: z.string().min(1).max(100) }).strict(), 'The state of an export.'),
  'users.exportCancel': method<ExportStatus>()(z.object({ id: z.string().min(1).max(100) }).strict(), 'Cancel a running export and delete its file.'),
  'warehouse.tables': method<{ tables: WarehouseTable[] }>()(
    z.object({}).strict(),
    'The warehouse tables (users, user_identities, events, ...) with their columns and types, from information_schema.',
  ),
};

/** Push event: progress of an export (sent while running and once when it ends). */
export type UsersExportPush = ExportStatus;
