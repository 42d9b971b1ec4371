import type { LiveHub } from './api/push';
import type { IngestListener } from './ingest/listener';
import type { Warehouse } from './warehouse/open';
import type { WorkspaceStore } from './workspace/store';

/** What every domain's handlers may use; built once by createCore. */
export interface CoreContext {
  dataDir: string;
  version: string;
  store: WorkspaceStore;
  warehouse: Warehouse;
  live: LiveHub;
  ingest: IngestListener;
  /** Host/port given on the command line; they win over settings until settings change them. */
  overrides: { ingestHost?: string; ingestPort?: number };
}
