// The host side of a container's interface: the network's Linux bridge and one veth pair per
// container endpoint. Names are derived from the ids, so a restarted server finds stale ones again.
import * as fs from 'node:fs';
import { attachToBridge, createBridge, createVethPair, deleteLink, NativeCallError, setLinkUp } from '../native/index.js';
import { sha256Hex } from '../util/ids.js';

const EEXIST = 17;
const ENODEV = 19;

export function vethNames(containerId: string, networkId: string): { host: string; peer: string } {
  const h = sha256Hex(`${containerId}/${networkId}`).slice(0, 11);
  return { host: `vb${h}`, peer: `vp${h}` };
}

export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

/** Deletes a link; an absent one is fine. */
export function deleteLinkQuiet(name: string): void {
  try {
    deleteLink(name);
  } catch (e) {
    if (!(e instanceof NativeCallError && e.errno === ENODEV)) throw e;
  }
}

export function ensureBridge(bridge: string, gateway: string, prefix: number): void {
  createBridge(bridge, `${gateway}/${prefix}`);
}

/** Deletes a link if sysfs shows it (a stat, not a netlink call that may wait for the rtnl lock). */
export function deleteLinkIfPresent(name: string): void {
  if (linkExists(name)) deleteLinkQuiet(name);
}

/** A fresh veth pair whose host end is up on the bridge; the peer waits for the shim to move it. */
export function createEndpointLink(bridge: string, host: string, peer: string): void {
  // Left over from the last run (the kernel deletes the pair asynchronously once the container's
  // namespace is gone) or from a crash: the create would otherwise fail with EEXIST.
  deleteLinkIfPresent(host);
  deleteLinkIfPresent(peer);
  try {
    createVethPair(host, peer);
  } catch (e) {
    // The name can still be taken while sysfs no longer shows it (the kernel's cleanup in flight).
    if (!(e instanceof NativeCallError && e.errno === EEXIST)) throw e;
    deleteLinkQuiet(host);
    deleteLinkQuiet(peer);
    createVethPair(host, peer);
  }
  try {
    attachToBridge(host, bridge);
    setLinkUp(host);
  } catch (e) {
    deleteLinkQuiet(host);
    throw e;
  }
}
