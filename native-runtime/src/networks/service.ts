// Networks as the Engine API shows them (create, list, inspect, remove, prune, connect, disconnect) and
// their life with the engine's (load, recover after a crash, close). Docker's predefined networks
// bridge (Berth's own Linux bridge), host and none always exist. The parts, each with one job:
// context.ts (shared records and mutex), bridges.ts (the host's bridges and NAT), endpoints.ts (a
// container's endpoints from create to exit: ContainerManager drives it), container-files.ts (its
// hosts/resolv.conf and the embedded DNS server's name tables, dns-tables.ts).
// networks/ imports no container code: it sees a container as a NetworkedContainer (types.ts).
import path from 'node:path';
import type { Filters, NetworkCreateOptions, NetworkInspect, PruneResponse } from '../engine/types.js';
import { badParameter, conflict, forbidden, noSuchContainer } from '../errors.js';
import { checkFilterNames, exactMatch, labelMatches, matchKVList, normalizeFilters, regexMatch } from '../events/filters.js';
import { rfc3339Nano } from '../images/time.js';
import { randomId, sha256Hex } from '../util/ids.js';
import { Bridges } from './bridges.js';
import { contains, firstHost, overlaps, parseSubnet, subnetText } from './cidr.js';
import { ContainerNetworkFiles } from './container-files.js';
import { isUp, NetworkContext, type NetworkServiceOptions } from './context.js';
import { NetworkEndpoints, type EndpointRequest } from './endpoints.js';
import { reconcileAllocations } from './ipam.js';
import { deleteLinkQuiet } from './links.js';
import type { NetworkStore } from './store.js';
import { pickFreeSubnet, subnetCollision } from './subnet-pick.js';
import type { NetworkedContainer, NetworkRecord } from './types.js';
import { builtinNetworkId, networkInspectView } from './view.js';

export type { BridgeOptions, NetworkServiceOptions } from './context.js';
export { EMBEDDED_DNS } from './container-files.js';
export type { StartNetwork } from './endpoints.js';

const DEFAULT_ROOT = '/var/lib/berth';

export class NetworkService<C extends NetworkedContainer = NetworkedContainer> {
  private readonly ctx: NetworkContext<C>;
  private readonly bridges: Bridges<C>;
  private readonly files: ContainerNetworkFiles<C>;
  /** A container's endpoints from create to exit (what ContainerManager uses). */
  readonly endpoints: NetworkEndpoints<C>;

  constructor(o: NetworkServiceOptions<C>) {
    this.ctx = new NetworkContext(o);
    this.bridges = new Bridges(this.ctx);
    this.files = new ContainerNetworkFiles(this.ctx);
    this.endpoints = new NetworkEndpoints(this.ctx, this.bridges, this.files);
  }

  get store(): NetworkStore {
    return this.ctx.store;
  }

  get outbound(): boolean {
    return this.ctx.o.outbound;
  }

