import type { PipelinesChangedPush, PipelinesProgressPush } from './pipelines';
import type { EventsReceivedPush } from './events';
import type { UsersExportPush } from './users';
import type { RebuildProgress } from './identity';

// Push events: the core publishes, every transport (IPC, /api/live) forwards.
// Add an event by adding a key here.
export interface PushEvents {
  /** Sent once when a live connection opens; lets clients show they are online. */
  'live.hello': { at: string };
  /** Settings or workspace info changed (e.g. the ingest server moved). */
  'workspace.changed': { at: string };
  /** Events of a source were committed (or rejected): the Event debugger's live feed. */
  'events.received': EventsReceivedPush;
  /** The Customer Model changed and the users table was migrated (revision = the new model revision). */
  'model.changed': { revision: number; at: string };
  /** Progress of a users export (users.export), and its end. */
  'users.export': UsersExportPush;
  /** A pipeline was created, edited (enabled/disabled) or deleted. */
  'pipelines.changed': PipelinesChangedPush;
  /** A pipeline's progress (cursor, pending events, replay), at most twice a second per pipeline. */
  'pipelines.progress': PipelinesProgressPush;
  /** Progress of "Rebuild users" (identity.rebuild), and its end. */
  'identity.rebuild': RebuildProgress;
}

export type PushName = keyof PushEvents;
export interface PushMessage<N extends PushName = PushName> {
  event: N;
  payload: PushEvents[N];
}

export type PushListener = (msg: PushMessage) => void;

/** A tiny publish/subscribe hub; listeners that throw never stop the others. */
export function createLiveHub() {
  const listeners = new Set<PushListener>();
  return {
    publish<N extends PushName>(event: N, payload: PushEvents[N]) {
      const msg = { event, payload } as PushMessage;
      for (const l of listeners) {
        try {
          l(msg);
        } catch {
          /* a broken subscriber must not break publishing */
        }
      }
    },
    subscribe(listener: PushListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() {
      return listeners.size;
    },
  };
}
export type LiveHub = ReturnType<typeof createLiveHub>;
