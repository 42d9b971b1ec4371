import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api/client';
import type { WarehouseTable } from '../../src-main/core/api/users';

const OPEN_BY_DEFAULT = new Set(['users', 'events']);

/** The warehouse's tables and their columns; clicking a name inserts it into the editor. */
export function TablesPanel({ onInsert }: { onInsert: (text: string) => void }) {
  const [tables, setTables] = useState<WarehouseTable[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<Set<string>>(OPEN_BY_DEFAULT);
  const [filter, setFilter] = useState('');

  const load = useCallback(() => {
    api.warehouse.tables().then(
      (r) => {
        setTables(r.tables);
        setError(null);
      },
      (e) => setError(errorMessage(e)),
    );
  }, []);
  useEffect(() => {
    load();
    return api.subscribe((m) => m.event === 'model.changed' && load());
  }, [load]);

  const toggle = (name: string) => {
    const next = new Set(open);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setOpen(next);
  };
  const f = filter.trim().toLowerCase();
  const shown = (tables ?? [])
    .map((t) => ({ ...t, columns: f && !t.name.includes(f) ? t.columns.filter((c) => c.name.toLowerCase().includes(f)) : t.columns }))
    .filter((t) => !f || t.name.includes(f) || t.columns.length);

  return (
    <aside className="tables-panel panel" aria-label="Tables" data-testid="tables-panel">
      <div className="tables-head">
        <h2>Tables</h2>
        <button type="button" className="icon-btn" onClick={load} aria-label="Refresh tables" title="Refresh">
          ↻
        </button>
      </div>
      <input className="tables-filter" placeholder="Filter tables and columns" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter tables and columns" />
      {error && <div className="alert error small">{error}</div>}
      {!tables && !error && <p className="muted small">Loading…</p>}
      <ul className="tables-list">
        {shown.map((t) => {
          const isOpen = open.has(t.name) || !!f;
          return (
            <li key={t.name} data-table={t.name}>
              <div className="table-row">
                <button type="button" className="twisty" onClick={() => toggle(t.name)} aria-expanded={isOpen} aria-label={`${isOpen ? 'Collapse' : 'Expand'} ${t.name}`}>
                  {isOpen ? '▾' : '▸'}
                </button>
                <button type="button" className="table-name" onClick={() => onInsert(t.name)} title={`Insert ${t.name}`}>
                  {t.name}
                </button>
                {t.rows !== null && <span className="muted small">{t.rows.toLocaleString('en-US')}</span>}
              </div>
              {isOpen && (
                <ul className="columns-list">
                  {t.columns.map((c) => (
                    <li key={c.name}>
                      <button type="button" className="column-name" onClick={() => onInsert(/^[a-z_][a-z0-9_]*$/.test(c.name) ? c.name : `"${c.name.replace(/"/g, '""')}"`)} title={`Insert ${c.name}`}>
                        {c.name}
                      </button>
                      <span className="col-type">{c.type.toLowerCase()}</span>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
