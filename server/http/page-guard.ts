import type { Role } from '../auth/roles.ts';
import { hasRole } from '../auth/roles.ts';

/** Pages that need more than a session. Checked by prefix. */
export const PAGE_ROLES: ReadonlyArray<{ prefix: string; role: Role }> = [
  { prefix: '/settings/users', role: 'admin' },
  { prefix: '/settings/endpoints', role: 'admin' },
  { prefix: '/settings/identity', role: 'admin' },
  { prefix: '/containers/new', role: 'operator' },
  { prefix: '/stacks/new', role: 'operator' },
];

export type PageDecision = { kind: 'pass' } | { kind: 'redirect'; location: string } | { kind: 'forbidden'; role: Role };

/** Paths that are served without a session: Next's static bundles and the public/ files. */
export function isAssetPath(pathname: string, publicFiles: ReadonlySet<string>): boolean {
  return pathname.startsWith('/_next/') || publicFiles.has(pathname);
}

/**
 * Decides what a page request gets, before Next renders anything: first-run setup while no user
 * exists, the login page without a session, and a 403 for pages above the user's role.
 */
export function decidePage(pathname: string, search: string, state: { needsSetup: boolean; role: string | null }): PageDecision {
  if (state.needsSetup) return pathname === '/setup' ? { kind: 'pass' } : { kind: 'redirect', location: '/setup' };
  if (pathname === '/setup') return { kind: 'redirect', location: state.role ? '/' : '/login' };
  if (!state.role) {
    if (pathname === '/login') return { kind: 'pass' };
    const next = pathname === '/' ? '' : `?next=${encodeURIComponent(pathname + search)}`;
    return { kind: 'redirect', location: `/login${next}` };
  }
  if (pathname === '/login') return { kind: 'redirect', location: '/' };
  for (const rule of PAGE_ROLES) {
    if ((pathname === rule.prefix || pathname.startsWith(`${rule.prefix}/`)) && !hasRole(state.role, rule.role)) {
      return { kind: 'forbidden', role: rule.role };
    }
  }
  return { kind: 'pass' };
}

/** Only same-site relative paths may be a post-login destination. */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}
