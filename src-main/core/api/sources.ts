import { z } from 'zod';
import { method } from './define';

/** A source connection. Only Segment exists today; its events arrive on the ingest server. */
export interface Source {
  id: string;
  type: 'segment';
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** An event write key: the secret Segment sends as `Authorization: Bearer <key>`. */
export interface WriteKey {
  key: string;
  sourceId: string;
  createdAt: string;
}

export const SOURCE_TYPES = ['segment'] as const;
export const MAX_WRITE_KEYS_PER_SOURCE = 20;
export const MAX_SOURCE_NAME = 100;

const id = z.string().min(1, 'Source id is required').max(100, 'Source id is too long');
const name = z
  .string()
  .trim()
  .min(1, 'Name is required')
  .max(MAX_SOURCE_NAME, `Name must be at most ${MAX_SOURCE_NAME} characters`);
const key = z.string().min(1, 'Key is required').max(200, 'Key is too long');

export const sourcesMethods = {
  'sources.list': method<{ sources: Source[] }>()(z.object({}).strict(), 'Every source connection of the workspace, oldest first.'),
  'sources.create': method<Source>()(
    z.object({ type: z.enum(SOURCE_TYPES), name }).strict(),
    'Add a source connection (type "segment"); it gets one event write key.',
  ),
  'sources.get': method<Source>()(z.object({ id }).strict(), 'One source connection.'),
  'sources.update': method<Source>()(z.object({ id, name }).strict(), 'Rename a source connection.'),
  'sources.delete': method<{ ok: true }>()(
    z.object({ id }).strict(),
    'Delete a source connection: its write keys are rejected at once; its stored events are kept.',
  ),
  'writeKeys.list': method<{ keys: WriteKey[] }>()(z.object({ sourceId: id }).strict(), 'The event write keys of a source, oldest first.'),
  'writeKeys.create': method<WriteKey>()(
    z.object({ sourceId: id }).strict(),
    `Create an event write key (at most ${MAX_WRITE_KEYS_PER_SOURCE} per source).`,
  ),
  'writeKeys.delete': method<{ ok: true }>()(
    z.object({ sourceId: id, key }).strict(),
    'Delete an event write key: requests using it are rejected at once. A source keeps at least one key.',
  ),
};
