import { z } from 'zod';
import { settingsSchema } from '../api/workspace';
import { DEFAULT_MODEL, DEFAULT_SETTINGS } from './defaults';

export const WORKSPACE_VERSION = 1;

// Domain collections are validated loosely here (objects with an id); each
// domain validates its own entries through the API before they are stored.
const entity = z.object({ id: z.string().min(1) }).passthrough();

export const workspaceFileSchema = z.object({
  version: z.literal(WORKSPACE_VERSION),
  name: z.string().min(1).max(200),
  createdAt: z.string(),
  settings: settingsSchema,
  sources: z.array(entity),
  writeKeys: z.array(z.object({ key: z.string().min(1), sourceId: z.string().min(1) }).passthrough()),
  pipelines: z.array(entity),
  model: z.object({ properties: z.array(z.object({ name: z.string(), type: z.string() }).passthrough()) }).passthrough(),
  identity: z.record(z.string(), z.unknown()).optional(),
});
export type WorkspaceData = z.infer<typeof workspaceFileSchema>;

export function defaultWorkspace(now = new Date()): WorkspaceData {
  return {
    version: WORKSPACE_VERSION,
    name: 'My workspace',
    createdAt: now.toISOString(),
    settings: structuredClone(DEFAULT_SETTINGS),
    sources: [],
    writeKeys: [],
    pipelines: [],
    model: structuredClone(DEFAULT_MODEL),
  };
}

type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * Migrations from version N (the key) to N+1. Version 0 is a file without a
 * version field (only hand-written or pre-release files look like that).
 */
export const MIGRATIONS: Record<number, Migration> = {
  0: (data) => ({ ...defaultWorkspace(), ...data, version: 1 }),
};
