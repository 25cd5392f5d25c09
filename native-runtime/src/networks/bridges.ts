// The host side of bridge networks: a network's Linux bridge (and NAT with outbound access) is set up
// on first use and stays up while the engine runs, as docker0 does; an endpoint's address is checked
// against its bridge's subnet and its veth pair put on the bridge. Idle bridges go at close(), at
// network remove and after a crash; the kernel deletes a container's veth pair with its namespace.
import { contains, firstHost, macFor, parseSubnet } from './cidr.js';
import { isUp, type NetworkContext } from './context.js';
import { allocateIp, releaseIps } from './ipam.js';
import { createEndpointLink, deleteLinkIfPresent, deleteLinkQuiet, ensureBridge, linkExists } from './links.js';
import { disableNat, enableNat } from './outbound.js';
import { pickFreeSubnet, subnetCollision } from './subnet-pick.js';
import type { EndpointRecord, NetworkedContainer, NetworkRecord } from './types.js';

const inFlightKey = (containerId: string, netId: string): string => `${containerId}/${netId}`;

export class Bridges<C extends NetworkedContainer> {
  /** Starts and live connects in flight ("<container id>/<network id>"): that bridge must not be torn down as idle. */
  private readonly inFlight = new Set<string>();
  /** Bridges this engine has set up (name → "gateway/prefix", NAT): a start then needs no netlink call for them. */
  private readonly up = new Map<string, string>();

  constructor(private readonly ctx: NetworkContext<C>) {}

  /** A start or live connect uses this network's bridge until done(). */
  hold(containerId: string, netId: string): void {
    this.inFlight.add(inFlightKey(containerId, netId));
  }

  done(containerId: string, netId?: string): void {
    if (netId !== undefined) this.inFlight.delete(inFlightKey(containerId, netId));
    else for (const k of this.inFlight) if (k.startsWith(`${containerId}/`)) this.inFlight.delete(k);
  }

  /** Whether the subnet was picked by Berth (it may move) rather than chosen by the user. */
  autoSubnet(net: NetworkRecord): boolean {
    return net.builtin ? !this.ctx.o.bridge?.subnet : !net.ipamConfig;
  }

  /**
   * The network's bridge exists (its subnet still free), ep has an address in it, and (with createLink)
   * its veth pair is on the bridge; without, the shim creates the pair and replaces a leftover host end.
   */
  async prepareEndpoint(rec: C, net: NetworkRecord, ep: EndpointRecord, createLink = true): Promise<void> {
    const store = this.ctx.store;
    await this.ctx.mutex.run(net.Id, async () => {
      if (!linkExists(net.bridge!)) {
        // A subnet Berth picked itself moves on (another data root or a new host route took it
        // meanwhile); one the user chose stays, host route or not, as dockerd keeps it.
        const clash = this.autoSubnet(net) && subnetCollision(net.subnet!, net.bridge);
        if (clash) {
          net.subnet = pickFreeSubnet(undefined, this.ctx.userSubnets(net.Id), net.bridge);
          net.gateway = firstHost(parseSubnet(net.subnet));
          await store.save(net);
        }
      }
      // The bridge's subnet may have changed (options, or moved above) since the address was given out.
      if (!contains(parseSubnet(net.subnet!), ep.IPAddress) || net.allocations[ep.IPAddress] !== rec.cfg.id) {
        releaseIps(net, rec.cfg.id);
        ep.IPAddress = allocateIp(net, rec.cfg.id);
        ep.IPPrefixLen = parseSubnet(net.subnet!).prefix;
        ep.Gateway = net.gateway!;
        ep.MacAddress = macFor(ep.IPAddress);
        store.saveSoon(net);
      }
      const nat = this.ctx.o.outbound && !net.Internal;
      const want = `${net.gateway}/${ep.IPPrefixLen} nat=${nat}`;
      if (this.up.get(net.bridge!) !== want || !linkExists(net.bridge!)) {
        ensureBridge(net.bridge!, net.gateway!, ep.IPPrefixLen);
        if (nat) await enableNat(net.bridge!, net.subnet!);
        this.up.set(net.bridge!, want);
      }
      if (createLink) createEndpointLink(net.bridge!, ep.veth!, ep.vethPeer!);
    });
  }

  /** A bridge with no running container is deleted, so nothing of Berth's lingers on the host. */
  private async teardownIfIdle(netId: string): Promise<void> {
    const net = this.ctx.store.find(netId);
    if (!net?.bridge) return;
    await this.ctx.mutex.run(netId, async () => {
      if ([...this.inFlight].some((k) => k.endsWith(`/${netId}`))) return;
      if (this.ctx.endpointsOn(netId).some(({ rec }) => isUp(rec))) return;
      await this.teardown(net);
    });
  }

  /** The bridge (and its NAT) goes; the caller holds the network's mutex. */
  async teardown(net: NetworkRecord): Promise<void> {
    if (!net.bridge) return;
    this.up.delete(net.bridge);
    if (this.ctx.o.outbound) await disableNat(net.bridge, net.subnet!).catch(() => {});
    deleteLinkQuiet(net.bridge);
  }

  /** Veths of containers that do not run and bridges nobody uses go (at open, after a crash, and at close). */
  async removeIdleLinks(): Promise<void> {
    if (this.ctx.o.readOnly) return;
    for (const rec of this.ctx.o.containers()) {
      if (isUp(rec)) continue;
      for (const ep of Object.values(rec.cfg.endpoints ?? {})) if (ep.veth) deleteLinkIfPresent(ep.veth);
    }
    for (const net of this.ctx.store.all()) await this.teardownIfIdle(net.Id).catch(() => {});
  }
}
