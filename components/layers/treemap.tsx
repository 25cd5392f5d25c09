'use client';

// Sizes by directory for the selected layer, as a squarified treemap drawn in SVG. Two levels are
// shown; clicking a directory zooms into it.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { formatBytes } from '../ui/format';
import { squarify } from './squarify';
import { markOf, type TreeMode, type TreeNode } from './types';

const W = 640;
const H = 260;
const PALETTE = ['#0ea5e9', '#8b5cf6', '#14b8a6', '#f97316', '#64748b', '#ec4899', '#84cc16', '#eab308'];

export function Treemap({ image, layer, mode }: { image: string; layer: number; mode: TreeMode }) {
  const trpc = useTRPC();
  const [path, setPath] = useState('/');
  const q = useQuery(
    trpc.analysis.tree.queryOptions({ image, layer, options: { mode, path, depth: 2, sort: 'size', limit: 40, maxNodes: 2_000 } }, { staleTime: Infinity }),
  );
  const node = q.data?.node;
  const top = node?.children ? squarify(node.children, (n) => n.size, { x: 0, y: 0, w: W, h: H }) : [];
  const up = path === '/' ? null : path.slice(0, path.lastIndexOf('/')) || '/';
  return (
    <div data-testid="treemap" data-path={path}>
      <div className="mb-1 flex items-center gap-2 text-xs text-slate-500">
        <span className="font-mono">{path}</span>
        {node ? <span>· {formatBytes(node.size)}</span> : null}
        {up ? (
          <button type="button" className="text-sky-700 hover:underline dark:text-sky-400" onClick={() => setPath(up)}>
            up
          </button>
        ) : null}
      </div>
      {q.error ? <p className="text-sm text-rose-600">{errorMessage(q.error)}</p> : null}
      {node && !top.length ? <p className="text-sm text-slate-500">No bytes here in this view.</p> : null}
      <svg viewBox={`0 0 ${W} ${H}`} className="w-full" role="img" aria-label={`Sizes under ${path}`}>
        {top.map((r, i) => {
          const own = r.item.type !== 'dir' ? markOf(r.item.change) : null;
          const colour = own ? own.fill : PALETTE[i % PALETTE.length]!;
          const inner = r.item.children?.length ? squarify(r.item.children, (n: TreeNode) => n.size, { x: r.x + 2, y: r.y + 14, w: r.w - 4, h: r.h - 16 }) : [];
          return (
            <g key={r.item.path} onClick={() => r.item.type === 'dir' && setPath(r.item.path)} className={r.item.type === 'dir' ? 'cursor-pointer' : undefined}>
              <title>{`${r.item.path} — ${formatBytes(r.item.size)}`}</title>
              <rect x={r.x} y={r.y} width={r.w} height={r.h} fill={colour} fillOpacity={0.85} stroke="white" strokeWidth={1} />
              {inner.map((c) => {
                const mark = markOf(c.item.change);
                return (
                  <rect key={c.item.path} x={c.x} y={c.y} width={c.w} height={c.h} fill={mark ? mark.fill : colour} fillOpacity={mark ? 0.9 : 0.55} stroke="white" strokeOpacity={0.6} strokeWidth={0.5}>
                    <title>{`${c.item.path} — ${formatBytes(c.item.size)}`}</title>
                  </rect>
                );
              })}
              {r.w > 40 && r.h > 14 ? (
                <text x={r.x + 4} y={r.y + 11} fontSize={10} fill="white" className="pointer-events-none">
                  {`${r.item.name} ${r.w > 110 ? formatBytes(r.item.size) : ''}`.slice(0, Math.floor(r.w / 6))}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
