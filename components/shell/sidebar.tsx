'use client';

import clsx from 'clsx';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect } from 'react';
import { isActive, NAV_ITEMS } from './nav';

/**
 * The main navigation. From the md breakpoint up it is a fixed column; below it (a phone, a narrow
 * window) it is a drawer the header's menu button opens, closed again by a link, Escape or the backdrop.
 */
export function Sidebar({ open, onClose }: { open: boolean; onClose: () => void }) {
  const pathname = usePathname();
  // Following a link closes the drawer.
  useEffect(() => onClose(), [pathname]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);
  return (
    <>
      {open ? <div className="fixed inset-0 z-30 bg-slate-900/40 md:hidden" aria-hidden onClick={onClose} data-testid="sidebar-backdrop" /> : null}
      <nav
        id="main-nav"
        aria-label="Main"
        className={clsx(
          'fixed inset-y-0 left-0 z-40 flex w-52 shrink-0 flex-col border-r border-slate-200 bg-white transition-transform dark:border-slate-800 dark:bg-slate-900',
          'md:static md:translate-x-0',
          open ? 'translate-x-0' : '-translate-x-full md:flex',
        )}
      >
        <Link href="/" className="flex items-center gap-2 px-4 py-4">
          <span className="inline-flex h-8 w-8 items-center justify-center rounded-md bg-sky-600 font-bold text-white">B</span>
          <span className="text-lg font-semibold">Berth</span>
        </Link>
        <ul className="flex-1 space-y-0.5 overflow-y-auto px-2">
          {NAV_ITEMS.map((item) => {
            const active = isActive(pathname, item.href, item.also);
            return (
              <li key={item.href}>
                <Link
                  href={item.href}
                  aria-current={active ? 'page' : undefined}
                  className={clsx(
                    'flex items-center gap-3 rounded-md px-3 py-2 text-sm',
                    active
                      ? 'bg-sky-50 font-medium text-sky-700 dark:bg-sky-950 dark:text-sky-300'
                      : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800',
                  )}
                >
                  <span aria-hidden className="w-4 text-center">
                    {item.icon}
                  </span>
                  {item.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <p className="px-4 py-3 text-xs text-slate-400">
          Press <kbd className="rounded border border-slate-300 px-1 dark:border-slate-700">?</kbd> for shortcuts
        </p>
      </nav>
    </>
  );
}
