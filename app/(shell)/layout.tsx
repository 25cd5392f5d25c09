'use client';

import { useCallback, useState, type ReactNode } from 'react';
import { AlertBell } from '@/components/alerts/alert-bell';
import { useMe } from '@/components/auth/use-me';
import { EndpointSwitcher } from '@/components/shell/endpoint-switcher';
import { Shortcuts } from '@/components/shell/shortcuts';
import { Sidebar } from '@/components/shell/sidebar';
import { UserMenu } from '@/components/shell/user-menu';
import { ThemeToggle } from '@/components/theme';

export default function ShellLayout({ children }: { children: ReactNode }) {
  const me = useMe();
  const user = me.data?.user;
  const [navOpen, setNavOpen] = useState(false);
  const closeNav = useCallback(() => setNavOpen(false), []);
  return (
    <div className="flex min-h-screen">
      <Sidebar open={navOpen} onClose={closeNav} />
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-14 items-center justify-end gap-2 border-b border-slate-200 bg-white px-3 sm:gap-3 sm:px-6 dark:border-slate-800 dark:bg-slate-900">
          <button
            type="button"
            className="mr-auto rounded-md px-2 py-1 text-lg hover:bg-slate-200 md:hidden dark:hover:bg-slate-800"
            aria-label="Menu"
            aria-controls="main-nav"
            aria-expanded={navOpen}
            onClick={() => setNavOpen((o) => !o)}
          >
            ☰
          </button>
          <Shortcuts />
          <EndpointSwitcher />
          <ThemeToggle />
          {user ? <AlertBell /> : null}
          {user ? <UserMenu username={user.username} role={user.role} /> : null}
        </header>
        <main className="min-w-0 flex-1 p-3 sm:p-6">{children}</main>
      </div>
    </div>
  );
}