  /** Loads the records and makes sure bridge, host and none exist (the bridge's subnet chosen once). */
  async load(): Promise<void> {
    await this.ctx.store.load();
    if (this.ctx.o.readOnly) return;
    for (const [name, driver] of [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']] as const) {
      const id = builtinNetworkId(name);
      let rec = this.ctx.store.find(id);
      if (!rec) {
        rec = { Id: id, Name: name, Created: rfc3339Nano(), Driver: driver, Internal: false, Attachable: false, Labels: {}, Options: {}, builtin: true, allocations: {} };
      }
      if (driver === 'bridge') this.configureDefaultBridge(rec);
      await this.ctx.store.save(rec);
    }
  }

  private configureDefaultBridge(rec: NetworkRecord): void {
    const b = this.ctx.o.bridge ?? {};
    const root = path.resolve(this.ctx.o.root);
    // One bridge per data root, so roots (and their IPAMs) never share a segment.
    const bridge = b.name ?? rec.bridge ?? (root === DEFAULT_ROOT ? 'berth0' : `bth${sha256Hex(root).slice(0, 10)}`);
    if (bridge.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridge)) throw badParameter(`bridge name "${bridge}" must be 1-15 characters of [a-zA-Z0-9_.-]`);
    let subnet = b.subnet ? subnetText(parseSubnet(b.subnet)) : rec.subnet;
    if (!subnet) subnet = pickFreeSubnet(undefined, this.ctx.userSubnets(rec.Id), bridge);
    if (rec.bridge && rec.bridge !== bridge && !this.ctx.endpointsOn(rec.Id).some(({ rec: c }) => isUp(c))) deleteLinkQuiet(rec.bridge);
    rec.bridge = bridge;
    rec.subnet = subnet;
    rec.gateway = firstHost(parseSubnet(subnet));
    rec.Options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': String(this.ctx.o.outbound),
      'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1',
      'com.docker.network.bridge.name': bridge,
      'com.docker.network.driver.mtu': '1500',
    };
  }

  // ─────────────────────────── Engine API ───────────────────────────

  async create(opts: NetworkCreateOptions): Promise<{ Id: string; Warning: string }> {
    if (!opts?.Name) throw badParameter('network name must not be empty');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(opts.Name)) throw badParameter(`invalid network name "${opts.Name}"`);
    const driver = opts.Driver || 'bridge';
    if (driver !== 'bridge') throw badParameter(`network driver "${driver}" is not supported by Berth (only bridge)`);
    if (opts.EnableIPv6) throw badParameter('IPv6 networks are not supported by Berth yet');
    if (this.ctx.store.find(opts.Name)?.Name === opts.Name) throw conflict(`network with name ${opts.Name} already exists`);
    const cfgs = opts.IPAM?.Config ?? [];
    if (cfgs.length > 1) throw badParameter('Berth supports one IPv4 subnet per network');
    if (opts.IPAM?.Driver && opts.IPAM.Driver !== 'default') throw badParameter(`IPAM driver "${opts.IPAM.Driver}" is not supported by Berth`);
    const id = randomId();
    const given = cfgs[0];
    let subnet: string;
    let warning = '';
    if (given?.Subnet) {
      subnet = subnetText(parseSubnet(given.Subnet));
      // As dockerd's IPAM: a subnet the user names only has to be free of this engine's own networks; a
      // host route over it is the user's choice (dockerd 20.10 creates it too), so it is only a warning.
      const clash = this.ctx.userSubnets('').find((x) => overlaps(parseSubnet(x), parseSubnet(subnet)));
      if (clash) throw forbidden(`Pool overlaps with other one on this address space (${clash})`);
      const route = subnetCollision(subnet);
      if (route) warning = `subnet ${subnet} overlaps the host route ${route}`;
    } else {
      subnet = pickFreeSubnet(undefined, this.ctx.userSubnets(''));
    }
    const s = parseSubnet(subnet);
    const gateway = given?.Gateway ?? firstHost(s);
    if (!contains(s, gateway)) throw badParameter(`gateway ${gateway} is not in subnet ${subnet}`);
    const rec: NetworkRecord = {
      Id: id,
      Name: opts.Name,
      Created: rfc3339Nano(),
      Driver: 'bridge',
      Internal: !!opts.Internal,
      Attachable: !!opts.Attachable,
      Labels: opts.Labels ?? {},
      Options: opts.Options ?? {},
      builtin: false,
      subnet,
      gateway,
      bridge: `br-${id.slice(0, 12)}`,
      ...(given ? { ipamConfig: [{ Subnet: subnet, ...(given.Gateway ? { Gateway: given.Gateway } : {}), ...(given.IPRange ? { IPRange: given.IPRange } : {}) }] } : {}),
      allocations: {},
    };
    await this.ctx.store.save(rec);
    this.ctx.emit(rec, 'create');
    return { Id: id, Warning: warning };
  }

  async list(opts: { filters?: Filters | string } = {}): Promise<NetworkInspect[]> {
    const f = normalizeFilters(opts.filters);
    // As dockerd (moby daemon/network/filter.go FilterNetworks): name and id are regexps, labels all of,
    // dangling one value, type any of (builtin, custom).
    checkFilterNames(f, ['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling']);
    const danglingVals = f.get('dangling') ?? [];
    if (danglingVals.length > 1) throw badParameter('got more than one value for filter key "dangling"');
    if (danglingVals.length && !['0', '1', 'true', 'false'].includes(danglingVals[0]!)) {
      throw badParameter('invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")');
    }
    const dangling = danglingVals.length ? ['1', 'true'].includes(danglingVals[0]!) : undefined;
    const types = f.get('type') ?? [];
    for (const t of types) if (t !== 'builtin' && t !== 'custom') throw badParameter(`invalid filter: 'type'='${t}'`);
    const used = (n: NetworkRecord): boolean => this.ctx.endpointsOn(n.Id).length > 0;
    return this.store
      .all()
      .filter((n) => exactMatch(f, 'driver', n.Driver))
      .filter((n) => regexMatch(f, 'name', n.Name))
      .filter((n) => regexMatch(f, 'id', n.Id))
      .filter((n) => matchKVList(f, 'label', n.Labels))
      .filter((n) => exactMatch(f, 'scope', 'local'))
      .filter((n) => dangling === undefined || (dangling ? !n.builtin && !used(n) : n.builtin || used(n)))
      .filter((n) => types.length === 0 || types.includes(n.builtin ? 'builtin' : 'custom'))
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((n) => networkInspectView(n, this.ctx.o.containers(), false));
  }

  inspect(idOrName: string): NetworkInspect {
    return networkInspectView(this.ctx.store.get(idOrName), this.ctx.o.containers(), true);
  }

  async remove(idOrName: string): Promise<void> {
    const net = this.ctx.store.get(idOrName);
    if (net.builtin) throw forbidden(`${net.Name} is a pre-defined network and cannot be removed`);
    await this.ctx.mutex.run(net.Id, async () => {
      if (this.ctx.endpointsOn(net.Id).length) throw conflict(`error while removing network: network ${net.Name} id ${net.Id} has active endpoints`);
      await this.bridges.teardown(net);
      await this.ctx.store.delete(net.Id);
      await this.files.removeTable(net.Id);
    });
    this.ctx.emit(net, 'destroy');
  }

  async prune(opts: { filters?: Filters | string } = {}): Promise<PruneResponse> {
    const f = normalizeFilters(opts.filters);
    checkFilterNames(f, ['label', 'label!', 'until']);
    const until = f.get('until')?.[0];
    const untilMs = until === undefined ? undefined : /^\d+$/.test(until) ? Number(until) * 1000 : Date.parse(until);
    const deleted: string[] = [];
    for (const n of this.ctx.store.all()) {
      if (n.builtin || this.ctx.endpointsOn(n.Id).length) continue;
      if (!(f.get('label') ?? []).every((l) => labelMatches(l, n.Labels))) continue;
      if ((f.get('label!') ?? []).some((l) => labelMatches(l, n.Labels))) continue;
      if (untilMs !== undefined && !(Date.parse(n.Created) < untilMs)) continue;
      await this.remove(n.Id).then(() => deleted.push(n.Name), () => {});
    }
    return { NetworksDeleted: deleted.length ? deleted : null };
  }

  async connect(idOrName: string, opts: { Container: string; EndpointConfig?: Record<string, unknown> }): Promise<void> {
    const net = this.ctx.store.get(idOrName);
    const rec = this.ctx.o.findContainer(opts?.Container ?? '');
    if (!rec) throw noSuchContainer(opts?.Container ?? '');
    const mode = rec.cfg.hostConfig.NetworkMode;
    if (mode === 'host' || net.Driver === 'host') throw badParameter('container cannot be disconnected from host network or connected to host network');
    if (mode === 'none' || net.Driver === 'null') throw badParameter('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    rec.cfg.endpoints ??= {};
    if (rec.cfg.endpoints[net.Name]) throw forbidden(`endpoint with name ${rec.cfg.name.slice(1)} already exists in network ${net.Name}`);
    await this.endpoints.connect(rec, net, (opts.EndpointConfig ?? {}) as EndpointRequest);
  }

  async disconnect(idOrName: string, opts: { Container: string; Force?: boolean }): Promise<void> {
    const net = this.ctx.store.get(idOrName);
    const rec = this.ctx.o.findContainer(opts?.Container ?? '');
    if (!rec) throw noSuchContainer(opts?.Container ?? '');
    if (net.Driver === 'host') throw badParameter('container cannot be disconnected from host network or connected to host network');
    const entry = Object.entries(rec.cfg.endpoints ?? {}).find(([, ep]) => ep.NetworkID === net.Id);
    if (!entry) throw forbidden(`container ${rec.cfg.id} is not connected to network ${net.Name}`);
    await this.endpoints.disconnect(rec, net, entry[0], entry[1]);
  }

  // ─────────────────────────── with the engine ───────────────────────────

  /** At open (after a crash too): address maps agree with the containers; stale veths and idle bridges go. */
  async recover(): Promise<void> {
    if (this.ctx.o.readOnly) return;
    const ids = new Set(this.ctx.o.containers().map((r) => r.cfg.id));
    for (const net of this.ctx.store.all()) {
      const held = this.ctx.endpointsOn(net.Id).filter(({ ep }) => ep.IPAddress).map(({ rec, ep }) => ({ ip: ep.IPAddress, containerId: rec.cfg.id }));
      if (reconcileAllocations(net, held, (id) => ids.has(id))) await this.ctx.store.save(net);
      // Containers may have exited while no server ran: their shims read these tables.
      if (!net.builtin && net.Driver === 'bridge') await this.files.refreshNames(net);
    }
    await this.bridges.removeIdleLinks();
  }

  /** The engine closes: idle bridges go (running containers keep theirs until the next open). */
  async close(): Promise<void> {
    await this.bridges.removeIdleLinks();
  }
}
