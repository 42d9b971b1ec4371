/**
 * The Event debugger's feed: the most recent entries per source (accepted,
 * and rejected with their reason), newest first, in memory;
 * restored from the event log on start-up; and a publish hook that the
 * skeleton forwards to IPC and /api/live as `events.received`.
 *
 * Publishing is coalesced per source: at most one message per source every
 * `publishIntervalMs` (default 50 ms), carrying the newest entries since the
 * previous message (at most `capacity`). The first message after a quiet
 * period goes out on the next turn of the event loop, so a commit reaches
 * subscribers well within 250 ms, and a flood of 500-event batches does not
 * flood the renderer.
 */
import type { EventsReceived, SampleEntry } from './types';

export type SampleListener = (msg: EventsReceived) => void;

export interface EventSampleOptions {
  /** Entries kept per source (default 100). */
  capacity?: number;
  /** Minimum delay between two messages about one source (default 50 ms). */
  publishIntervalMs?: number;
}

export interface SampleSource {
  sourceIds(): string[] | Promise<string[]>;
  recentBySource(sourceId: string, limit: number): Promise<SampleEntry[]>;
}

/** A request's entries (newest first), made only if they are still among the newest when read or published. */
export interface LazyEntries {
  /** How many entries get() returns (at most). */
  count: number;
  get(): readonly SampleEntry[];
}

export interface EventSample {
  readonly capacity: number;
  /** Add a request's entries (newest first) after their commit, and publish them. */
  record(sourceId: string, entries: readonly SampleEntry[] | LazyEntries): void;
  /** The newest entries of a source, newest first (limit defaults to capacity). */
  recent(sourceId: string, limit?: number): SampleEntry[];
  /** Load every source's newest entries from the log; entries recorded meanwhile stay in front. */
  restore(from: SampleSource): Promise<void>;
  /** Listen to `events.received`; returns the unsubscribe function. */
  subscribe(listener: SampleListener): () => void;
  /** Forget a source's entries. */
  clear(sourceId: string): void;
  /** Publish what is pending now and stop the timers. */
  close(): void;
}

/** A request's entries as the sample keeps them (made or not). */
type Chunk = LazyEntries;

const resolved = (entries: readonly SampleEntry[]): Chunk => ({ count: entries.length, get: () => entries });

/** Made once, on first use; a failure gives no entries (the debugger feed must never fail anything). */
function lazy(entries: LazyEntries): Chunk {
  let made: readonly SampleEntry[] | null = null;
  return {
    count: entries.count,
    get() {
      if (made) return made;
      try {
        made = entries.get();
      } catch {
        made = [];
      }
      return made;
    },
  };
}

