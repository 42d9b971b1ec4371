// The Event debugger's API: events.recent, events.stats and the 'events.received' push
// (declared in src-main/core/api/events.ts). Reached through the typed client when the
// contract includes them; until then every call fails with unknown_method, which the
// pages show as a clear error instead of crashing.
import { api } from '../../api/client';
import { ApiError } from '../../../src-main/core/api/errors';
import type { DebuggerEvent, EventStats, EventsReceivedPush } from '../../../src-main/core/api/events';

export type { DebuggerEvent, EventStats, EventsReceivedPush };

interface EventsApi {
  recent(args: { sourceId: string; limit?: number }): Promise<{ events: DebuggerEvent[] }>;
  stats(args: { sourceId: string }): Promise<EventStats>;
}

function events(): Partial<EventsApi> {
  return (api as unknown as { events?: Partial<EventsApi> }).events ?? {};
}

const missing = (name: string) => Promise.reject(new ApiError('unknown_method', `Unknown API method: events.${name}`));

export function recentEvents(sourceId: string, limit = 100): Promise<{ events: DebuggerEvent[] }> {
  const fn = events().recent;
  return fn ? fn({ sourceId, limit }) : missing('recent');
}

export function eventStats(sourceId: string): Promise<EventStats> {
  const fn = events().stats;
  return fn ? fn({ sourceId }) : missing('stats');
}

/** True when the app does not provide the events API (an older or partial build). */
export function isUnknownMethod(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'unknown_method';
}

/** Subscribe to 'events.received' pushes (IPC or /api/live). */
export function onEventsReceived(listener: (p: EventsReceivedPush) => void): () => void {
  return api.subscribe((msg) => {
    if ((msg.event as string) !== 'events.received') return;
    const p = msg.payload as unknown as EventsReceivedPush;
    if (p && typeof p.sourceId === 'string' && Array.isArray(p.events)) listener(p);
  });
}
