'use client';

import { useState } from 'react';

interface Node {
  name: string;
  path: string;
  kind: 0 | 1 | 2 | null;
  children: Map<string, Node>;
}

const KIND = { 0: ['M', 'text-amber-600'], 1: ['A', 'text-emerald-600'], 2: ['D', 'text-rose-600'] } as const;

/** Docker's changes list (Kind 0 modified, 1 added, 2 deleted) as a folder tree. */
export function buildTree(changes: { Path: string; Kind: 0 | 1 | 2 }[]): Node {
  const root: Node = { name: '/', path: '/', kind: null, children: new Map() };
  for (const c of changes) {
    let node = root;
    const parts = c.Path.split('/').filter(Boolean);
    parts.forEach((part, i) => {
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, path: `/${parts.slice(0, i + 1).join('/')}`, kind: null, children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    });
    node.kind = c.Kind;
  }
  return root;
}

function TreeNode({ node, depth }: { node: Node; depth: number }) {
  const [open, setOpen] = useState(depth < 3);
  const kids = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
  const badge = node.kind === null ? null : KIND[node.kind];
  return (
    <li>
      <div className="flex items-center gap-2" style={{ paddingLeft: depth * 14 }} data-testid={`change-${node.path}`}>
        {kids.length ? (
          <button type="button" className="w-3 text-slate-400" aria-label={open ? 'Collapse' : 'Expand'} onClick={() => setOpen(!open)}>
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span className="w-3" />
        )}
        {badge ? <span className={`w-4 font-bold ${badge[1]}`}>{badge[0]}</span> : <span className="w-4" />}
        <span>{node.name}</span>
      </div>
      {open && kids.length ? (
        <ul>
          {kids.map((k) => (
            <TreeNode key={k.path} node={k} depth={depth + 1} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function ChangesTree({ changes }: { changes: { Path: string; Kind: 0 | 1 | 2 }[] }) {
  const root = buildTree(changes);
  return (
    <ul className="font-mono text-sm">
      {[...root.children.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((n) => (
          <TreeNode key={n.path} node={n} depth={0} />
        ))}
    </ul>
  );
}
