'use client';

import { useQuery } from '@tanstack/react-query';
import clsx from 'clsx';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { formatBytes } from '../ui/format';
import { DiffView } from './diff-view';
import { markOf, type TreeNode } from './types';

const CHANGE_WORD = { added: 'added', modified: 'modified', removed: 'removed' } as const;

/** File info, its content as the layer shows it, and the diff against the layer below. */
export function FileDetails({ image, layer, node }: { image: string; layer: number; node: TreeNode | null }) {
  if (!node) return <p className="text-sm text-slate-500">Select a file in the tree (arrows to move, Enter to open).</p>;
  return <Details key={`${layer}:${node.path}`} image={image} layer={layer} node={node} />;
}

function Details({ image, layer, node }: { image: string; layer: number; node: TreeNode }) {
  const trpc = useTRPC();
  const isFile = node.type === 'file' || node.type === 'symlink' || node.type === 'hardlink';
  const [tab, setTab] = useState<'content' | 'diff'>(node.change === 'modified' ? 'diff' : 'content');
  const content = useQuery(trpc.analysis.fileContent.queryOptions({ image, layer, path: node.path, options: { length: 64 * 1024 } }, { enabled: isFile && tab === 'content', staleTime: Infinity }));
  const diff = useQuery(trpc.analysis.fileDiff.queryOptions({ image, layer, path: node.path }, { enabled: isFile && tab === 'diff', staleTime: Infinity }));
  const mark = markOf(node.change);
  return (
    <div className="space-y-3" data-testid="file-details" data-path={node.path}>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
        <dt className="text-slate-500">Path</dt>
        <dd className="break-all font-mono">{node.path}</dd>
        <dt className="text-slate-500">Type</dt>
        <dd>
          {node.type}
          {node.linkTarget ? ` → ${node.linkTarget}` : ''}
        </dd>
        <dt className="text-slate-500">Size</dt>
        <dd>
          {formatBytes(node.size)} ({node.size.toLocaleString()} bytes)
        </dd>
        <dt className="text-slate-500">Mode</dt>
        <dd className="font-mono">{(node.mode & 0o7777).toString(8).padStart(4, '0')}</dd>
        <dt className="text-slate-500">Owner</dt>
        <dd>
          {node.uid}:{node.gid}
        </dd>
        <dt className="text-slate-500">Version from</dt>
        <dd>layer {node.layer}</dd>
        <dt className="text-slate-500">Change</dt>
        <dd className={clsx('font-medium', mark?.text)}>{node.change ? CHANGE_WORD[node.change] : 'unchanged'}</dd>
      </dl>
      {isFile ? (
        <>
          <div className="flex gap-1 border-b border-slate-200 dark:border-slate-800">
            {(['content', 'diff'] as const).map((t) => (
              <button
                key={t}
                type="button"
                aria-pressed={tab === t}
                onClick={() => setTab(t)}
                className={clsx('-mb-px border-b-2 px-2 py-1 text-xs', tab === t ? 'border-sky-600 text-sky-700 dark:text-sky-400' : 'border-transparent text-slate-500')}
              >
                {t === 'content' ? 'Content' : 'Diff vs layer below'}
              </button>
            ))}
          </div>
          {tab === 'content' ? (
            content.error ? (
              <p className="text-sm text-rose-600">{errorMessage(content.error)}</p>
            ) : content.data ? (
              <>
                {content.data.binary ? <p className="text-xs text-slate-500">Binary file: a hexdump of its head.</p> : null}
                <pre data-testid="file-content" className="max-h-96 overflow-auto rounded-md bg-slate-50 p-2 text-xs dark:bg-slate-950">
                  {content.data.content}
                </pre>
                {!content.data.eof ? <p className="text-xs text-slate-500">Showing the first {formatBytes(content.data.length)} of {formatBytes(content.data.size)}.</p> : null}
              </>
            ) : (
              <p className="text-sm text-slate-500">Loading…</p>
            )
          ) : diff.error ? (
            <p className="text-sm text-rose-600">{errorMessage(diff.error)}</p>
          ) : diff.data ? (
            <>
              <p className="text-xs text-slate-500" data-testid="diff-summary">
                {diff.data.baseLayer === null ? 'No version below: the whole file is new.' : `Against layer ${diff.data.baseLayer}`} · {formatBytes(diff.data.oldSize)} →{' '}
                {formatBytes(diff.data.newSize)} · <span className="text-emerald-600">+{diff.data.addedLines}</span> <span className="text-rose-600">−{diff.data.removedLines}</span>
              </p>
              {diff.data.skipped ? <p className="text-sm text-slate-500">No text diff: {diff.data.skipped === 'binary' ? 'a side is binary' : diff.data.skipped === 'too-large' ? 'a side is too large' : 'not a regular file'}.</p> : <DiffView unified={diff.data.unified} />}
            </>
          ) : (
            <p className="text-sm text-slate-500">Loading…</p>
          )}
        </>
      ) : null}
    </div>
  );
}
