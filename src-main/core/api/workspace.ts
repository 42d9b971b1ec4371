import { z } from 'zod';
import { method } from './define';

const hostSchema = z
  .string()
  .trim()
  .min(1, 'Host is required')
  .max(253)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/, 'Not a valid host name or IP address');

const publicUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .refine((v) => {
    if (v === '') return true;
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'Must be an http(s) URL without query, fragment or credentials, or empty');

export const limitsSchema = z.object({
  maxRequestBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
  maxEventBytes: z.number().int().min(256).max(1024 * 1024),
  maxEventsPerRequest: z.number().int().min(1).max(100_000),
});

export const settingsSchema = z.object({
  ingestHost: hostSchema,
  ingestPort: z.number().int().min(0).max(65535),
  publicUrl: publicUrlSchema,
  limits: limitsSchema,
});
export type Settings = z.infer<typeof settingsSchema>;
export type Limits = z.infer<typeof limitsSchema>;

export const settingsPatchSchema = settingsSchema.extend({ limits: limitsSchema.partial() }).partial().strict();
export type SettingsPatch = z.input<typeof settingsPatchSchema>;

export interface WorkspaceInfo {
  name: string;
  version: string;
  dataDir: string;
  /** Where the ingest server listens, e.g. http://0.0.0.0:8080 (null when it is not listening). */
  ingestUrl: string | null;
  /** The URL to paste into Segment: public URL if set, else the ingest URL, plus /v1/events. */
  endpointUrl: string | null;
  /** True when the ingest server only accepts connections from this machine. */
  ingestLoopbackOnly: boolean;
  /** Set when the ingest server could not start (e.g. port in use). */
  ingestError: string | null;
}

const none = z.object({}).strict();

export const workspaceMethods = {
  'workspace.info': method<WorkspaceInfo>()(none, 'Name, version, data folder, ingest URL and the endpoint URL to give Segment.'),
  'settings.get': method<Settings>()(none, 'Ingest host/port, public URL and ingestion limits.'),
  'settings.update': method<Settings>()(settingsPatchSchema, 'Change settings; invalid values are refused whole, nothing is saved.'),
};
