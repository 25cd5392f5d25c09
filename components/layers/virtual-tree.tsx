'use client';

// The file tree of one layer, virtualised (the dashboard's VirtualList): only the rows on screen are in the DOM.
// Directories load their children lazily, a page at a time, so expanding /usr/share on an image with
// 50,000 files costs one small request and never freezes the tab.
import { useQueryClient } from '@tanstack/react-query';
import clsx from 'clsx';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { VirtualList, type VirtualListHandle } from '../ui/virtual-list';
import { formatBytes } from '../ui/format';
import { markOf, type TreeMode, type TreeNode, type TreeSort } from './types';

const ROW = 24;
const HEIGHT = 480;
const PAGE = 500;
const OVERSCAN = 12;

interface Dir {
  nodes: TreeNode[];
  more: number;
  loading: boolean;
  error?: string;
}

type Row =
  | { kind: 'node'; node: TreeNode; depth: number }
  | { kind: 'more'; path: string; depth: number; count: number; loading: boolean }
  | { kind: 'status'; path: string; depth: number; text: string };

export interface TreeQuery {
  image: string;
  layer: number;
  mode: TreeMode;
  sort: TreeSort;
  filter: string;
  changedOnly: boolean;
}

export function VirtualTree({ q, selected, onSelect }: { q: TreeQuery; selected: string | null; onSelect: (n: TreeNode) => void }) {
  const trpc = useTRPC();
  const client = useQueryClient();
  const [dirs, setDirs] = useState<Map<string, Dir>>(() => new Map());
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const [cursor, setCursor] = useState(0);
  const list = useRef<VirtualListHandle>(null);

  // Depend on the query's values, not on the object (the parent makes a new one every render).
  const { image, layer, mode, sort, filter, changedOnly } = q;
  const load = useCallback(
    async (path: string, offset = 0) => {
      setDirs((m) => new Map(m).set(path, { ...(m.get(path) ?? { nodes: [], more: 0 }), loading: true, error: undefined }));
      try {
        // A filter answers with the matching subtree at once (bounded by maxNodes), so matches show expanded.
        const deep = !!filter || changedOnly;
        const r = await client.fetchQuery(
          trpc.analysis.tree.queryOptions(
            {
              image,
              layer,
              options: { mode, path, depth: deep ? 12 : 1, sort, filter: filter || undefined, changedOnly, limit: PAGE, offset, maxNodes: 5_000 },
            },
            { staleTime: Infinity },
          ),
        );
        const found = new Map<string, Dir>();
        const opened: string[] = [];
        const walk = (n: TreeNode, top: boolean) => {
          if (!n.children) return;
          found.set(n.path, { nodes: n.children, more: n.more ?? 0, loading: false });
          if (!top) opened.push(n.path);
          for (const c of n.children) walk(c, false);
        };
        walk(r.node, true);
        setDirs((m) => {
          const next = new Map(m);
          for (const [p, d] of found) {
            const prev = next.get(p);
            next.set(p, p === path && offset > 0 && prev ? { nodes: [...prev.nodes, ...d.nodes], more: d.more, loading: false } : d);
          }
          return next;
        });
        if (opened.length) setExpanded((s) => new Set([...s, ...opened]));
      } catch (err) {
        setDirs((m) => new Map(m).set(path, { nodes: m.get(path)?.nodes ?? [], more: 0, loading: false, error: errorMessage(err) }));
      }
    },
    [client, trpc, image, layer, mode, sort, filter, changedOnly],
  );

  useEffect(() => {
    setDirs(new Map());
    setExpanded(new Set());
    setCursor(0);
    void load('/');
  }, [load]);

  const rows = useMemo(() => {
    const out: Row[] = [];
    const walk = (path: string, depth: number) => {
      const d = dirs.get(path);
      if (!d || (d.loading && !d.nodes.length)) {
        out.push({ kind: 'status', path, depth, text: 'Loading…' });
        return;
      }
      if (d.error) out.push({ kind: 'status', path, depth, text: d.error });
      for (const n of d.nodes) {
        out.push({ kind: 'node', node: n, depth });
        if (n.type === 'dir' && expanded.has(n.path)) walk(n.path, depth + 1);
      }
      if (d.more > 0) out.push({ kind: 'more', path, depth, count: d.more, loading: d.loading });
    };
    walk('/', 0);
    return out;
  }, [dirs, expanded]);

  const toggle = useCallback(
    (n: TreeNode, open?: boolean) => {
      if (n.type !== 'dir') return;
      const willOpen = open ?? !expanded.has(n.path);
      setExpanded((s) => {
        const next = new Set(s);
        if (willOpen) next.add(n.path);
        else next.delete(n.path);
        return next;
      });
      if (willOpen && !dirs.has(n.path)) void load(n.path);
    },
    [dirs, expanded, load],
  );

  const activate = (row: Row | undefined) => {
    if (!row) return;
    if (row.kind === 'node') {
      onSelect(row.node);
      toggle(row.node);
    } else if (row.kind === 'more' && !row.loading) void load(row.path, dirs.get(row.path)?.nodes.length ?? 0);
  };

  const moveTo = (i: number) => {
    const at = Math.max(0, Math.min(rows.length - 1, i));
    setCursor(at);
    list.current?.scrollToIndex(at, 'auto');
    const row = rows[at];
    if (row?.kind === 'node') onSelect(row.node);
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const row = rows[cursor];
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(cursor + 1),
      ArrowUp: () => moveTo(cursor - 1),
      PageDown: () => moveTo(cursor + Math.floor(HEIGHT / ROW)),
      PageUp: () => moveTo(cursor - Math.floor(HEIGHT / ROW)),
      Home: () => moveTo(0),
      End: () => moveTo(rows.length - 1),
      Enter: () => activate(row),
      ArrowRight: () => (row?.kind === 'node' && row.node.type === 'dir' ? toggle(row.node, true) : undefined),
      ArrowLeft: () => {
        if (row?.kind !== 'node') return;
        if (row.node.type === 'dir' && expanded.has(row.node.path)) return toggle(row.node, false);
        const parent = row.node.path.slice(0, row.node.path.lastIndexOf('/')) || '/';
        const at = rows.findIndex((r) => r.kind === 'node' && r.node.path === parent);
        if (at >= 0) moveTo(at);
      },
    };
    const fn = keys[e.key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  };

  const renderRow = (i: number): ReactNode => {
    const row = rows[i]!;
    const style = { height: ROW, paddingLeft: 6 + row.depth * 14 };
    const base = clsx('flex cursor-default items-center gap-1.5 whitespace-nowrap pr-2', i === cursor && 'bg-sky-100 dark:bg-sky-900/40');
    if (row.kind === 'status') {
      return (
        <div className={clsx(base, 'text-slate-500')} style={style}>
          {row.text}
        </div>
      );
    }
    if (row.kind === 'more') {
      return (
        <div className={clsx(base, 'text-sky-700 dark:text-sky-400')} style={style} onClick={() => { setCursor(i); activate(row); }} data-testid={`tree-more-${row.path}`}>
          {row.loading ? 'Loading…' : `… ${row.count.toLocaleString()} more (Enter to load)`}
        </div>
      );
    }
    const n = row.node;
    const mark = markOf(n.change);
    return (
      <div
        role="treeitem"
        aria-selected={selected === n.path}
        aria-expanded={n.type === 'dir' ? expanded.has(n.path) : undefined}
        data-testid={`tree-row-${n.path}`}
        data-change={n.change ?? ''}
        data-size={n.size}
        className={clsx(base, selected === n.path && 'font-semibold', n.change === 'removed' && 'line-through opacity-80')}
        style={style}
        onClick={() => {
          setCursor(i);
          activate(row);
        }}
      >
        <span className="w-3 text-slate-400">{n.type === 'dir' ? (expanded.has(n.path) ? '▾' : '▸') : ''}</span>
        <span className={clsx('w-3 font-bold', mark?.text)}>{mark?.letter ?? ''}</span>
        <span className={clsx('truncate', mark?.text)}>
          {n.name}
          {n.type === 'dir' ? '/' : ''}
          {n.linkTarget ? <span className="text-slate-400"> → {n.linkTarget}</span> : null}
        </span>
        {n.changedBelow && !n.change ? <span className="h-1.5 w-1.5 rounded-full bg-amber-500" title="changed below" /> : null}
        <span className="ml-auto pl-3 tabular-nums text-slate-500">{formatBytes(n.size)}</span>
      </div>
    );
  };

  return (
    <VirtualList
      ref={list}
      role="tree"
      aria-label="Files"
      testId="layer-tree"
      data-rows={rows.length}
      onKeyDown={onKey}
      count={rows.length}
      rowHeight={ROW}
      overscan={OVERSCAN}
      renderRow={renderRow}
      className="rounded-md border border-slate-200 font-mono text-xs outline-none focus:ring-2 focus:ring-sky-500/40 dark:border-slate-800"
      style={{ height: HEIGHT }}
    />
  );
}
