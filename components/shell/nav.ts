import type { Role } from '../../server/auth/roles';

export interface NavItem {
  href: string;
  label: string;
  icon: string;
  /** Shown only to this role and above. */
  role?: Role;
  /** Other path prefixes that light this item up. */
  also?: string[];
}

export const NAV_ITEMS: NavItem[] = [
  { href: '/', label: 'Overview', icon: '◎' },
  { href: '/containers', label: 'Containers', icon: '▣' },
  { href: '/stacks', label: 'Stacks', icon: '▤' },
  { href: '/images', label: 'Images', icon: '◫' },
  { href: '/layers/compare', label: 'Layers', icon: '≡', also: ['/layers'] },
  { href: '/builds', label: 'Builds', icon: '⚒' },
  { href: '/volumes', label: 'Volumes', icon: '⛁' },
  { href: '/networks', label: 'Networks', icon: '⋈' },
  { href: '/events', label: 'Events', icon: '≋' },
  { href: '/logs', label: 'Logs', icon: '☷' },
  { href: '/alerts', label: 'Alerts', icon: '⚑' },
  { href: '/audit', label: 'Audit', icon: '☰' },
  { href: '/settings', label: 'Settings', icon: '⚙' },
];

const under = (pathname: string, href: string) => pathname === href || pathname.startsWith(`${href}/`);

export function isActive(pathname: string, href: string, also: string[] = []): boolean {
  return href === '/' ? pathname === '/' : under(pathname, href) || also.some((a) => under(pathname, a));
}
