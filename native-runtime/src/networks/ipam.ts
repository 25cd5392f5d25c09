// Address management inside one bridge network's subnet: the gateway and the network/broadcast
// addresses are never handed out; an allocation belongs to a container until it is released.
import { badParameter, conflict, internal } from '../errors.js';
import { contains, hosts, parseSubnet } from './cidr.js';
import type { NetworkRecord } from './types.js';

export function allocateIp(net: NetworkRecord, containerId: string, wanted?: string): string {
  if (!net.subnet) throw internal(`network ${net.Name} has no subnet`);
  const s = parseSubnet(net.subnet);
  if (wanted) {
    if (!contains(s, wanted)) throw badParameter(`invalid address ${wanted}: It does not belong to any of this network's subnets`);
    const owner = net.allocations[wanted];
    if (wanted === net.gateway || (owner && owner !== containerId)) throw conflict(`Address already in use`);
    net.allocations[wanted] = containerId;
    return wanted;
  }
  for (const ip of hosts(s)) {
    if (ip === net.gateway || net.allocations[ip]) continue;
    net.allocations[ip] = containerId;
    return ip;
  }
  throw conflict(`no available IPv4 addresses on this network's address pools: ${net.Name} (${net.Id})`);
}

/** Frees every address of the container on this network; true when something was freed. */
export function releaseIps(net: NetworkRecord, containerId: string): boolean {
  let freed = false;
  for (const [ip, owner] of Object.entries(net.allocations)) {
    if (owner === containerId) {
      delete net.allocations[ip];
      freed = true;
    }
  }
  return freed;
}

/**
 * After a restart: an address whose container is gone is freed, and a container's address missing
 * from the map (a deferred write lost to a power cut) is taken back while it is free. True when
 * something changed.
 */
export function reconcileAllocations(net: NetworkRecord, held: { ip: string; containerId: string }[], exists: (containerId: string) => boolean): boolean {
  if (!net.subnet) return false;
  const s = parseSubnet(net.subnet);
  let changed = false;
  for (const [ip, owner] of Object.entries(net.allocations)) {
    if (exists(owner)) continue;
    delete net.allocations[ip];
    changed = true;
  }
  for (const { ip, containerId } of held) {
    if (net.allocations[ip] || ip === net.gateway || !contains(s, ip)) continue;
    net.allocations[ip] = containerId;
    changed = true;
  }
  return changed;
}
