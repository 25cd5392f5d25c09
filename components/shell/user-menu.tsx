'use client';

import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '../trpc/react';

export function UserMenu({ username, role }: { username: string; role: string }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSettled: () => window.location.assign('/login') }));
  useEffect(() => {
    const close = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);
  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-2 rounded-md px-2 py-1 text-sm hover:bg-slate-200 dark:hover:bg-slate-800"
      >
        <span className="inline-flex h-7 w-7 items-center justify-center rounded-full bg-slate-300 text-xs font-semibold uppercase dark:bg-slate-700">
          {username.slice(0, 2)}
        </span>
        <span data-testid="current-user">{username}</span>
        <span className="hidden rounded bg-slate-200 px-1.5 py-0.5 text-xs sm:inline text-slate-600 dark:bg-slate-800 dark:text-slate-300">{role}</span>
      </button>
      {open ? (
        <div role="menu" className="absolute right-0 z-20 mt-1 w-48 rounded-md border border-slate-200 bg-white py-1 shadow-lg dark:border-slate-700 dark:bg-slate-900">
          <Link role="menuitem" href="/settings/account" className="block px-3 py-2 text-sm hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => setOpen(false)}>
            Account
          </Link>
          <button role="menuitem" type="button" onClick={() => logout.mutate()} className="block w-full px-3 py-2 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800">
            Sign out
          </button>
        </div>
      ) : null}
    </div>
  );
}
