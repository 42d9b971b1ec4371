import { useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, errorMessage } from '../../api/client';
import type { Source } from '../../../src-main/core/api/sources';
import { Menu } from '../../components/Menu';
import { SegmentLogo } from '../../components/SegmentLogo';
import { PipelinesTab } from '../pipelines/PipelinesTab';
import { justCreated } from './CatalogPage';
import { DeleteSourceDialog, RenameSourceDialog } from './dialogs';
import { EventDebugger } from './EventDebugger';
import { shortDate } from './format';
import { SIcon } from './icons';
import { SettingsTab } from './SettingsTab';
import { StatusBadge } from './SourcesPage';
import { useSourceStats } from './useSourceStats';

const TABS = [
  { id: 'settings', label: 'Settings' },
  { id: 'debugger', label: 'Event debugger' },
  { id: 'pipelines', label: 'Pipelines' },
] as const;
type TabId = (typeof TABS)[number]['id'];

export function ConnectionPage({ params }: { params: { id: string; tab?: string } }) {
  const { id } = params;
  const tab: TabId = TABS.some((t) => t.id === params.tab) ? (params.tab as TabId) : 'settings';
  const [source, setSource] = useState<Source | null>(null);
  const [error, setError] = useState<{ message: string; missing: boolean } | null>(null);
  const [dialog, setDialog] = useState<'rename' | 'delete' | null>(null);
  const [welcome] = useState(() => justCreated.has(id));
  const [, navigate] = useLocation();
  const stats = useSourceStats(source ? [source.id] : []);

  useEffect(() => {
    justCreated.delete(id);
    setSource(null);
    setError(null);
    api.sources.get({ id }).then(setSource, (e) =>
      setError({ message: errorMessage(e), missing: (e as { code?: string }).code === 'not_found' }),
    );
  }, [id]);

  if (error) {
    return (
      <div className="page">
        <Link href="/sources" className="back-link">
          <SIcon name="back" size={14} /> Sources
        </Link>
        {error.missing ? (
          <div className="empty-state">
            <h2>This source does not exist</h2>
            <p>It may have been deleted. Its events, if any, are still in the warehouse.</p>
            <Link href="/sources" className="btn">
              Back to Sources
            </Link>
          </div>
        ) : (
          <div className="alert error" role="alert">
            {error.message}
          </div>
        )}
      </div>
    );
  }
  if (!source) return <div className="page muted">Loading…</div>;

  return (
    <div className="page connection-page">
      <Link href="/sources" className="back-link">
        <SIcon name="back" size={14} /> Sources
      </Link>
      <header className="connection-header">
        <SegmentLogo size={44} />
        <div className="connection-title">
          <h1 title={source.name}>{source.name}</h1>
          <p className="subtitle">
            Segment source · added {shortDate(source.createdAt)}
            {stats[source.id]?.status === 'ok' && (
              <>
                {' · '}
                <StatusBadge state={stats[source.id]} />
              </>
            )}
          </p>
        </div>
        <Menu
          label="Source actions"
          items={[
            { label: 'Rename', onSelect: () => setDialog('rename') },
            { label: 'Delete', danger: true, onSelect: () => setDialog('delete') },
          ]}
        />
      </header>
      <nav className="tabs" role="tablist" aria-label="Connection">
        {TABS.map((t) => (
          <Link key={t.id} href={`/sources/${id}/${t.id}`} role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'tab active' : 'tab'}>
            {t.label}
          </Link>
        ))}
      </nav>
      <div className="tab-panel" role="tabpanel">
        {tab === 'settings' && <SettingsTab source={source} welcome={welcome} onRename={() => setDialog('rename')} onDelete={() => setDialog('delete')} />}
        {tab === 'debugger' && <EventDebugger sourceId={source.id} />}
        {tab === 'pipelines' && <PipelinesTab sourceId={source.id} />}
      </div>
      {dialog === 'rename' && <RenameSourceDialog source={source} onClose={() => setDialog(null)} onDone={setSource} />}
      {dialog === 'delete' && <DeleteSourceDialog source={source} onClose={() => setDialog(null)} onDone={() => navigate('/sources')} />}
    </div>
  );
}
