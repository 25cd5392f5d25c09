'use client';

import clsx from 'clsx';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { isActive, NAV_ITEMS } from './nav';

export function Sidebar() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex w-52 shrink-0 flex-col border-r border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <Link href="/" className="flex items-center gap-2 px-4 py-4">
        <span className="inline-flex h-8 w-8 items-center justify-center rounded-md bg-sky-600 font-bold text-white">B</span>
        <span className="text-lg font-semibold">Berth</span>
      </Link>
      <ul className="flex-1 space-y-0.5 px-2">
        {NAV_ITEMS.map((item) => (
          <li key={item.href}>
            <Link
              href={item.href}
              aria-current={isActive(pathname, item.href) ? 'page' : undefined}
              className={clsx(
                'flex items-center gap-3 rounded-md px-3 py-2 text-sm',
                isActive(pathname, item.href)
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
        ))}
      </ul>
    </nav>
  );
}
