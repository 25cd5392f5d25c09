// The host side of a container's interface: the network's Linux bridge and one veth pair per
// container endpoint. Names are derived from the ids, so a restarted server finds stale ones again.
import * as fs from 'node:fs';
import { attachToBridge, createBridge, createVethPair, deleteLink, NativeCallError, setLinkUp } from '../native/index.js';
import { sha256Hex } from '../util/ids.js';

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

/** A fresh veth pair whose host end is up on the bridge; the peer waits for the shim to move it. */
export function createEndpointLink(bridge: string, host: string, peer: string): void {
  // Left over from a crash: the pair would otherwise make the create fail with EEXIST.
  deleteLinkQuiet(host);
  deleteLinkQuiet(peer);
  createVethPair(host, peer);
  try {
    attachToBridge(host, bridge);
    setLinkUp(host);
  } catch (e) {
    deleteLinkQuiet(host);
    throw e;
  }
}
