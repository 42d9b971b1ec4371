import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLocation, useParams } from 'wouter';
import { api, errorMessage } from '../../api/client';
import type { CustomerModel } from '../../../src-main/core/api/model';
import type { ExportFormat, ExportStatus, UserRow } from '../../../src-main/core/api/users';
import { PageHeader } from '../../components/PageHeader';
import { ServerTable, type ServerColumn, type SortState } from '../../components/ServerTable';
import { cellText, formatBytes, formatCount, type ColumnType } from './format';
import { UserDetail } from './UserDetail';

const HIDDEN_KEY = 'krenalis.users.hiddenColumns';
const DEFAULT_HIDDEN = ['_id', '_created_at'];
const DEFAULT_SORT: SortState = { property: '_created_at', direction: 'desc' };

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function loadHidden(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(HIDDEN_KEY) ?? 'null');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : DEFAULT_HIDDEN;
  } catch {
    return DEFAULT_HIDDEN;
  }
}

export function UsersPage() {
  const params = useParams<{ id?: string }>();
  const [, navigate] = useLocation();
  const selected = params.id ? decodeURIComponent(params.id) : null;
  const [model, setModel] = useState<CustomerModel | null>(null);
  const [modelError, setModelError] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search.trim(), 300);
  const [sort, setSort] = useState<SortState>(DEFAULT_SORT);
  const [hidden, setHidden] = useState<string[]>(loadHidden);
  const [total, setTotal] = useState<number | null>(null);
  const [all, setAll] = useState<number | null>(null);
  const [chooser, setChooser] = useState(false);

  const loadModel = useCallback(() => {
    api.model.get().then(setModel, (e) => setModelError(errorMessage(e)));
  }, []);
  useEffect(() => {
    loadModel();
    return api.subscribe((m) => m.event === 'model.changed' && loadModel());
  }, [loadModel]);
  useEffect(() => {
    if (debounced === '') setAll(total);
  }, [debounced, total]);

  const columns = useMemo<(ServerColumn & { type: ColumnType })[]>(() => {
    if (!model) return [];
    const col = (id: string, type: ColumnType, label = id, size = 180): ServerColumn & { type: ColumnType } => ({
      id,
      type,
      label,
      size,
      hint: type === 'timestamptz' ? 'datetime' : type === 'id' ? undefined : type,
      render: (v) =>
        v === null || v === undefined ? <span className="null">—</span> : type === 'id' ? <span className="mono">{String(v)}</span> : cellText(v, type),
      title: (v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)),
    });
    return [
      col('_id', 'id', '_id', 290),
      ...model.properties.map((p) => col(p.name, p.type, p.name, p.name === 'email' ? 240 : p.type === 'datetime' ? 170 : 160)),
      col('_created_at', 'timestamptz', '_created_at', 170),
      col('_updated_at', 'timestamptz', '_updated_at', 170),
    ];
  }, [model]);

  // A sort on a column that no longer exists (after a model change) falls back to the default.
  useEffect(() => {
    if (model && !columns.some((c) => c.id === sort.property)) setSort(DEFAULT_SORT);
  }, [model, columns, sort.property]);

  const visibility = useMemo(() => Object.fromEntries(columns.map((c) => [c.id, !hidden.includes(c.id)])), [columns, hidden]);
  const viewKey = JSON.stringify({ s: debounced, sort, r: model?.revision });
  const fetchPage = useCallback(
    (offset: number, limit: number) =>
      api.users.list({ search: debounced || undefined, sort, offset, limit }).then((r) => ({ total: r.total, rows: r.users })),
    [debounced, sort],
  );
  const toggle = (id: string) => {
    const next = hidden.includes(id) ? hidden.filter((h) => h !== id) : [...hidden, id];
    setHidden(next);
    localStorage.setItem(HIDDEN_KEY, JSON.stringify(next));
  };
  const visibleIds = columns.filter((c) => !hidden.includes(c.id)).map((c) => c.id);
  const close = useCallback(() => navigate('/users'), [navigate]);

  const subtitle =
    total === null ? (
      'Loading…'
    ) : debounced ? (
      <span data-testid="users-total">
        {formatCount(total)} matching {total === 1 ? 'user' : 'users'}
        {all !== null ? ` of ${formatCount(all)}` : ''}
      </span>
    ) : (
      <span data-testid="users-total">
        {formatCount(total)} {total === 1 ? 'user' : 'users'} in the warehouse
      </span>
    );

  return (
    <div className={`page users-page${selected ? ' with-detail' : ''}`}>
      <PageHeader
        title="Users"
        subtitle={subtitle}
        actions={model && <ExportButton search={debounced} sort={sort} columns={visibleIds} total={total} />}
      />
      <div className="users-toolbar">
        <div className="search-box">
          <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            <circle cx="11" cy="11" r="7" />
            <path d="m20 20-3.5-3.5" />
          </svg>
          <input
            type="search"
            placeholder="Search email, name, any text property, or an exact userId / anonymousId"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            aria-label="Search users"
            maxLength={200}
          />
        </div>
        <div className="sort-chip" data-testid="sort-chip">
          Sorted by <code>{sort.property}</code> {sort.direction === 'asc' ? 'ascending' : 'descending'}
          {(sort.property !== DEFAULT_SORT.property || sort.direction !== DEFAULT_SORT.direction) && (
            <button type="button" className="link-btn" onClick={() => setSort(DEFAULT_SORT)} title="Newest users first">
              Reset
            </button>
          )}
        </div>
        <div className="column-chooser">
          <button type="button" className="btn" onClick={() => setChooser(!chooser)} aria-expanded={chooser} aria-haspopup="true">
            Columns <span className="muted">{visibleIds.length}/{columns.length}</span>
          </button>
          {chooser && (
            <ColumnChooser
              columns={columns}
              hidden={hidden}
              onToggle={toggle}
              onReset={() => {
                setHidden(DEFAULT_HIDDEN);
                localStorage.removeItem(HIDDEN_KEY);
              }}
              onClose={() => setChooser(false)}
            />
          )}
        </div>
      </div>
      {modelError && <div className="alert error">{modelError}</div>}
      <div className="users-body">
        <section className="panel results users-grid">
          {model && (
            <ServerTable<UserRow>
              columns={columns}
              visibility={visibility}
              sort={sort}
              onSort={setSort}
              viewKey={viewKey}
              fetchPage={fetchPage}
              onTotal={(t) => setTotal(t)}
              rowKey={(r) => r._id}
              selectedKey={selected}
              onRowClick={(r) => navigate(`/users/${encodeURIComponent(r._id)}`)}
              height="calc(100vh - 190px)"
              emptyText={
                debounced
                  ? `No user matches "${debounced}".`
                  : 'No users yet. Add an "Import users into warehouse" pipeline to a source to fill this table.'
              }
            />
          )}
        </section>
        {selected && <UserDetail id={selected} model={model} onClose={close} />}
      </div>
    </div>
  );
}

