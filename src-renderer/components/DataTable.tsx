import { useMemo, useRef } from 'react';
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';

const ROW_HEIGHT = 32;

export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A virtualized result grid (TanStack Table + Virtual) for rows given as arrays. */
export function DataTable({ columns, rows, height = 420 }: { columns: string[]; rows: unknown[][]; height?: number | string }) {
  const defs = useMemo<ColumnDef<unknown[]>[]>(
    () =>
      columns.map((name, i) => ({
        id: `${i}:${name}`,
        header: name,
        accessorFn: (row) => row[i],
        cell: (info) => {
          const v = info.getValue();
          return v === null ? <span className="null">NULL</span> : formatCell(v);
        },
        size: 180,
      })),
    [columns],
  );
  const table = useReactTable({ data: rows, columns: defs, getCoreRowModel: getCoreRowModel() });
  const scrollRef = useRef<HTMLDivElement>(null);
  const tableRows = table.getRowModel().rows;
  const virtualizer = useVirtualizer({
    count: tableRows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const padTop = items.length ? items[0].start : 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  return (
    <div className="data-table" ref={scrollRef} style={{ maxHeight: height }}>
      <table>
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              <th className="rownum">#</th>
              {hg.headers.map((h) => (
                <th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {padTop > 0 && (
            <tr style={{ height: padTop }}>
              <td colSpan={columns.length + 1} />
            </tr>
          )}
          {items.map((vi) => {
            const row = tableRows[vi.index];
            return (
              <tr key={row.id} style={{ height: ROW_HEIGHT }}>
                <td className="rownum">{vi.index + 1}</td>
                {row.getVisibleCells().map((c) => (
                  <td key={c.id} title={formatCell(c.getValue())}>
                    {flexRender(c.column.columnDef.cell, c.getContext())}
                  </td>
                ))}
              </tr>
            );
          })}
          {padBottom > 0 && (
            <tr style={{ height: padBottom }}>
              <td colSpan={columns.length + 1} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
