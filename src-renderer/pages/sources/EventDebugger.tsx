import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Link } from 'wouter';
import { errorMessage, onLiveStatus } from '../../api/client';
import type { LiveStatus } from '../../api/http';
import { JsonViewer } from '../../components/JsonViewer';
import { isUnknownMethod, onEventsReceived, recentEvents, type DebuggerEvent } from './eventsApi';
import { eventTime, formatCount, fullTime } from './format';
import { SIcon } from './icons';
import { useSourceStats } from './useSourceStats';

/** At most this many events are kept in memory (list and paused buffer each). */
export const MAX_EVENTS = 300;
const TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'];

interface State {
  events: DebuggerEvent[];
  pending: DebuggerEvent[];
  paused: boolean;
  loaded: boolean;
  /** After "Clear": events at or before this point stay hidden, even when the sample is reloaded. */
  cleared: { at: string; ids: Set<string> } | null;
}
type Action =
  | { type: 'load'; events: DebuggerEvent[] }
  | { type: 'push'; events: DebuggerEvent[] }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'clear' }
  | { type: 'reset' };

const initial: State = { events: [], pending: [], paused: false, loaded: false, cleared: null };

/** Newest first, one entry per id, at most MAX_EVENTS. Ties keep the order given (fresh entries first). */
export function mergeEvents(current: DebuggerEvent[], incoming: DebuggerEvent[]): DebuggerEvent[] {
  const seen = new Set<string>();
  const out: DebuggerEvent[] = [];
  for (const e of [...incoming, ...current]) {
    if (!e || typeof e.id !== 'string' || seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
  }
  out.sort((a, b) => (a.receivedAt === b.receivedAt ? 0 : a.receivedAt < b.receivedAt ? 1 : -1));
  return out.length > MAX_EVENTS ? out.slice(0, MAX_EVENTS) : out;
}

function reducer(s: State, a: Action): State {
  switch (a.type) {
    case 'load':
    case 'push': {
      const c = s.cleared;
      const incoming = c ? a.events.filter((e) => !c.ids.has(e.id) && e.receivedAt >= c.at) : a.events;
      if (a.type === 'push' && s.paused) return { ...s, pending: mergeEvents(s.pending, incoming) };
      return { ...s, events: mergeEvents(s.events, incoming), loaded: s.loaded || a.type === 'load' };
    }
    case 'pause':
      return { ...s, paused: true };
    case 'resume':
      return { ...s, paused: false, events: mergeEvents(s.events, s.pending), pending: [] };
    case 'clear': {
      const all = [...s.events, ...s.pending];
      const at = all.reduce((m, e) => (e.receivedAt > m ? e.receivedAt : m), '');
      return { ...s, events: [], pending: [], cleared: { at, ids: new Set(all.map((e) => e.id)) } };
    }
    case 'reset':
      return initial;
  }
}

/** What the "Event" column shows: the track event's name, a page's name, a group's id... */
export function eventLabel(e: DebuggerEvent): string {
  const p = (e.payload && typeof e.payload === 'object' ? e.payload : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  switch (e.type) {
    case 'track':
      return str(e.event ?? p.event);
    case 'page':
    case 'screen':
      return str(p.name) || str((p.properties as Record<string, unknown> | undefined)?.title) || str((p.properties as Record<string, unknown> | undefined)?.path);
    case 'group':
      return str(p.groupId);
    case 'alias':
      return str(p.previousId) ? `from ${str(p.previousId)}` : '';
    case 'identify': {
      const t = (p.traits && typeof p.traits === 'object' ? p.traits : {}) as Record<string, unknown>;
      return str(t.email) || str(t.name);
    }
    default:
      return str(e.event);
  }
}

function UserCell({ e }: { e: DebuggerEvent }) {
  if (e.userId) return <span title={`userId: ${e.userId}`}>{e.userId}</span>;
  if (e.anonymousId)
    return (
      <span title={`anonymousId: ${e.anonymousId}`}>
        <span className="anon-tag">anon</span> {e.anonymousId}
      </span>
    );
  return <span className="muted">—</span>;
}

export function EventDebugger({ sourceId }: { sourceId: string }) {
  const [state, dispatch] = useReducer(reducer, initial);
  const [error, setError] = useState<{ message: string; notWired: boolean } | null>(null);
  const [live, setLive] = useState<LiveStatus>('connecting');
  const [filter, setFilter] = useState('all');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const stats = useSourceStats([sourceId])[sourceId];
  const wasOffline = useRef(false);

  useEffect(() => {
    dispatch({ type: 'reset' });
    setError(null);
    setSelectedId(null);
    let alive = true;
    // Subscribe first, then load the sample: nothing that arrives in between is lost (merge dedupes).
    // Pushes carry their events newest first, like events.recent.
    const off = onEventsReceived((p) => p.sourceId === sourceId && dispatch({ type: 'push', events: p.events }));
    const load = () =>
      recentEvents(sourceId, 100).then(
        (r) => {
          if (!alive) return;
          setError(null);
          dispatch({ type: 'load', events: Array.isArray(r?.events) ? r.events : [] });
        },
        (err) => alive && setError({ message: errorMessage(err), notWired: isUnknownMethod(err) }),
      );
    void load();
    const offStatus = onLiveStatus((s) => {
      setLive(s);
      // Pushes sent while the socket was down are gone: reload the sample when it is back.
      if (s === 'offline') wasOffline.current = true;
      if (s === 'online' && wasOffline.current) {
        wasOffline.current = false;
        void load();
      }
    });
    return () => {
      alive = false;
      off();
      offStatus();
    };
  }, [sourceId]);

  const typesSeen = useMemo(() => {
    const extra = new Set<string>();
    for (const e of state.events) if (e.type && !TYPES.includes(e.type)) extra.add(e.type);
    return [...TYPES, ...extra];
  }, [state.events]);

  const visible = useMemo(
    () =>
      state.events.filter((e) =>
        filter === 'all' ? true : filter === 'rejected' ? e.status === 'rejected' : filter === 'unknown' ? !e.type : e.type === filter,
      ),
    [state.events, filter],
  );
  const selected = state.events.find((e) => e.id === selectedId) ?? null;

  const liveLabel = live === 'offline' ? 'Offline' : state.paused ? 'Paused' : live === 'online' ? 'Live' : 'Connecting…';
  const liveTone = live === 'offline' ? 'offline' : state.paused ? 'paused' : live === 'online' ? 'online' : 'connecting';
  const s = stats?.status === 'ok' ? stats.stats : null;

  return (
    <div className="debugger" data-testid="event-debugger">
      <div className="debugger-head">
        <div>
          <h2>Event debugger</h2>
          <p className="muted">A live sample of the most recent events received for this source, newest first.</p>
        </div>
        {s && (
          <dl className="stat-strip" data-testid="event-stats">
            <div>
              <dt>Received</dt>
              <dd>{formatCount(s.received)}</dd>
            </div>
            <div>
              <dt>Accepted</dt>
              <dd>{formatCount(s.accepted)}</dd>
            </div>
            <div className={s.rejected ? 'bad' : undefined}>
              <dt>Rejected</dt>
              <dd>{formatCount(s.rejected)}</dd>
            </div>
            <div>
              <dt>Duplicates</dt>
              <dd>{formatCount(s.duplicates)}</dd>
            </div>
          </dl>
        )}
      </div>

      {error && (
        <div className="alert error" role="alert" data-testid="debugger-error">
          {error.notWired ? (
            <>
              <strong>The Event debugger is not available in this build.</strong> The app does not provide the events API yet
              ({error.message}). Events sent to the endpoint are not shown here.
            </>
          ) : (
            <>
              <strong>Could not load the recent events.</strong> {error.message}
            </>
          )}
        </div>
      )}
      {live === 'offline' && (
        <div className="alert warn" role="status" data-testid="debugger-offline">
          <strong>Offline.</strong> The live connection to the app dropped; reconnecting… Events received meanwhile will be
          loaded when it is back.
        </div>
      )}

      <div className="debugger-toolbar">
        <span className={`live-pill ${liveTone}`} role="status" data-testid="debugger-live">
          <span className="dot" />
          {liveLabel}
        </span>
        <span className="muted small">
          {visible.length === state.events.length
            ? `${formatCount(state.events.length)} event${state.events.length === 1 ? '' : 's'}`
            : `${formatCount(visible.length)} of ${formatCount(state.events.length)} events`}
        </span>
        <span className="spacer" />
        <label className="inline-field">
          <span>Type</span>
          <select value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter by type">
            <option value="all">All types</option>
            {typesSeen.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
            <option value="rejected">Rejected only</option>
          </select>
        </label>
        <button type="button" className="btn small" onClick={() => dispatch({ type: state.paused ? 'resume' : 'pause' })}>
          <SIcon name={state.paused ? 'play' : 'pause'} size={14} />
          {state.paused ? 'Resume' : 'Pause'}
        </button>
        <button
          type="button"
          className="btn small"
          onClick={() => {
            dispatch({ type: 'clear' });
            setSelectedId(null);
          }}
          disabled={state.events.length === 0 && state.pending.length === 0}
          title="Clear the list in this window (stored events are not deleted)"
        >
          <SIcon name="clear" size={14} />
          Clear
        </button>
      </div>

      {state.paused && (
        <div className="paused-bar" role="status">
          Paused: {state.pending.length ? `${formatCount(state.pending.length)} new event${state.pending.length === 1 ? '' : 's'} waiting` : 'new events are held back'}.
          <button type="button" className="btn small" onClick={() => dispatch({ type: 'resume' })}>
            Resume
          </button>
        </div>
      )}

      <div className={selected ? 'debugger-body with-detail' : 'debugger-body'}>
        <div className="dbg-list-wrap">
          {state.events.length === 0 ? (
            <DebuggerEmpty sourceId={sourceId} loading={!state.loaded && !error} failed={!state.loaded && !!error} cleared={state.cleared !== null} />
          ) : (
            <div className="dbg-list" aria-label="Events" data-testid="event-list">
              <div className="dbg-row head" aria-hidden="true">
                <span>Time</span>
                <span>Type</span>
                <span>Event</span>
                <span>User</span>
              </div>
              {visible.length === 0 && <p className="muted pad">No {filter === 'rejected' ? 'rejected' : filter} events in the list.</p>}
              {visible.map((e) => {
                const label = eventLabel(e);
                return (
                  <button
                    type="button"
                    key={e.id}
                    className={`dbg-row ${e.status}${e.id === selectedId ? ' selected' : ''}`}
                    aria-current={e.id === selectedId}
                    onClick={() => setSelectedId(e.id === selectedId ? null : e.id)}
                    data-testid="event-row"
                    data-status={e.status}
                  >
                    <span className="ev-time" title={fullTime(e.receivedAt)}>
                      {eventTime(e.receivedAt)}
                    </span>
                    <span>
                      <span className={`type-badge t-${e.type ?? 'unknown'}`}>{e.type ?? 'unknown'}</span>
                    </span>
                    <span className="ev-name" title={label}>
                      {e.status === 'rejected' && <span className="status-tag rejected">Rejected</span>}
                      {e.status === 'duplicate' && <span className="status-tag duplicate">Duplicate</span>}
                      {label || (e.status !== 'rejected' && <span className="muted">—</span>)}
                    </span>
                    <span className="ev-user">
                      <UserCell e={e} />
                    </span>
                    {e.status === 'rejected' && (
                      <span className="ev-reason" title={e.reason}>
                        {e.reason || 'Rejected'}
                      </span>
                    )}
                  </button>
                );
              })}
            </div>
          )}
        </div>
        {selected && <EventDetail event={selected} onClose={() => setSelectedId(null)} />}
      </div>
    </div>
  );
}

function DebuggerEmpty({ sourceId, loading, failed, cleared }: { sourceId: string; loading: boolean; failed: boolean; cleared: boolean }) {
  if (loading) return <p className="muted pad">Loading recent events…</p>;
  if (failed) return <p className="muted pad">No events to show.</p>;
  if (cleared)
    return (
      <div className="empty-state compact" data-testid="debugger-empty">
        <h3>List cleared</h3>
        <p className="muted">New events appear here as they arrive.</p>
      </div>
    );
  return (
    <div className="empty-state compact" data-testid="debugger-empty">
      <div className="pulse" aria-hidden="true" />
      <h3>Waiting for events</h3>
      <p>
        Generate an <code>identify</code> event in Segment (for example by signing in to your app). It appears here within a few
        seconds, and you can click it to see its JSON payload.
      </p>
      <p className="muted small">
        Nothing after a few seconds? Check your application logs, and that the Webhook destination uses this source's event
        write key and endpoint URL (<Link href={`/sources/${sourceId}/settings`}>Settings → Event write keys</Link>).
      </p>
    </div>
  );
}

/** The debugger keeps `{truncated: true, bytes, preview}` for payloads too large to keep whole. */
function isTruncated(p: unknown): p is { truncated: true; bytes: number; preview: string } {
  const v = p as { truncated?: unknown; bytes?: unknown } | null;
  return !!v && typeof v === 'object' && v.truncated === true && typeof v.bytes === 'number';
}

function EventDetail({ event: e, onClose }: { event: DebuggerEvent; onClose: () => void }) {
  const label = eventLabel(e);
  return (
    <aside className="dbg-detail" aria-label="Event details" data-testid="event-detail">
      <div className="dbg-detail-head">
        <span className={`type-badge t-${e.type ?? 'unknown'}`}>{e.type ?? 'unknown'}</span>
        <strong className="ellipsis" title={label}>
          {label || (e.type ? `${e.type} event` : 'Event')}
        </strong>
        <span className={`status-tag ${e.status}`}>{e.status === 'accepted' ? 'Accepted' : e.status === 'rejected' ? 'Rejected' : 'Duplicate'}</span>
        <span className="spacer" />
        <button type="button" className="icon-btn" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </div>
      {e.status === 'rejected' && (
        <div className="alert error" role="note" data-testid="event-reason">
          <strong>Rejected:</strong> {e.reason || 'no reason given'}
        </div>
      )}
      {e.status === 'duplicate' && <div className="alert info">Already received (same messageId): stored once.</div>}
      {isTruncated(e.payload) && (
        <div className="alert info">
          Too large to keep in full for the debugger ({formatCount(e.payload.bytes)} bytes): its beginning is shown as{' '}
          <code>preview</code>.
        </div>
      )}
      <dl className="dbg-meta">
        <dt>Received</dt>
        <dd title={e.receivedAt}>{fullTime(e.receivedAt)}</dd>
        {e.messageId && (
          <>
            <dt>Message ID</dt>
            <dd className="ellipsis" title={e.messageId}>
              {e.messageId}
            </dd>
          </>
        )}
        {e.userId && (
          <>
            <dt>User ID</dt>
            <dd className="ellipsis" title={e.userId}>
              {e.userId}
            </dd>
          </>
        )}
        {e.anonymousId && (
          <>
            <dt>Anonymous ID</dt>
            <dd className="ellipsis" title={e.anonymousId}>
              {e.anonymousId}
            </dd>
          </>
        )}
      </dl>
      <JsonViewer value={e.payload} testId="event-json" />
    </aside>
  );
}
