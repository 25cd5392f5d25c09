'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Button } from '../ui/controls';
import { DataTable } from '../ui/data-table';

/** "g" then a letter goes to a page. One table drives both the keys and the `?` help. */
export const GO_KEYS: readonly { key: string; path: string; label: string }[] = [
  { key: 'o', path: '/', label: 'Overview' },
  { key: 'c', path: '/containers', label: 'Containers' },
  { key: 'i', path: '/images', label: 'Images' },
  { key: 'l', path: '/layers/compare', label: 'Layers' },
  { key: 'b', path: '/builds', label: 'Builds' },
  { key: 'v', path: '/volumes', label: 'Volumes' },
  { key: 'n', path: '/networks', label: 'Networks' },
  { key: 'e', path: '/events', label: 'Events' },
  { key: 'a', path: '/audit', label: 'Audit' },
  { key: 's', path: '/settings', label: 'Settings' },
];

/** Every other shortcut, for the help. */
export const OTHER_KEYS: readonly { keys: string; label: string }[] = [
  { keys: '/', label: 'Focus the page’s search box' },
  { keys: '?', label: 'Show this help' },
  { keys: 'Esc', label: 'Close this help, a dialog or the menu' },
  { keys: 'Enter / Shift+Enter', label: 'Logs and terminal search: next / previous match' },
  { keys: 'Ctrl+Shift+C', label: 'Terminal: copy the selection' },
  { keys: 'Ctrl+Shift+V', label: 'Terminal: paste' },
];

/** Pure helper so the key sequence logic is testable: returns the route for "g o" / "g c"…, else null. */
export function sequenceTarget(prev: string | null, key: string): string | null {
  if (prev !== 'g') return null;
  return GO_KEYS.find((k) => k.key === key)?.path ?? null;
}

const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.closest('.xterm') !== null);

function Kbd({ children }: { children: string }) {
  return <kbd className="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs dark:border-slate-700 dark:bg-slate-800">{children}</kbd>;
}

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-3" onClick={onClose}>
      <div className="max-h-[90vh] w-[26rem] max-w-full overflow-y-auto rounded-lg border border-slate-200 bg-white p-5 shadow-xl dark:border-slate-700 dark:bg-slate-900" onClick={(e) => e.stopPropagation()}>
        <h2 className="mb-3 text-base font-semibold">Keyboard shortcuts</h2>
        <DataTable
          rows={[
            ...OTHER_KEYS.map((k) => ({ id: k.keys, keys: <Kbd>{k.keys}</Kbd>, label: k.label })),
            ...GO_KEYS.map((k) => ({
              id: `g ${k.key}`,
              keys: (
                <>
                  <Kbd>g</Kbd> <Kbd>{k.key}</Kbd>
                </>
              ),
              label: `Go to ${k.label}`,
            })),
          ]}
          rowKey={(k) => k.id}
          testId="shortcut-list"
          noHeader
          compact
          columns={[
            { key: 'keys', header: 'Keys', className: 'whitespace-nowrap', cell: (k) => k.keys },
            { key: 'label', header: 'Action', cell: (k) => k.label },
          ]}
        />
        <div className="mt-4 flex justify-end">
          <Button variant="secondary" onClick={onClose}>
            Close
          </Button>
        </div>
      </div>
    </div>
  );
}

/** Keyboard: "/" focuses the page's search box, "?" shows the help, "g" + a letter goes to a page. */
export function Shortcuts() {
  const router = useRouter();
  const [help, setHelp] = useState(false);
  useEffect(() => {
    let prev: string | null = null;
    let prevAt = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setHelp(false);
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (e.key === '?') {
        e.preventDefault();
        setHelp((h) => !h);
        return;
      }
      if (e.key === '/') {
        const search = document.querySelector<HTMLInputElement>('[data-search]');
        if (search) {
          e.preventDefault();
          search.focus();
          search.select();
        }
        return;
      }
      const target = Date.now() - prevAt < 1500 ? sequenceTarget(prev, e.key) : null;
      if (target) {
        e.preventDefault();
        setHelp(false);
        router.push(target);
        prev = null;
        return;
      }
      prev = e.key;
      prevAt = Date.now();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [router]);
  return help ? <ShortcutHelp onClose={() => setHelp(false)} /> : null;
}
