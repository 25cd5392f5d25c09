'use client';

import clsx from 'clsx';
import { useMemo, useState, type ReactNode } from 'react';

/** Columns hidden below a width, so a 390 px screen keeps the ones that matter. */
const HIDE_BELOW = { sm: 'hidden sm:table-cell', md: 'hidden md:table-cell', lg: 'hidden lg:table-cell' } as const;

export interface Column<T> {
  key: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** Sortable when given: the value rows are ordered by. */
  sortValue?: (row: T) => string | number;
  align?: 'right';
  hideBelow?: keyof typeof HIDE_BELOW;
  /** Extra classes for the column's cells (width, wrapping, fonts). */
  className?: string;
  /** A cell's own attributes (test ids, titles). */
  cellProps?: (row: T) => Record<string, string | undefined>;
}

export interface Selection<T> {
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  /** The checkbox's accessible name for a row ("Select web-1"). */
  label: (row: T) => string;
}

export interface DataTableProps<T> {
  /** undefined while loading. */
  rows: readonly T[] | undefined;
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  /** Attributes of a row's <tr> (test ids, data-*). */
  rowProps?: (row: T) => Record<string, string | undefined>;
  rowClassName?: (row: T) => string | undefined;
  selection?: Selection<T>;
  /** Shown instead of the table when there are no rows. */
  empty?: ReactNode;
  loading?: ReactNode;
  testId?: string;
  label?: string;
  initialSort?: { key: string; dir: 'asc' | 'desc' };
  className?: string;
  /** Rows aligned to the top (multi-line cells) rather than the middle. */
  alignTop?: boolean;
  compact?: boolean;
  /** A list without column headers (a short feed whose cells say what they are). */
  noHeader?: boolean;
  /** Cells padded on both sides, for a table that fills a bordered box edge to edge. */
  inset?: boolean;
}

/**
 * The dashboard's one table: columns, optional sorting and row selection, empty and loading states,
 * and a narrow layout (columns hidden below a width, horizontal scroll for the rest).
 */
export function DataTable<T>({ rows, columns, rowKey, rowProps, rowClassName, selection, empty, loading, testId, label, initialSort, className, alignTop, compact, noHeader, inset }: DataTableProps<T>) {
  const [sort, setSort] = useState(initialSort ?? null);
  const sorted = useMemo(() => {
    const col = sort ? columns.find((c) => c.key === sort.key) : undefined;
    if (!rows || !col?.sortValue) return rows;
    const v = col.sortValue;
    const out = [...rows].sort((a, b) => {
      const x = v(a);
      const y = v(b);
      return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    });
    return sort!.dir === 'desc' ? out.reverse() : out;
  }, [rows, columns, sort]);

  if (!sorted) return <>{loading ?? <p className="text-sm text-slate-500">Loading…</p>}</>;
  if (sorted.length === 0 && empty !== undefined) return <>{empty}</>;

  const pad = inset ? 'px-3 py-2' : compact ? 'py-1 pr-3 last:pr-0' : 'py-2 pr-3 last:pr-0';
  const keys = sorted.map(rowKey);
  const allChecked = !!selection && keys.length > 0 && keys.every((k) => selection.selected.has(k));
  const toggle = (key: string, on: boolean) => {
    const next = new Set(selection!.selected);
    if (on) next.add(key);
    else next.delete(key);
    selection!.onChange(next);
  };
  return (
    <div className="overflow-x-auto">
      <table className={clsx('w-full text-left', !/\btext-(xs|sm|base)\b/.test(className ?? '') && 'text-sm', className)} data-testid={testId} aria-label={label}>
        {noHeader ? null : <thead className="border-b border-slate-200 text-xs uppercase text-slate-500 dark:border-slate-800">
          <tr>
            {selection ? (
              <th className={clsx('w-8 py-2', inset && 'pl-3')}>
                <input type="checkbox" aria-label="Select all" checked={allChecked} onChange={(e) => selection.onChange(e.target.checked ? new Set(keys) : new Set())} />
              </th>
            ) : null}
            {columns.map((c) => {
              const dir = sort?.key === c.key ? sort.dir : null;
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : undefined}
                  className={clsx(pad, 'font-medium', c.align === 'right' && 'text-right', c.hideBelow && HIDE_BELOW[c.hideBelow])}
                >
                  {c.sortValue ? (
                    <button
                      type="button"
                      className="uppercase hover:text-slate-900 dark:hover:text-slate-200"
                      onClick={() => setSort({ key: c.key, dir: dir === 'asc' ? 'desc' : 'asc' })}
                    >
                      {c.header}
                      {dir ? <span aria-hidden>{dir === 'asc' ? ' ▲' : ' ▼'}</span> : null}
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>}
        <tbody>
          {sorted.map((row, i) => {
            const key = keys[i]!;
            return (
              <tr key={key} {...rowProps?.(row)} className={clsx('border-b border-slate-100 dark:border-slate-800/60', alignTop ? 'align-top' : 'align-middle', rowClassName?.(row))}>
                {selection ? (
                  <td className={clsx('py-2', inset && 'pl-3')}>
                    <input type="checkbox" aria-label={selection.label(row)} checked={selection.selected.has(key)} onChange={(e) => toggle(key, e.target.checked)} />
                  </td>
                ) : null}
                {columns.map((c) => (
                  <td key={c.key} {...c.cellProps?.(row)} className={clsx(pad, c.align === 'right' && 'text-right', c.hideBelow && HIDE_BELOW[c.hideBelow], c.className)}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