function ColumnChooser({
  columns,
  hidden,
  onToggle,
  onReset,
  onClose,
}: {
  columns: ServerColumn[];
  hidden: string[];
  onToggle: (id: string) => void;
  onReset: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onDown = (e: MouseEvent) => ref.current?.parentElement?.contains(e.target as Node) || onClose();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [onClose]);
  return (
    <div className="popover column-list" ref={ref} role="dialog" aria-label="Choose columns" data-testid="column-chooser">
      <div className="popover-head">
        <strong>Columns</strong>
        <button type="button" className="link-btn" onClick={onReset}>
          Reset
        </button>
      </div>
      <ul>
        {columns.map((c) => (
          <li key={c.id}>
            <label>
              <input type="checkbox" checked={!hidden.includes(c.id)} onChange={() => onToggle(c.id)} />
              <span className="col-name">{c.label}</span>
              {c.hint && <span className="muted small">{c.hint}</span>}
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ExportButton({ search, sort, columns, total }: { search: string; sort: SortState; columns: string[]; total: number | null }) {
  const [open, setOpen] = useState(false);
  const [job, setJob] = useState<ExportStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const downloaded = useRef<string | null>(null);

  useEffect(() => {
    if (!job || job.state !== 'running') return;
    const id = job.id;
    const off = api.subscribe((m) => {
      if (m.event === 'users.export' && (m.payload as ExportStatus).id === id) setJob(m.payload as ExportStatus);
    });
    // Polling as well: push events may be missed while the live connection reconnects.
    const t = setInterval(() => api.users.exportStatus({ id }).then(setJob, () => undefined), 1000);
    return () => {
      off();
      clearInterval(t);
    };
  }, [job?.id, job?.state]);

  useEffect(() => {
    if (job?.state === 'done' && job.downloadPath && downloaded.current !== job.id) {
      downloaded.current = job.id;
      if (window.krenalis) {
        // Desktop: the main process shows a save dialog and copies the file (saveExportTo in core).
        window.krenalis.saveExport(job.id, job.fileName).catch((e: Error) => setError(e.message));
        return;
      }
      const a = document.createElement('a');
      a.href = `${location.origin}${job.downloadPath}`;
      a.download = job.fileName;
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
  }, [job]);

  async function start(format: ExportFormat) {
    setOpen(false);
    setError(null);
    try {
      setJob(await api.users.export({ format, search: search || undefined, sort, columns }));
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  const running = job?.state === 'running';
  return (
    <div className="export-box">
      {job && (
        <div className={`export-status ${job.state}`} role="status" data-testid="export-status">
          {running && (
            <>
              <span className="progress">
                <span style={{ width: `${Math.round(job.progress * 100)}%` }} />
              </span>
              Exporting {formatCount(job.rows)} users… {Math.round(job.progress * 100)}%
              <button type="button" className="link-btn" onClick={() => api.users.exportCancel({ id: job.id }).then(setJob, () => undefined)}>
                Cancel
              </button>
            </>
          )}
          {job.state === 'done' && (
            <>
              Exported {formatCount(job.rows)} users ({formatBytes(job.bytes)}) — {job.fileName}
            </>
          )}
          {job.state === 'failed' && <>Export failed: {job.error}</>}
          {job.state === 'cancelled' && <>Export cancelled</>}
        </div>
      )}
      {error && <span className="export-error">{error}</span>}
      <div className="menu">
        <button type="button" className="btn" onClick={() => setOpen(!open)} disabled={running || !total} aria-haspopup="menu" aria-expanded={open}>
          Export ▾
        </button>
        {open && (
          <div className="menu-list" role="menu">
            <button type="button" role="menuitem" className="menu-item" onClick={() => start('csv')}>
              CSV <span className="muted small">current view</span>
            </button>
            <button type="button" role="menuitem" className="menu-item" onClick={() => start('parquet')}>
              Parquet <span className="muted small">current view</span>
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
