import { z } from 'zod';
import { method } from './define';

/** One entry of the Event debugger's sample (accepted, duplicate or rejected with its reason). */
export interface DebuggerEvent {
  id: string;
  sourceId: string;
  receivedAt: string;
  type: string | null;
  event?: string | null;
  userId?: string | null;
  anonymousId?: string | null;
  messageId?: string | null;
  status: 'accepted' | 'rejected' | 'duplicate';
  reason?: string;
  /** The normalized event (accepted) or what was received (rejected). */
  payload: unknown;
}

export interface EventStats {
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Events accepted since local midnight, and the newest receivedAt (null when none). */
  today: number;
  lastEventAt: string | null;
}

const id = z.string().min(1).max(100);

export const eventsMethods = {
  'events.recent': method<{ events: DebuggerEvent[] }>()(
    z.object({ sourceId: id, limit: z.number().int().min(1).max(100).optional() }).strict(),
    "The debugger's sample for a source: the most recent events, newest first, valid and rejected (with reason).",
  ),
  'events.stats': method<EventStats>()(z.object({ sourceId: id }).strict(), 'Received, accepted, rejected and duplicate events of a source.'),
};

/** Push event sent after each commit (and for rejected events) to IPC and /api/live. */
export interface EventsReceivedPush {
  sourceId: string;
  events: DebuggerEvent[];
}
