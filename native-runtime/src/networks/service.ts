// Networks as the Engine API shows them (create, list, inspect, remove, connect, disconnect, prune),
// and their part in a container's life: an address at create, a veth pair per bridge network and
// published ports at start (the first network through the shim, the others moved in right after),
// live connect and disconnect, clean-up at close and network remove, stale links after a crash.
// Docker's predefined networks bridge (Berth's own Linux bridge), host and none always exist.
// Names: as dockerd, no peer resolution on the default bridge; on user-defined networks the embedded
// DNS server in each shim answers from name tables (dns-tables.ts), never by rewriting peers' files.
// A network's Linux bridge stays up while the engine runs (as docker0 does) and goes at close();
// a container's exit deletes no link: the kernel removes its veth pair with its namespace.
import * as fs from 'node:fs';
import path from 'node:path';
import type { ContainerCreateBody, Filters, NetworkCreateOptions, NetworkInspect, PruneResponse } from '../engine/types.js';
import { badParameter, conflict, EngineError, forbidden, internal, noSuchContainer } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { checkFilterNames, exactMatch, labelMatches, matchKVList, normalizeFilters, regexMatch } from '../events/filters.js';
import { rfc3339Nano } from '../images/time.js';
import { ShimStartError, type ShimStarted } from '../native/index.js';
import { etcPaths, hostsText, resolvConfText, type EtcFilesInput } from '../containers/etc-files.js';
import { KeyedMutex } from '../containers/locks.js';
import type { ContainerRecord } from '../containers/record.js';
import { randomId, sha256Hex } from '../util/ids.js';
import { contains, firstHost, macFor, overlaps, parseSubnet, subnetText } from './cidr.js';
import { containerTablesFile, NameTables, type NameEntry } from './dns-tables.js';
import { rewriteInPlace } from './hosts.js';
import { allocateIp, reconcileAllocations, releaseIps } from './ipam.js';
import { interfaceName, nextInterfaceName, plugIntoRunning } from './live-link.js';
import { createEndpointLink, deleteLinkIfPresent, deleteLinkQuiet, ensureBridge, linkExists, vethNames } from './links.js';
import { disableNat, enableNat } from './outbound.js';
import { portRequests, portTakenMessage, type ShimPort } from './ports.js';
import { NetworkStore } from './store.js';
import { pickFreeSubnet, subnetCollision } from './subnet-pick.js';
import type { EndpointRecord, NetworkRecord } from './types.js';
import { builtinNetworkId, networkInspectView } from './view.js';

export interface BridgeOptions {
  /** The Linux bridge of Docker's "bridge" network (≤ 15 bytes). */
  name?: string;
  /** Its IPv4 subnet; checked against the host's routes. Default: the first free candidate. */
  subnet?: string;
}

export interface NetworkServiceOptions {
  root: string;
  events: EventBus;
  bridge?: BridgeOptions;
  /** Default route + NAT for containers on bridges: OFF unless explicitly asked (docs/runtime.md). */
  outbound: boolean;
  readOnly: boolean;
  containers: () => ContainerRecord[];
  findContainer: (idOrName: string) => ContainerRecord | undefined;
  saveConfig: (rec: ContainerRecord) => Promise<void>;
  /** The container's directory (its hosts and resolv.conf live there). */
  containerDir: (id: string) => string;
}

/** shim.json additions for a start (docs/runtime.md "Shim protocol"). */
export interface StartNetwork {
  namespace: 'new' | 'host';
  /** veth.host and veth.bridge: the shim creates the pair (docs/runtime.md, "Container network"). */
  network?: { veth: { peer: string; name: string; address: string; mac: string; host: string; bridge: string }; routes: { destination: string; gateway?: string }[] };
  ports: ShimPort[];
  /** The embedded DNS server (a user-defined network): native/shim/dns.h. */
  dns?: { tables: string; forward: string[] };
}

/** Where a container on a user-defined network sends its queries (dockerd's embedded server). */
export const EMBEDDED_DNS = '127.0.0.11';

const DEFAULT_ROOT = '/var/lib/berth';
const isUp = (rec: ContainerRecord): boolean => ['running', 'paused', 'restarting'].includes(rec.state.status);
/** A process whose namespace an endpoint can be moved into now ('restarting' has none). */
const hasProcess = (rec: ContainerRecord): boolean => ['running', 'paused'].includes(rec.state.status) && rec.state.pid > 0;
const inFlightKey = (containerId: string, netId: string): string => `${containerId}/${netId}`;

