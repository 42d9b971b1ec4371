import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type ColumnSizingState,
  type VisibilityState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';

export interface ServerColumn {
  id: string;
  label: string;
  /** Shown under the label (e.g. the property type). */
  hint?: string;
  size?: number;
  render?: (value: unknown) => ReactNode;
  title?: (value: unknown) => string;
}

export interface SortState {
  property: string;
  direction: 'asc' | 'desc';
}

export interface PageResult<R> {
  total: number;
  rows: R[];
}

const ROW_HEIGHT = 32;
const BLOCK = 100;
/** Blocks kept in memory; the farthest from the visible rows are evicted beyond this. */
const MAX_BLOCKS = 60;

/**
 * A virtualized grid over a server-paged list (TanStack Table for the columns, sizing and
 * visibility; TanStack Virtual for the rows). Rows are fetched in blocks of 100 as they
 * scroll into view; changing `viewKey` (search, sort) starts over from the top.
 */
export function ServerTable<R extends Record<string, unknown>>({
  columns,
  visibility,
  sort,
  onSort,
  viewKey,
  fetchPage,
  onTotal,
  onRowClick,
  rowKey,
  selectedKey,
  height,
  emptyText = 'No rows.',
}: {
  columns: ServerColumn[];
  visibility: VisibilityState;
  sort: SortState | null;
  onSort: (s: SortState) => void;
  viewKey: string;
  fetchPage: (offset: number, limit: number) => Promise<PageResult<R>>;
  onTotal?: (total: number | null, error: string | null) => void;
  onRowClick?: (row: R) => void;
  rowKey: (row: R) => string;
  selectedKey?: string | null;
  height: number | string;
  emptyText?: string;
}) {
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const blocks = useRef(new Map<number, R[]>());
  const inflight = useRef(new Set<number>());
  const keyRef = useRef(viewKey);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const onTotalRef = useRef(onTotal);
  onTotalRef.current = onTotal;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [sizing, setSizing] = useState<ColumnSizingState>({});

  const defs = useMemo<ColumnDef<R>[]>(
    () => columns.map((c) => ({ id: c.id, header: c.label, accessorFn: (r: R) => r[c.id], size: c.size ?? 180, minSize: 60, maxSize: 900 })),
    [columns],
  );
  const table = useReactTable<R>({
    data: [],
    columns: defs,
    state: { columnVisibility: visibility, columnSizing: sizing },
    onColumnSizingChange: setSizing,
    columnResizeMode: 'onChange',
    manualSorting: true,
    getCoreRowModel: getCoreRowModel(),
  });
  const leaf = table.getVisibleLeafColumns();
  const byId = useMemo(() => new Map(columns.map((c) => [c.id, c])), [columns]);

  function load(block: number) {
    if (blocks.current.has(block) || inflight.current.has(block)) return;
    const key = keyRef.current;
    inflight.current.add(block);
    fetchRef.current(block * BLOCK, BLOCK).then(
      (r) => {
        if (keyRef.current !== key) return;
        inflight.current.delete(block);
        blocks.current.set(block, r.rows);
        setTotal(r.total);
        setError(null);
        onTotalRef.current?.(r.total, null);
        setTick((t) => t + 1);
      },
      (err: Error) => {
        if (keyRef.current !== key) return;
        inflight.current.delete(block);
        setError(err.message);
        onTotalRef.current?.(null, err.message);
      },
    );
  }

  // A new view (search, sort, model): forget every block and start from the top.
  useEffect(() => {
    keyRef.current = viewKey;
    blocks.current.clear();
    inflight.current.clear();
    setTotal(null);
    setError(null);
    scrollRef.current?.scrollTo({ top: 0 });
    load(0);
  }, [viewKey]);

  const count = total ?? 0;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index : 0;

  useEffect(() => {
    if (total === null) return;
    const from = Math.floor(first / BLOCK);
    const to = Math.floor(last / BLOCK);
    for (let b = from; b <= to; b++) load(b);
    if (blocks.current.size > MAX_BLOCKS) {
      const far = [...blocks.current.keys()].sort((a, b) => Math.abs(b - from) - Math.abs(a - from));
      for (const b of far.slice(0, blocks.current.size - MAX_BLOCKS)) blocks.current.delete(b);
    }
  }, [first, last, total]);

  const rowAt = (i: number): R | undefined => blocks.current.get(Math.floor(i / BLOCK))?.[i % BLOCK];
  const padTop = items.length ? items[0].start : 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  const width = leaf.reduce((s, c) => s + c.getSize(), 0);

  return (
    <div className="server-table" ref={scrollRef} style={{ height }} data-testid="server-table">
      <table style={{ width }}>
        <colgroup>
          {leaf.map((c) => (
            <col key={c.id} style={{ width: c.getSize() }} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => {
                const col = byId.get(h.column.id)!;
                const active = sort?.property === h.column.id;
                const dir = active ? sort!.direction : null;
                return (
                  <th key={h.id} aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'} className={active ? 'sorted' : undefined}>
                    <button
                      type="button"
                      className="th-sort"
                      title={`Sort by ${col.label}`}
                      onClick={() => onSort({ property: h.column.id, direction: active && dir === 'asc' ? 'desc' : 'asc' })}
                    >
                      <span className="th-label">{col.label}</span>
                      {col.hint && <span className="th-hint">{col.hint}</span>}
                      <span className="th-arrow" aria-hidden="true">
                        {dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : ''}
                      </span>
                    </button>
                    <span
                      className={`th-resize${h.column.getIsResizing() ? ' resizing' : ''}`}
                      onMouseDown={h.getResizeHandler()}
                      onTouchStart={h.getResizeHandler()}
                      onClick={(e) => e.stopPropagation()}
                      aria-hidden="true"
                    />
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {padTop > 0 && (
            <tr style={{ height: padTop }}>
              <td colSpan={leaf.length} />
            </tr>
          )}
          {items.map((vi) => {
            const row = rowAt(vi.index);
            if (!row) {
              return (
                <tr key={`p${vi.index}`} className="placeholder" style={{ height: ROW_HEIGHT }}>
                  {leaf.map((c) => (
                    <td key={c.id}>
                      <span className="skeleton" />
                    </td>
                  ))}
                </tr>
              );
            }
            const key = rowKey(row);
            return (
              <tr
                key={key}
                style={{ height: ROW_HEIGHT }}
                className={key === selectedKey ? 'selected' : undefined}
                onClick={() => onRowClick?.(row)}
                tabIndex={0}
                onKeyDown={(e) => e.key === 'Enter' && onRowClick?.(row)}
                data-row-key={key}
              >
                {leaf.map((c) => {
                  const col = byId.get(c.id)!;
                  const v = row[c.id];
                  return (
                    <td key={c.id} title={col.title ? col.title(v) : undefined}>
                      {col.render ? col.render(v) : String(v ?? '')}
                    </td>
                  );
                })}
              </tr>
            );
          })}
          {padBottom > 0 && (
            <tr style={{ height: padBottom }}>
              <td colSpan={leaf.length} />
            </tr>
          )}
        </tbody>
      </table>
      {total === 0 && !error && <p className="server-table-empty muted">{emptyText}</p>}
      {error && (
        <div className="alert error server-table-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
