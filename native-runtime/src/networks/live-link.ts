// A container's second (third, …) bridge endpoint, and any endpoint connected while it runs: the shim
// configures only eth0, so these veth ends are moved into the running container's namespace and set
// up there by the addon (docs/runtime.md "Networks").
import { configureLinkInNetns, NativeCallError, type NetnsRoute } from '../native/index.js';
import type { EndpointRecord } from './types.js';

const ENOENT = 2;
const ESRCH = 3;

/** Docker's names: eth0 for the first network, eth1, eth2… for the next. */
export const interfaceName = (index: number): string => `eth${index}`;

/** The lowest ethN that none of `used` has (a live connect after a disconnect reuses the gap). */
export function nextInterfaceName(used: Iterable<string>): string {
  const taken = new Set(used);
  for (let i = 0; ; i++) if (!taken.has(interfaceName(i))) return interfaceName(i);
}

/**
 * Moves ep's veth peer into the net namespace of pid as `ifname`, with the endpoint's address and MAC.
 * 'gone': the container's process has exited meanwhile (its exit cleans up); an Error: anything else
 * (the addon has deleted a half-configured link).
 */
export function plugIntoRunning(pid: number, ep: EndpointRecord, ifname: string, routes: NetnsRoute[]): 'ok' | 'gone' | Error {
  try {
    configureLinkInNetns(pid, ep.vethPeer!, ifname, ep.MacAddress, `${ep.IPAddress}/${ep.IPPrefixLen}`, routes);
    return 'ok';
  } catch (e) {
    if (e instanceof NativeCallError && (e.errno === ENOENT || e.errno === ESRCH)) return 'gone';
    return e instanceof Error ? e : new Error(String(e));
  }
}
