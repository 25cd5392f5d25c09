// Chooses the default bridge's subnet: the configured one, or the first candidate that no host route
// overlaps (checked with the native listRoutes, every table), as dockerd picks from its default pools.
import { internal } from '../errors.js';
import { listRoutes, type RouteInfo } from '../native/index.js';
import { overlaps, parseSubnet, subnetText, type Subnet } from './cidr.js';

export const SUBNET_CANDIDATES: string[] = [
  ...Array.from({ length: 15 }, (_v, i) => `172.${17 + i}.0.0/16`),
  ...Array.from({ length: 40 }, (_v, i) => `10.${88 + i}.0.0/16`),
];

/** Routes that make a subnet unusable: any route but the default one and host/broadcast entries of
 *  loopback (127/8 is never a candidate anyway). `ownBridge` routes belong to this Berth already. */
function blocking(routes: RouteInfo[], ownBridge?: string): Subnet[] {
  return routes
    .filter((r) => r.destination !== '0.0.0.0/0' && (!ownBridge || r.dev !== ownBridge))
    .map((r) => parseSubnet(r.destination.includes('/') ? r.destination : `${r.destination}/32`));
}

export function subnetCollision(cidr: string, ownBridge?: string, routes: RouteInfo[] = listRoutes()): string | null {
  const s = parseSubnet(cidr);
  for (const r of routes) {
    if (r.destination === '0.0.0.0/0' || (ownBridge && r.dev === ownBridge)) continue;
    if (overlaps(s, parseSubnet(r.destination))) return `${r.destination}${r.dev ? ` (dev ${r.dev})` : ''}`;
  }
  return null;
}

export function pickFreeSubnet(candidates: string[] = SUBNET_CANDIDATES, taken: string[] = [], ownBridge?: string): string {
  const routes = listRoutes();
  const block = [...blocking(routes, ownBridge), ...taken.map(parseSubnet)];
  for (const c of candidates) {
    const s = parseSubnet(c);
    if (!block.some((b) => overlaps(s, b))) return subnetText(s);
  }
  throw internal(`no free subnet for a Berth bridge: every candidate (${candidates[0]} … ${candidates.at(-1)}) overlaps a host route; set one with new Berth({ bridge: { subnet } })`);
}
