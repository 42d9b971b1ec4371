/** Shapes shared by the event log, the debugger sample and the ingest routes. */
import type { DebuggerEvent, EventsReceivedPush } from '../api/events';

/** One accepted event, ready for the log. */
export interface AppendEvent {
  messageId: string;
  type: string;
  /** Track name (null for other types). */
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** ISO 8601 instants. */
  timestamp: string;
  receivedAt: string;
  /** The normalized event serialized as JSON (see serializeEvent). */
  raw: string;
}

/** One rejected event of a request, kept for the counters and the debugger. */
export interface RejectedEvent {
  /** Index in the request's batch. */
  index: number;
  reason: string;
  receivedAt: string;
  type: string | null;
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  messageId: string | null;
  /** What was received, as JSON text (truncated when large, see previewPayload). */
  payload: string;
}

export interface AppendResult {
  /** Events stored by this call. */
  stored: number;
  /** Events already in the log (or repeated earlier in the same commit). */
  duplicates: number;
  /** Per input event: its sequence number, or null when it was a duplicate. */
  seqs: (number | null)[];
  /** Per rejected event: the id under which it is kept for the debugger. */
  rejectedIds: number[];
}

export interface SourceCounters {
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  lastEventAt: string | null;
}

export interface EventStats extends SourceCounters {
  /** Events accepted since local midnight. */
  today: number;
}

/** One entry of the Event debugger's sample: the API's DebuggerEvent, declared once in the contract. */
export type SampleEntry = DebuggerEvent;

/** Push message for `events.received`. */
export type EventsReceived = EventsReceivedPush;
