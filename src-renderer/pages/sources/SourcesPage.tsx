import { useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, errorMessage } from '../../api/client';
import type { Source } from '../../../src-main/core/api/sources';
import { Menu } from '../../components/Menu';
import { PageHeader } from '../../components/PageHeader';
import { SegmentLogo } from '../../components/SegmentLogo';
import { Icon } from '../../components/icons';
import { DeleteSourceDialog, RenameSourceDialog } from './dialogs';
import { formatCount, fullTime, relativeTime } from './format';
import { useSourceStats, type StatsState } from './useSourceStats';

const DAY = 24 * 3600 * 1000;

/** Status of a connection, from its event statistics. */
export function sourceStatus(s: StatsState | undefined): { label: string; tone: 'ok' | 'idle' | 'waiting' | 'unknown'; title: string } {
  if (!s || s.status === 'loading') return { label: '…', tone: 'unknown', title: 'Loading' };
  if (s.status === 'unavailable') return { label: '', tone: 'unknown', title: s.message };
  const last = s.stats.lastEventAt;
  if (!last) return { label: 'Waiting for events', tone: 'waiting', title: 'No event received yet: set up the Webhook destination in Segment' };
  if (Date.now() - new Date(last).getTime() < DAY) return { label: 'Receiving', tone: 'ok', title: `Last event ${fullTime(last)}` };
  return { label: 'Idle', tone: 'idle', title: `No event in the last 24 hours (last ${fullTime(last)})` };
}

export function StatusBadge({ state }: { state: StatsState | undefined }) {
  const st = sourceStatus(state);
  if (!st.label) return null;
  return (
    <span className={`status-badge ${st.tone}`} title={st.title}>
      <span className="dot" />
      {st.label}
    </span>
  );
}

export function SourcesPage() {
  const [sources, setSources] = useState<Source[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<Source | null>(null);
  const [deleting, setDeleting] = useState<Source | null>(null);
  const [, navigate] = useLocation();
  const stats = useSourceStats(sources?.map((s) => s.id) ?? []);

  const load = () =>
    api.sources.list().then(
      (r) => {
        setSources(r.sources);
        setError(null);
      },
      (e) => setError(errorMessage(e)),
    );
  useEffect(() => {
    void load();
  }, []);

  const addButton = (
    <Link href="/sources/new" className="btn primary">
      <Icon name="plus" size={16} />
      Add a new source
    </Link>
  );

  return (
    <div className="page">
      <PageHeader title="Sources" subtitle="Where your events come from. Connect Segment and watch its events arrive live." actions={addButton} />
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      {sources === null && !error && <p className="muted">Loading…</p>}
      {sources?.length === 0 && (
        <div className="empty-state sources-empty">
          <SegmentLogo size={44} />
          <h2>No source connections yet</h2>
          <p>
            Click <strong>Add a new source</strong> and pick the <strong>Segment</strong> card. You will get an event write key
            and an endpoint URL to paste into Segment's Webhook destination.
          </p>
        </div>
      )}
      {sources && sources.length > 0 && (
        <div className="panel table-panel">
          <table className="list-table" data-testid="sources-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th className="num">Events today</th>
                <th>Last event</th>
                <th>Status</th>
                <th className="actions" aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => {
                const st = stats[s.id];
                const ok = st?.status === 'ok' ? st.stats : null;
                return (
                  <tr key={s.id} className="clickable" onClick={() => navigate(`/sources/${s.id}`)}>
                    <td className="name-cell">
                      <Link href={`/sources/${s.id}`} className="row-link" title={s.name} onClick={(e) => e.stopPropagation()}>
                        {s.name}
                      </Link>
                    </td>
                    <td>
                      <span className="type-cell">
                        <SegmentLogo size={20} />
                        Segment
                      </span>
                    </td>
                    <td className="num" title={st?.status === 'unavailable' ? st.message : undefined}>
                      {ok ? formatCount(ok.today) : <span className="muted">—</span>}
                    </td>
                    <td title={ok?.lastEventAt ? fullTime(ok.lastEventAt) : undefined}>
                      {ok?.lastEventAt ? relativeTime(ok.lastEventAt) : <span className="muted">{ok ? 'Never' : '—'}</span>}
                    </td>
                    <td title={st?.status === 'unavailable' ? st.message : undefined}>
                      {st?.status === 'unavailable' ? <span className="muted">—</span> : <StatusBadge state={st} />}
                    </td>
                    <td className="actions" onClick={(e) => e.stopPropagation()}>
                      <Menu
                        label={`Actions for ${s.name}`}
                        items={[
                          { label: 'Rename', onSelect: () => setRenaming(s) },
                          { label: 'Delete', danger: true, onSelect: () => setDeleting(s) },
                        ]}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {renaming && (
        <RenameSourceDialog
          source={renaming}
          onClose={() => setRenaming(null)}
          onDone={(u) => setSources((list) => list?.map((x) => (x.id === u.id ? u : x)) ?? null)}
        />
      )}
      {deleting && <DeleteSourceDialog source={deleting} onClose={() => setDeleting(null)} onDone={() => void load()} />}
    </div>
  );
}