export function createEventSample(opts: EventSampleOptions = {}): EventSample {
  const capacity = Math.max(1, opts.capacity ?? 100);
  const interval = Math.max(0, opts.publishIntervalMs ?? 50);
  // Newest first; a list keeps only the chunks that can still be among the newest `capacity` entries.
  const buffers = new Map<string, Chunk[]>();
  const listeners = new Set<SampleListener>();
  const pending = new Map<string, Chunk[]>();

  function push(list: Chunk[] | undefined, chunk: Chunk): Chunk[] {
    const out = [chunk];
    let n = chunk.count;
    for (const c of list ?? []) {
      if (n >= capacity) break;
      out.push(c);
      n += c.count;
    }
    return out;
  }

  function materialize(list: Chunk[] | undefined): SampleEntry[] {
    const out: SampleEntry[] = [];
    for (const c of list ?? []) {
      for (const e of c.get()) {
        if (out.length >= capacity) return out;
        out.push(e);
      }
    }
    return out;
  }

  /** The buffer's entries, made once and kept as one chunk. */
  function entriesOf(sourceId: string): SampleEntry[] {
    const list = materialize(buffers.get(sourceId));
    buffers.set(sourceId, [resolved(list)]);
    return list;
  }
  const lastPublish = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout | NodeJS.Immediate>();
  let closed = false;

  function publish(sourceId: string) {
    timers.delete(sourceId);
    const events = materialize(pending.get(sourceId));
    pending.delete(sourceId);
    if (events.length === 0) return;
    lastPublish.set(sourceId, performance.now());
    const msg: EventsReceived = { sourceId, events };
    for (const l of listeners) {
      try {
        l(msg);
      } catch {
        /* a broken subscriber must not break the others */
      }
    }
  }

  function schedule(sourceId: string) {
    if (timers.has(sourceId) || closed) return;
    const since = performance.now() - (lastPublish.get(sourceId) ?? -Infinity);
    if (since >= interval) {
      timers.set(sourceId, setImmediate(() => publish(sourceId)));
    } else {
      const t = setTimeout(() => publish(sourceId), interval - since);
      t.unref?.();
      timers.set(sourceId, t);
    }
  }

  function record(sourceId: string, entries: readonly SampleEntry[] | LazyEntries) {
    const chunk = 'get' in entries ? lazy(entries) : resolved(entries);
    if (chunk.count === 0) return;
    buffers.set(sourceId, push(buffers.get(sourceId), chunk));
    if (listeners.size === 0) return;
    pending.set(sourceId, push(pending.get(sourceId), chunk));
    schedule(sourceId);
  }

  return {
    capacity,
    record,
    recent(sourceId, limit = capacity) {
      const n = Math.max(0, Math.min(capacity, Math.floor(limit)));
      return entriesOf(sourceId).slice(0, n);
    },
    async restore(from) {
      const ids = await from.sourceIds();
      for (const id of ids) {
        const loaded = await from.recentBySource(id, capacity);
        const current = entriesOf(id);
        const have = new Set(current.map((e) => e.id));
        buffers.set(id, [resolved(current.concat(loaded.filter((e) => !have.has(e.id))).slice(0, capacity))]);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    clear(sourceId) {
      buffers.delete(sourceId);
      pending.delete(sourceId);
    },
    close() {
      for (const [id, t] of timers) {
        clearTimeout(t as NodeJS.Timeout);
        clearImmediate(t as NodeJS.Immediate);
        publish(id);
      }
      closed = true;
    },
  };
}

/** What the debugger shows of one event of a request. */
export interface EntryFacts {
  type: string | null;
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  messageId: string | null;
}

export interface RequestOutcome {
  sourceId: string;
  receivedAt: string;
  /** Valid events, in batch order: their batch index, facts, normalized payload and an id unique to the request's event. */
  accepted: readonly { index: number; facts: EntryFacts; payload: unknown; id: string }[];
  /** Rejected events, in batch order, with the same kind of id. */
  rejected: readonly { index: number; facts: EntryFacts; payload: unknown; reason: string; id: string }[];
}

/**
 * A request's sample entries, newest (highest batch index) first, at most `limit`. Their ids
 * (`a…`, `x…`) differ from those of entries restored from the log (`e<seq>`, `r<id>`).
 */
export function sampleEntries(outcome: RequestOutcome, limit: number): SampleEntry[] {
  const out: SampleEntry[] = [];
  let a = outcome.accepted.length - 1;
  let r = outcome.rejected.length - 1;
  while (out.length < limit && (a >= 0 || r >= 0)) {
    const takeAccepted = r < 0 || (a >= 0 && outcome.accepted[a].index > outcome.rejected[r].index);
    if (takeAccepted) {
      const x = outcome.accepted[a--];
      out.push({ id: `a${x.id}`, sourceId: outcome.sourceId, receivedAt: outcome.receivedAt, ...x.facts, status: 'accepted', payload: x.payload });
    } else {
      const x = outcome.rejected[r--];
      out.push({
        id: `x${x.id}`,
        sourceId: outcome.sourceId,
        receivedAt: outcome.receivedAt,
        ...x.facts,
        status: 'rejected',
        reason: x.reason,
        payload: x.payload,
      });
    }
  }
  return out;
}