export class NetworkService {
  readonly store: NetworkStore;
  private readonly mutex = new KeyedMutex();
  /** Starts and live connects in flight ("<container id>/<network id>"): that bridge must not be torn down as idle. */
  private readonly inFlight = new Set<string>();
  /** prepareStart → started: the endpoints after the first, to be moved in once the process exists. */
  private readonly startExtras = new Map<string, [string, EndpointRecord][]>();
  /** Bridges this engine has set up (name → "gateway/prefix", NAT): a start then needs no netlink call for them. */
  private readonly bridgesUp = new Map<string, string>();
  /** Containers between prepareStart and started/startFailed: their names resolve from the start. */
  private readonly starting = new Set<string>();
  private readonly tables: NameTables;

  constructor(private readonly o: NetworkServiceOptions) {
    this.store = new NetworkStore(path.join(o.root, 'networks'));
    this.tables = new NameTables(path.join(o.root, 'networks', 'dns'));
  }

  get outbound(): boolean {
    return this.o.outbound;
  }

  /** Loads the records and makes sure bridge, host and none exist (the bridge's subnet chosen once). */
  async load(): Promise<void> {
    await this.store.load();
    if (this.o.readOnly) return;
    for (const [name, driver] of [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']] as const) {
      const id = builtinNetworkId(name);
      let rec = this.store.find(id);
      if (!rec) {
        rec = { Id: id, Name: name, Created: rfc3339Nano(), Driver: driver, Internal: false, Attachable: false, Labels: {}, Options: {}, builtin: true, allocations: {} };
      }
      if (driver === 'bridge') this.configureDefaultBridge(rec);
      await this.store.save(rec);
    }
  }

  private configureDefaultBridge(rec: NetworkRecord): void {
    const b = this.o.bridge ?? {};
    const root = path.resolve(this.o.root);
    // One bridge per data root, so roots (and their IPAMs) never share a segment.
    const bridge = b.name ?? rec.bridge ?? (root === DEFAULT_ROOT ? 'berth0' : `bth${sha256Hex(root).slice(0, 10)}`);
    if (bridge.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridge)) throw badParameter(`bridge name "${bridge}" must be 1-15 characters of [a-zA-Z0-9_.-]`);
    let subnet = b.subnet ? subnetText(parseSubnet(b.subnet)) : rec.subnet;
    if (!subnet) subnet = pickFreeSubnet(undefined, this.userSubnets(rec.Id), bridge);
    if (rec.bridge && rec.bridge !== bridge && !this.endpointsOn(rec.Id).some(({ rec: c }) => isUp(c))) deleteLinkQuiet(rec.bridge);
    rec.bridge = bridge;
    rec.subnet = subnet;
    rec.gateway = firstHost(parseSubnet(subnet));
    rec.Options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': String(this.o.outbound),
      'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1',
      'com.docker.network.bridge.name': bridge,
      'com.docker.network.driver.mtu': '1500',
    };
  }

  private autoSubnet(net: NetworkRecord): boolean {
    return net.builtin ? !this.o.bridge?.subnet : !net.ipamConfig;
  }

  private userSubnets(exceptId: string): string[] {
    return this.store.all().filter((n) => n.subnet && n.Id !== exceptId).map((n) => n.subnet!);
  }

  private mutable(what: string): void {
    if (this.o.readOnly) throw forbidden(`cannot ${what}: this Berth instance is read-only`);
  }

  private emit(net: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.o.events.emit('network', action, net.Id, { name: net.Name, type: net.Driver, ...extra });
  }

  private endpointsOn(netId: string): { rec: ContainerRecord; ep: EndpointRecord; name: string }[] {
    const out = [];
    for (const rec of this.o.containers()) {
      for (const [name, ep] of Object.entries(rec.cfg.endpoints ?? {})) if (ep.NetworkID === netId) out.push({ rec, ep, name });
    }
    return out;
  }

  // ─────────────────────────── Engine API ───────────────────────────

  async create(opts: NetworkCreateOptions): Promise<{ Id: string; Warning: string }> {
    this.mutable('create a network');
    if (!opts?.Name) throw badParameter('network name must not be empty');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(opts.Name)) throw badParameter(`invalid network name "${opts.Name}"`);
    const driver = opts.Driver || 'bridge';
    if (driver !== 'bridge') throw badParameter(`network driver "${driver}" is not supported by Berth (only bridge)`);
    if (opts.EnableIPv6) throw badParameter('IPv6 networks are not supported by Berth yet');
    if (this.store.find(opts.Name)?.Name === opts.Name) throw conflict(`network with name ${opts.Name} already exists`);
    const cfgs = opts.IPAM?.Config ?? [];
    if (cfgs.length > 1) throw badParameter('Berth supports one IPv4 subnet per network');
    if (opts.IPAM?.Driver && opts.IPAM.Driver !== 'default') throw badParameter(`IPAM driver "${opts.IPAM.Driver}" is not supported by Berth`);
    const id = randomId();
    const given = cfgs[0];
    let subnet: string;
    if (given?.Subnet) {
      subnet = subnetText(parseSubnet(given.Subnet));
      const clash = subnetCollision(subnet) ?? this.userSubnets('').find((x) => overlaps(parseSubnet(x), parseSubnet(subnet)));
      if (clash) throw forbidden(`Pool overlaps with other one on this address space (${clash})`);
    } else {
      subnet = pickFreeSubnet(undefined, this.userSubnets(''));
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
    await this.store.save(rec);
    this.emit(rec, 'create');
    return { Id: id, Warning: '' };
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
    const used = (n: NetworkRecord): boolean => this.endpointsOn(n.Id).length > 0;
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
      .map((n) => networkInspectView(n, this.o.containers(), false));
  }

  inspect(idOrName: string): NetworkInspect {
    return networkInspectView(this.store.get(idOrName), this.o.containers(), true);
  }

  async remove(idOrName: string): Promise<void> {
    this.mutable('remove a network');
    const net = this.store.get(idOrName);
    if (net.builtin) throw forbidden(`${net.Name} is a pre-defined network and cannot be removed`);
    await this.mutex.run(net.Id, async () => {
      if (this.endpointsOn(net.Id).length) throw conflict(`error while removing network: network ${net.Name} id ${net.Id} has active endpoints`);
      await this.teardownBridge(net);
      await this.store.delete(net.Id);
      await this.tables.remove(net.Id);
    });
    this.emit(net, 'destroy');
  }

  async prune(opts: { filters?: Filters | string } = {}): Promise<PruneResponse> {
    this.mutable('prune networks');
    const f = normalizeFilters(opts.filters);
    checkFilterNames(f, ['label', 'label!', 'until']);
    const until = f.get('until')?.[0];
    const untilMs = until === undefined ? undefined : /^\d+$/.test(until) ? Number(until) * 1000 : Date.parse(until);
    const deleted: string[] = [];
    for (const n of this.store.all()) {
      if (n.builtin || this.endpointsOn(n.Id).length) continue;
      if (!(f.get('label') ?? []).every((l) => labelMatches(l, n.Labels))) continue;
      if ((f.get('label!') ?? []).some((l) => labelMatches(l, n.Labels))) continue;
      if (untilMs !== undefined && !(Date.parse(n.Created) < untilMs)) continue;
      await this.remove(n.Id).then(() => deleted.push(n.Name), () => {});
    }
    return { NetworksDeleted: deleted.length ? deleted : null };
  }

  async connect(idOrName: string, opts: { Container: string; EndpointConfig?: Record<string, unknown> }): Promise<void> {
    this.mutable('connect a container');
    const net = this.store.get(idOrName);
    const rec = this.o.findContainer(opts?.Container ?? '');
    if (!rec) throw noSuchContainer(opts?.Container ?? '');
    const mode = rec.cfg.hostConfig.NetworkMode;
    if (mode === 'host' || net.Driver === 'host') throw badParameter('container cannot be disconnected from host network or connected to host network');
    if (mode === 'none' || net.Driver === 'null') throw badParameter('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    const eps = (rec.cfg.endpoints ??= {});
    if (eps[net.Name]) throw forbidden(`endpoint with name ${rec.cfg.name.slice(1)} already exists in network ${net.Name}`);
    const ec = (opts.EndpointConfig ?? {}) as { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } };
    // A running container whose shim has no DNS server (no user-defined network at its start) keeps its
    // resolv.conf until its next start: pointing it at 127.0.0.11 now would break its resolution.
    const keepResolvConf = hasProcess(rec) && !this.userNetworksOf(rec).length;
    await this.addEndpoint(rec, net, ec);
    const ep = eps[net.Name]!;
    // A stopped (or restarting) container gets the endpoint at its next start.
    const live = hasProcess(rec) && !!ep.veth && (await this.plugLive(rec, net, ep));
    await this.o.saveConfig(rec);
    await this.writeOwnHosts(rec);
    if (!keepResolvConf) await this.writeResolvConf(rec);
    await this.writeDnsList(rec);
    if (live) await this.refreshNames(net);
    if (live) this.emit(net, 'connect', { container: rec.cfg.id });
  }

  /**
   * Connect of a running container: a veth pair on the network's bridge, its peer moved into the
   * container and configured as the next free ethN. False when the container exited meanwhile (the
   * endpoint then waits for the next start); on failure the endpoint is undone.
   */
  private async plugLive(rec: ContainerRecord, net: NetworkRecord, ep: EndpointRecord): Promise<boolean> {
    const key = inFlightKey(rec.cfg.id, net.Id);
    this.inFlight.add(key);
    let plugged = false;
    try {
      await this.prepareEndpoint(rec, net, ep);
      const used = this.bridgedEndpoints(rec).filter(([, other]) => other !== ep).map(([, other]) => other.ifname ?? interfaceName(0));
      const ifname = nextInterfaceName(used);
      const r = plugIntoRunning(rec.state.pid, ep, ifname, this.routesFor(rec, ep));
      if (r instanceof Error) throw internal(`connecting ${rec.cfg.name.slice(1)} to network ${net.Name} failed: ${r.message}`, r);
      plugged = r === 'ok';
      if (plugged) {
        ep.ifname = ifname;
        ep.EndpointID = randomId();
      }
      return plugged;
    } catch (e) {
      delete rec.cfg.endpoints![net.Name];
      await this.mutex.run(net.Id, async () => {
        if (releaseIps(net, rec.cfg.id)) await this.store.save(net);
      });
      throw e;
    } finally {
      if (!plugged && ep.veth) deleteLinkIfPresent(ep.veth);
      this.inFlight.delete(key);
    }
  }

  async disconnect(idOrName: string, opts: { Container: string; Force?: boolean }): Promise<void> {
    this.mutable('disconnect a container');
    const net = this.store.get(idOrName);
    const rec = this.o.findContainer(opts?.Container ?? '');
    if (!rec) throw noSuchContainer(opts?.Container ?? '');
    if (net.Driver === 'host') throw badParameter('container cannot be disconnected from host network or connected to host network');
    const entry = Object.entries(rec.cfg.endpoints ?? {}).find(([, ep]) => ep.NetworkID === net.Id);
    if (!entry) throw forbidden(`container ${rec.cfg.id} is not connected to network ${net.Name}`);
    const [name, ep] = entry;
    // Deleting the host end deletes the pair, the container's end included: no setns needed.
    if (ep.veth) deleteLinkIfPresent(ep.veth);
    delete rec.cfg.endpoints![name];
    await this.mutex.run(net.Id, async () => {
      if (releaseIps(net, rec.cfg.id)) await this.store.save(net);
    });
    await this.o.saveConfig(rec);
    if (isUp(rec)) this.emit(net, 'disconnect', { container: rec.cfg.id });
    await this.writeOwnHosts(rec);
    await this.writeDnsList(rec);
    await this.refreshNames(net);
  }

  // ─────────────────────────── containers: create ───────────────────────────

  /** The network a create body asks for (404 when it does not exist); also validates the ports. */
  resolveMode(body: ContainerCreateBody): NetworkRecord {
    const mode = body.HostConfig?.NetworkMode || 'default';
    if (mode.startsWith('container:')) throw badParameter(`network mode "${mode}" is not supported yet`);
    const name = mode === 'default' ? 'bridge' : mode;
    const net = this.store.find(name);
    if (!net) throw new EngineError(404, `network ${name} not found`, { reason: 'network not found' });
    const h = body.HostConfig ?? {};
    portRequests(h.PortBindings, !!h.PublishAllPorts, body.ExposedPorts, '127.0.0.1');
    return net;
  }

  /** At create: the container's endpoint on its network (an address from IPAM on a bridge). */
  async attachAtCreate(rec: ContainerRecord, body: ContainerCreateBody): Promise<void> {
    const net = this.resolveMode(body);
    const ecs = body.NetworkingConfig?.EndpointsConfig ?? {};
    const ec = (ecs[net.Name] ?? ecs[net.Id] ?? {}) as { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } };
    rec.cfg.endpoints = {};
    await this.addEndpoint(rec, net, ec);
    // Only the container's own files: peers are never listed (dockerd's default bridge has no names
    // between containers; user-defined networks resolve through the embedded DNS server).
    await this.writeOwnHosts(rec);
    await this.writeResolvConf(rec);
  }

  private async addEndpoint(rec: ContainerRecord, net: NetworkRecord, ec: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } }): Promise<void> {
    const ep: EndpointRecord = {
      NetworkID: net.Id,
      EndpointID: '',
      IPAddress: '',
      IPPrefixLen: 0,
      Gateway: '',
      MacAddress: '',
      Aliases: null,
      IPAMConfig: ec.IPAMConfig?.IPv4Address ? { IPv4Address: ec.IPAMConfig.IPv4Address } : null,
      DriverOpts: null,
    };
    if (net.Driver === 'bridge') {
      await this.mutex.run(net.Id, async () => {
        ep.IPAddress = allocateIp(net, rec.cfg.id, ec.IPAMConfig?.IPv4Address);
        this.store.saveSoon(net);
      });
      ep.IPPrefixLen = parseSubnet(net.subnet!).prefix;
      ep.Gateway = net.gateway!;
      ep.MacAddress = macFor(ep.IPAddress);
      // User-defined networks resolve the short id too, as Docker's embedded DNS does.
      ep.Aliases = net.builtin ? (ec.Aliases?.length ? ec.Aliases : null) : [...(ec.Aliases ?? []), rec.cfg.id.slice(0, 12)];
      const v = vethNames(rec.cfg.id, net.Id);
      ep.veth = v.host;
      ep.vethPeer = v.peer;
    }
    rec.cfg.endpoints![net.Name] = ep;
  }

  /**
   * Frees the addresses of a container whose create failed or that is being removed (it does not run,
   * so it has no veth pair but one the kernel is still deleting: AutoRemove does not wait for that).
   */
  async release(rec: ContainerRecord): Promise<void> {
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) {
      const net = this.store.find(ep.NetworkID);
      if (!net) continue;
      await this.mutex.run(net.Id, async () => {
        if (releaseIps(net, rec.cfg.id)) this.store.saveSoon(net);
      });
    }
  }

  // ─────────────────────────── containers: start / exit ───────────────────────────

  /** Every bridge's veth pair ready, shim.json's network (the first one) and ports computed. */
  async prepareStart(rec: ContainerRecord): Promise<StartNetwork> {
    const h = rec.cfg.hostConfig;
    if (h.NetworkMode === 'host') {
      return { namespace: 'host', ports: portRequests(h.PortBindings, h.PublishAllPorts, rec.cfg.config.ExposedPorts, '127.0.0.1') };
    }
    const bridged = this.bridgedEndpoints(rec);
    if (!bridged.length) return { namespace: 'new', ports: portRequests(h.PortBindings, h.PublishAllPorts, rec.cfg.config.ExposedPorts, '127.0.0.1') };
    const nets: NetworkRecord[] = [];
    for (const [i, [name, ep]] of bridged.entries()) {
      const net = this.store.find(ep.NetworkID);
      if (!net) throw new EngineError(404, `network ${name} not found`, { reason: 'network not found' });
      this.inFlight.add(inFlightKey(rec.cfg.id, net.Id));
      // The shim creates the first pair itself, its peer directly in the new namespace (no move).
      await this.prepareEndpoint(rec, net, ep, i > 0);
      nets.push(net);
    }
    // Docker's order: the first network is eth0 (configured by the shim), the others follow in
    // started() once the container's namespace exists.
    bridged.forEach(([, ep], i) => {
      ep.ifname = interfaceName(i);
      ep.EndpointID = randomId();
    });
    this.startExtras.set(rec.cfg.id, bridged.slice(1));
    await this.o.saveConfig(rec);
    // An address may have moved with its bridge's subnet.
    await this.writeOwnHosts(rec);
    const dns = await this.prepareDns(rec, nets);
    const first = bridged[0]![1];
    return {
      namespace: 'new',
      network: {
        veth: {
          peer: first.vethPeer!,
          name: first.ifname!,
          address: `${first.IPAddress}/${first.IPPrefixLen}`,
          mac: first.MacAddress,
          host: first.veth!,
          bridge: nets[0]!.bridge!,
        },
        routes: this.routesFor(rec, first),
      },
      // Published ports connect to the first network's address.
      ports: portRequests(h.PortBindings, h.PublishAllPorts, rec.cfg.config.ExposedPorts, first.IPAddress),
      ...(dns ? { dns } : {}),
    };
  }

  /**
   * On a user-defined network: the container's list of tables, its names in them before it runs, and
   * the shim's DNS settings. Upstreams only with outbound access (HostConfig.Dns, else the host's).
   */
  private async prepareDns(rec: ContainerRecord, nets: NetworkRecord[]): Promise<StartNetwork['dns']> {
    const user = nets.filter((n) => !n.builtin);
    if (!user.length) return undefined;
    this.starting.add(rec.cfg.id);
    await this.writeDnsList(rec);
    for (const net of user) await this.refreshNames(net);
    const open = this.o.outbound && user.some((n) => !n.Internal);
    const dns = rec.cfg.hostConfig.Dns?.length ? rec.cfg.hostConfig.Dns : hostNameservers();
    return { tables: containerTablesFile(this.o.containerDir(rec.cfg.id)), forward: open ? dns.filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)) : [] };
  }

  /**
   * The network's bridge exists (its subnet still free), ep has an address in it, and (with createLink)
   * its veth pair is on the bridge; without, the shim creates the pair and replaces a leftover host end.
   */
  private async prepareEndpoint(rec: ContainerRecord, net: NetworkRecord, ep: EndpointRecord, createLink = true): Promise<void> {
    await this.mutex.run(net.Id, async () => {
      if (!linkExists(net.bridge!)) {
        const clash = subnetCollision(net.subnet!, net.bridge);
        // A subnet Berth picked itself moves on (another data root or a new host route took it
        // meanwhile); one the user chose is an error.
        if (clash && !this.autoSubnet(net)) throw internal(`the subnet ${net.subnet} of network ${net.Name} overlaps the host route ${clash}; choose another with new Berth({ bridge: { subnet } }) or recreate the network`);
        if (clash) {
          net.subnet = pickFreeSubnet(undefined, this.userSubnets(net.Id), net.bridge);
          net.gateway = firstHost(parseSubnet(net.subnet));
          await this.store.save(net);
        }
      }
      // The bridge's subnet may have changed (options, or moved above) since the address was given out.
      if (!contains(parseSubnet(net.subnet!), ep.IPAddress) || net.allocations[ep.IPAddress] !== rec.cfg.id) {
        releaseIps(net, rec.cfg.id);
        ep.IPAddress = allocateIp(net, rec.cfg.id);
        ep.IPPrefixLen = parseSubnet(net.subnet!).prefix;
        ep.Gateway = net.gateway!;
        ep.MacAddress = macFor(ep.IPAddress);
        this.store.saveSoon(net);
      }
      const nat = this.o.outbound && !net.Internal;
      const want = `${net.gateway}/${ep.IPPrefixLen} nat=${nat}`;
      if (this.bridgesUp.get(net.bridge!) !== want || !linkExists(net.bridge!)) {
        ensureBridge(net.bridge!, net.gateway!, ep.IPPrefixLen);
        if (nat) await enableNat(net.bridge!, net.subnet!);
        this.bridgesUp.set(net.bridge!, want);
      }
      if (createLink) createEndpointLink(net.bridge!, ep.veth!, ep.vethPeer!);
    });
  }

  /** The container's bridge endpoints in Docker's order (the create-time network first, then connects). */
  private bridgedEndpoints(rec: ContainerRecord): [string, EndpointRecord][] {
    return Object.entries(rec.cfg.endpoints ?? {}).filter(([, ep]) => ep.veth);
  }

  /**
   * Only with outbound access, and only on one interface: the default route goes through the first
   * bridge network that is not Internal. Otherwise no route is added (the subnets are on-link).
   */
  private routesFor(rec: ContainerRecord, ep: EndpointRecord): { destination: string; gateway?: string }[] {
    if (!this.o.outbound) return [];
    const owner = this.bridgedEndpoints(rec).find(([, e]) => !this.store.find(e.NetworkID)?.Internal)?.[1];
    return owner === ep ? [{ destination: 'default', gateway: ep.Gateway }] : [];
  }

  /**
   * After the shim reported success: the other bridge endpoints are moved into the container (before
   * the start event), the bound ports go into the state; connect events. Returns the error that must
   * fail the start (the caller stops the container): its process already runs.
   */
  started(rec: ContainerRecord, started: ShimStarted): EngineError | undefined {
    this.clearInFlight(rec.cfg.id);
    this.starting.delete(rec.cfg.id);
    if (started.ports?.length) rec.state.ports = started.ports;
    else delete rec.state.ports;
    let failure: EngineError | undefined;
    const extras = this.startExtras.get(rec.cfg.id) ?? [];
    this.startExtras.delete(rec.cfg.id);
    // Only what prepareStart set up; one disconnected meanwhile is skipped, one connected meanwhile waits for the next start.
    const pending = extras.filter(([n, ep]) => rec.cfg.endpoints?.[n] === ep);
    while (pending.length) {
      const [name, ep] = pending[0]!;
      const r = plugIntoRunning(started.pid, ep, ep.ifname!, this.routesFor(rec, ep));
      if (r === 'gone') break; // exited at once
      if (r instanceof Error) {
        failure = internal(`failed to start container ${rec.cfg.id.slice(0, 12)}: connecting it to network ${name} failed: ${r.message}`, r);
        break;
      }
      pending.shift();
    }
    // Pairs never moved into the namespace do not die with it.
    for (const [, ep] of pending) deleteLinkIfPresent(ep.veth!);
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) {
      const net = this.store.find(ep.NetworkID);
      if (net) this.emit(net, 'connect', { container: rec.cfg.id });
    }
    return failure;
  }

  private clearInFlight(containerId: string): void {
    for (const k of this.inFlight) if (k.startsWith(`${containerId}/`)) this.inFlight.delete(k);
  }

  /** A failed start: the veth goes (the shim may not have moved it into a namespace); a taken port becomes Docker's 500. */
  async startFailed(rec: ContainerRecord, e: unknown): Promise<unknown> {
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) if (ep.veth) deleteLinkIfPresent(ep.veth);
    this.clearInFlight(rec.cfg.id);
    this.startExtras.delete(rec.cfg.id);
    if (this.starting.delete(rec.cfg.id)) await this.refreshNamesOf(rec).catch(() => {});
    if (e instanceof ShimStartError && e.stage === 'ports') {
      const ep = Object.values(rec.cfg.endpoints ?? {})[0];
      const msg = e.errno === 98 ? portTakenMessage(rec.cfg.name.slice(1), ep?.EndpointID || sha256Hex(rec.cfg.id), e.message) : `publishing ports failed: ${e.message}`;
      rec.state.error = msg;
      return new EngineError(500, msg, { cause: e });
    }
    return e;
  }

  /**
   * The container stopped. No link is deleted here: the kernel deletes the veth pair together with the
   * namespace, and an RTM_DELLINK would hold this thread (and the exit's waiters) for tens of ms on the
   * rtnl lock. A leftover of the same name is replaced at the next start; the bridge stays up.
   */
  async exited(rec: ContainerRecord): Promise<void> {
    delete rec.state.ports;
    await this.refreshNamesOf(rec);
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) {
      const net = this.store.find(ep.NetworkID);
      if (net) this.emit(net, 'disconnect', { container: rec.cfg.id });
    }
  }

  /** A bridge with no running container is deleted, so nothing of Berth's lingers on the host. */
  private async teardownIfIdle(netId: string): Promise<void> {
    const net = this.store.find(netId);
    if (!net?.bridge) return;
    await this.mutex.run(netId, async () => {
      if ([...this.inFlight].some((k) => k.endsWith(`/${netId}`))) return;
      if (this.endpointsOn(netId).some(({ rec }) => isUp(rec))) return;
      await this.teardownBridge(net);
    });
  }

  private async teardownBridge(net: NetworkRecord): Promise<void> {
    if (!net.bridge) return;
    this.bridgesUp.delete(net.bridge);
    if (this.o.outbound) await disableNat(net.bridge, net.subnet!).catch(() => {});
    deleteLinkQuiet(net.bridge);
  }

  /** At open (after a crash too): address maps agree with the containers; stale veths and idle bridges go. */
  async recover(): Promise<void> {
    if (this.o.readOnly) return;
    const ids = new Set(this.o.containers().map((r) => r.cfg.id));
    for (const net of this.store.all()) {
      const held = this.endpointsOn(net.Id).filter(({ ep }) => ep.IPAddress).map(({ rec, ep }) => ({ ip: ep.IPAddress, containerId: rec.cfg.id }));
      if (reconcileAllocations(net, held, (id) => ids.has(id))) await this.store.save(net);
      // Containers may have exited while no server ran: their shims read these tables.
      if (!net.builtin && net.Driver === 'bridge') await this.refreshNames(net);
    }
    await this.removeIdleLinks();
  }

  /** The engine closes: idle bridges go (running containers keep theirs until the next open). */
  async close(): Promise<void> {
    await this.removeIdleLinks();
  }

  private async removeIdleLinks(): Promise<void> {
    if (this.o.readOnly) return;
    for (const rec of this.o.containers()) {
      if (isUp(rec)) continue;
      for (const ep of Object.values(rec.cfg.endpoints ?? {})) if (ep.veth) deleteLinkIfPresent(ep.veth);
    }
    for (const net of this.store.all()) await this.teardownIfIdle(net.Id).catch(() => {});
  }

  // ─────────────────────────── names ───────────────────────────

  /** Rewrites one network's name table: its endpoints on running (or starting) containers. */
  private async refreshNames(net: NetworkRecord): Promise<void> {
    if (net.builtin || net.Driver !== 'bridge' || this.o.readOnly) return;
    await this.tables.refresh(net.Id, net.Name, () => {
      const out: NameEntry[] = [];
      for (const { rec, ep } of this.endpointsOn(net.Id)) {
        if (!ep.IPAddress || !(hasProcess(rec) || this.starting.has(rec.cfg.id))) continue;
        out.push({ ip: ep.IPAddress, containerId: rec.cfg.id, names: [rec.cfg.name.slice(1), ...(ep.Aliases ?? []), rec.cfg.config.Hostname] });
      }
      return out;
    });
  }

  private async refreshNamesOf(rec: ContainerRecord): Promise<void> {
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) {
      const net = this.store.find(ep.NetworkID);
      if (net) await this.refreshNames(net);
    }
  }

  private userNetworksOf(rec: ContainerRecord): NetworkRecord[] {
    return Object.values(rec.cfg.endpoints ?? {})
      .map((ep) => this.store.find(ep.NetworkID))
      .filter((n): n is NetworkRecord => !!n && !n.builtin && n.Driver === 'bridge');
  }

  private async writeDnsList(rec: ContainerRecord): Promise<void> {
    if (!fs.existsSync(this.o.containerDir(rec.cfg.id))) return;
    await this.tables.writeContainerList(this.o.containerDir(rec.cfg.id), this.userNetworksOf(rec).map((n) => n.Id));
  }

  /** The container's own /etc/hosts: its address for its hostname, no peers (dockerd's, without --link). */
  private async writeOwnHosts(rec: ContainerRecord): Promise<void> {
    const file = etcPaths(this.o.containerDir(rec.cfg.id)).hosts;
    if (!fs.existsSync(file)) return;
    const self = Object.values(rec.cfg.endpoints ?? {}).find((ep) => ep.IPAddress)?.IPAddress;
    await rewriteInPlace(file, hostsText({ ...etcInput(rec), selfIp: self }));
  }

  /**
   * On a user-defined network the embedded DNS server (as dockerd: nameserver 127.0.0.11, ndots:0); else
   * with outbound access a bridged container gets nameservers (its Dns, else the host's); else none.
   */
  private async writeResolvConf(rec: ContainerRecord): Promise<void> {
    const file = etcPaths(this.o.containerDir(rec.cfg.id)).resolvConf;
    if (!fs.existsSync(file)) return;
    const inp = etcInput(rec);
    if (this.userNetworksOf(rec).length) {
      await rewriteInPlace(file, resolvConfText({ ...inp, nameservers: [EMBEDDED_DNS], dnsOptions: ['ndots:0', ...(inp.dnsOptions ?? [])] }));
      return;
    }
    const bridged = Object.values(rec.cfg.endpoints ?? {}).some((ep) => {
      const net = this.store.find(ep.NetworkID);
      return net?.Driver === 'bridge' && !net.Internal;
    });
    if (!this.o.outbound || !bridged) return;
    const dns = rec.cfg.hostConfig.Dns?.length ? rec.cfg.hostConfig.Dns : hostNameservers();
    await rewriteInPlace(file, resolvConfText({ ...inp, nameservers: dns }));
  }
}

function etcInput(rec: ContainerRecord): EtcFilesInput {
  const c = rec.cfg.config;
  const h = rec.cfg.hostConfig;
  return { hostname: c.Hostname, domainname: c.Domainname, extraHosts: h.ExtraHosts, dnsSearch: h.DnsSearch, dnsOptions: h.DnsOptions };
}

/** The host's resolvers, minus loopback ones (unreachable from a container's namespace). */
function hostNameservers(): string[] {
  let text = '';
  try {
    text = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!).filter((ip) => !ip.startsWith('127.') && ip !== '::1');
}
