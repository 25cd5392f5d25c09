import type { Role } from '../../server/auth/roles';

export interface NavItem {
  href: string;
  label: string;
  icon: string;
  /** Shown only to this role and above. */
  role?: Role;
}

export const NAV_ITEMS: NavItem[] = [
  { href: '/', label: 'Overview', icon: '◎' },
  { href: '/containers', label: 'Containers', icon: '▣' },
  { href: '/images', label: 'Images', icon: '◫' },
  { href: '/builds', label: 'Builds', icon: '⚒' },
  { href: '/volumes', label: 'Volumes', icon: '⛁' },
  { href: '/networks', label: 'Networks', icon: '⋈' },
  { href: '/events', label: 'Events', icon: '≋' },
  { href: '/audit', label: 'Audit', icon: '☰' },
  { href: '/settings', label: 'Settings', icon: '⚙' },
];

export function isActive(pathname: string, href: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}
