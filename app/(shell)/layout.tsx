'use client';

import type { ReactNode } from 'react';
import { useMe } from '@/components/auth/use-me';
import { EndpointSwitcher } from '@/components/shell/endpoint-switcher';
import { Shortcuts } from '@/components/shell/shortcuts';
import { Sidebar } from '@/components/shell/sidebar';
import { UserMenu } from '@/components/shell/user-menu';
import { ThemeToggle } from '@/components/theme';

export default function ShellLayout({ children }: { children: ReactNode }) {
  const me = useMe();
  const user = me.data?.user;
  return (
    <div className="flex min-h-screen min-w-[1024px]">
      <Sidebar />
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-14 items-center justify-end gap-3 border-b border-slate-200 bg-white px-6 dark:border-slate-800 dark:bg-slate-900">
          <Shortcuts />
          <EndpointSwitcher />
          <ThemeToggle />
          {user ? <UserMenu username={user.username} role={user.role} /> : null}
        </header>
        <main className="min-w-0 flex-1 p-6">{children}</main>
      </div>
    </div>
  );
}
