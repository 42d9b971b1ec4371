import { useEffect, useRef, useState } from 'react';
import { eventStats, isUnknownMethod, onEventsReceived, type EventStats } from './eventsApi';

export type StatsState = { status: 'loading' } | { status: 'ok'; stats: EventStats } | { status: 'unavailable'; message: string };

/**
 * events.stats for each source, refreshed when an 'events.received' push names
 * the source (coalesced over 100 ms per source): push-driven, no polling.
 */
export function useSourceStats(sourceIds: string[]): Record<string, StatsState> {
  const [stats, setStats] = useState<Record<string, StatsState>>({});
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const key = sourceIds.join(',');
  useEffect(() => {
    let alive = true;
    const ids = key ? key.split(',') : [];
    const load = (id: string) =>
      eventStats(id).then(
        (s) => alive && setStats((prev) => ({ ...prev, [id]: { status: 'ok', stats: s } })),
        (err) =>
          alive &&
          setStats((prev) => ({
            ...prev,
            [id]: { status: 'unavailable', message: isUnknownMethod(err) ? 'Event statistics are not available in this build' : String(err?.message ?? err) },
          })),
      );
    ids.forEach(load);
    const pending = timers.current;
    const off = onEventsReceived(({ sourceId }) => {
      if (!ids.includes(sourceId) || pending.has(sourceId)) return;
      pending.set(
        sourceId,
        setTimeout(() => {
          pending.delete(sourceId);
          void load(sourceId);
        }, 100),
      );
    });
    return () => {
      alive = false;
      off();
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
    };
  }, [key]);
  return stats;
}
