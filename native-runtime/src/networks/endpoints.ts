// A container's endpoints through its life: an address at create, a veth pair per bridge network and
// published ports at start (the first network through the shim, the others moved in right after),
// live connect and disconnect, clean-up at exit and remove. ContainerManager drives this part.
import type { ContainerCreateBody } from '../engine/types.js';
import { badParameter, EngineError, internal } from '../errors.js';
import { ShimStartError, type ShimStarted } from '../native/index.js';
import { randomId, sha256Hex } from '../util/ids.js';
import type { Bridges } from './bridges.js';
import { macFor, parseSubnet } from './cidr.js';
import type { ContainerNetworkFiles } from './container-files.js';
import { hasProcess, isUp, type NetworkContext } from './context.js';
import { allocateIp, releaseIps } from './ipam.js';
import { interfaceName, nextInterfaceName, plugIntoRunning } from './live-link.js';
import { deleteLinkIfPresent, vethNames } from './links.js';
import { portRequests, portTakenMessage, type ShimPort } from './ports.js';
import type { EndpointRecord, NetworkedContainer, NetworkRecord } from './types.js';

/** shim.json additions for a start (docs/runtime.md "Shim protocol"). */
export interface StartNetwork {
  namespace: 'new' | 'host';
  /** veth.host and veth.bridge: the shim creates the pair (docs/runtime.md, "Container network"). */
  network?: { veth: { peer: string; name: string; address: string; mac: string; host: string; bridge: string }; routes: { destination: string; gateway?: string }[] };
  ports: ShimPort[];
  /** The embedded DNS server (a user-defined network): native/shim/dns.h. */
  dns?: { tables: string; forward: string[] };
}

/** EndpointsConfig[network] of a create or connect body: the parts Berth honours. */
export interface EndpointRequest {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string };
}

export class NetworkEndpoints<C extends NetworkedContainer> {
  /** prepareStart → started: the endpoints after the first, to be moved in once the process exists. */
  private readonly startExtras = new Map<string, [string, EndpointRecord][]>();

  constructor(
    private readonly ctx: NetworkContext<C>,
    private readonly bridges: Bridges<C>,
    private readonly files: ContainerNetworkFiles<C>,
  ) {}

  // ─────────────────────────── create / remove ───────────────────────────

  /** The network a create body asks for (404 when it does not exist); also validates the ports. */
  resolveMode(body: ContainerCreateBody): NetworkRecord {
    const mode = body.HostConfig?.NetworkMode || 'default';
    if (mode.startsWith('container:')) throw badParameter(`network mode "${mode}" is not supported yet`);
    const name = mode === 'default' ? 'bridge' : mode;
    const net = this.ctx.store.find(name);
    if (!net) throw new EngineError(404, `network ${name} not found`, { reason: 'network not found' });
    const h = body.HostConfig ?? {};
    portRequests(h.PortBindings, !!h.PublishAllPorts, body.ExposedPorts, '127.0.0.1');
    return net;
  }

  /** At create: the container's endpoint on its network (an address from IPAM on a bridge). */
  async attachAtCreate(rec: C, body: ContainerCreateBody): Promise<void> {
    const net = this.resolveMode(body);
    const ecs = body.NetworkingConfig?.EndpointsConfig ?? {};
    const ec = (ecs[net.Name] ?? ecs[net.Id] ?? {}) as EndpointRequest;
    rec.cfg.endpoints = {};
    await this.addEndpoint(rec, net, ec);
    // Only the container's own files: peers are never listed (dockerd's default bridge has no names
    // between containers; user-defined networks resolve through the embedded DNS server).
    await this.files.writeOwnHosts(rec);
    await this.files.writeResolvConf(rec);
  }

  private async addEndpoint(rec: C, net: NetworkRecord, ec: EndpointRequest): Promise<void> {
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
      await this.ctx.mutex.run(net.Id, async () => {
        ep.IPAddress = allocateIp(net, rec.cfg.id, ec.IPAMConfig?.IPv4Address);
        this.ctx.store.saveSoon(net);
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
  async release(rec: C): Promise<void> {
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) {
      const net = this.ctx.store.find(ep.NetworkID);
      if (!net) continue;
      await this.ctx.mutex.run(net.Id, async () => {
        if (releaseIps(net, rec.cfg.id)) this.ctx.store.saveSoon(net);
      });
    }
  }

  // ─────────────────────────── connect / disconnect ───────────────────────────

  /** A checked connect (see NetworkService.connect): the endpoint, live when the container runs. */
  async connect(rec: C, net: NetworkRecord, ec: EndpointRequest): Promise<void> {
    // A running container whose shim has no DNS server (no user-defined network at its start) keeps its
    // resolv.conf until its next start: pointing it at 127.0.0.11 now would break its resolution.
    const keepResolvConf = hasProcess(rec) && !this.files.userNetworksOf(rec).length;
    await this.addEndpoint(rec, net, ec);
    const ep = rec.cfg.endpoints![net.Name]!;
    // A stopped (or restarting) container gets the endpoint at its next start.
    const live = hasProcess(rec) && !!ep.veth && (await this.plugLive(rec, net, ep));
    await this.ctx.o.saveConfig(rec);
    await this.files.writeOwnHosts(rec);
    if (!keepResolvConf) await this.files.writeResolvConf(rec);
    await this.files.writeDnsList(rec);
    if (live) await this.files.refreshNames(net);
    if (live) this.ctx.emit(net, 'connect', { container: rec.cfg.id });
  }

  /**
   * Connect of a running container: a veth pair on the network's bridge, its peer moved into the
   * container and configured as the next free ethN. False when the container exited meanwhile (the
   * endpoint then waits for the next start); on failure the endpoint is undone.
   */
  private async plugLive(rec: C, net: NetworkRecord, ep: EndpointRecord): Promise<boolean> {
    this.bridges.hold(rec.cfg.id, net.Id);
    let plugged = false;
    try {
      await this.bridges.prepareEndpoint(rec, net, ep);
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
      await this.ctx.mutex.run(net.Id, async () => {
        if (releaseIps(net, rec.cfg.id)) await this.ctx.store.save(net);
      });
      throw e;
    } finally {
      if (!plugged && ep.veth) deleteLinkIfPresent(ep.veth);
      this.bridges.done(rec.cfg.id, net.Id);
    }
  }

  /** A checked disconnect (see NetworkService.disconnect) of the endpoint named name. */
  async disconnect(rec: C, net: NetworkRecord, name: string, ep: EndpointRecord): Promise<void> {
    // Deleting the host end deletes the pair, the container's end included: no setns needed.
    if (ep.veth) deleteLinkIfPresent(ep.veth);
    delete rec.cfg.endpoints![name];
    await this.ctx.mutex.run(net.Id, async () => {
      if (releaseIps(net, rec.cfg.id)) await this.ctx.store.save(net);
    });
    await this.ctx.o.saveConfig(rec);
    if (isUp(rec)) this.ctx.emit(net, 'disconnect', { container: rec.cfg.id });
    await this.files.writeOwnHosts(rec);
    await this.files.writeDnsList(rec);
    await this.files.refreshNames(net);
  }

  // ─────────────────────────── start / exit ───────────────────────────

  /** Every bridge's veth pair ready, shim.json's network (the first one) and ports computed. */
  async prepareStart(rec: C): Promise<StartNetwork> {
    const h = rec.cfg.hostConfig;
    if (h.NetworkMode === 'host') {
      return { namespace: 'host', ports: portRequests(h.PortBindings, h.PublishAllPorts, rec.cfg.config.ExposedPorts, '127.0.0.1') };
    }
    const bridged = this.bridgedEndpoints(rec);
    if (!bridged.length) return { namespace: 'new', ports: portRequests(h.PortBindings, h.PublishAllPorts, rec.cfg.config.ExposedPorts, '127.0.0.1') };
    const nets: NetworkRecord[] = [];
    for (const [i, [name, ep]] of bridged.entries()) {
      const net = this.ctx.store.find(ep.NetworkID);
      if (!net) throw new EngineError(404, `network ${name} not found`, { reason: 'network not found' });
      this.bridges.hold(rec.cfg.id, net.Id);
      // The shim creates the first pair itself, its peer directly in the new namespace (no move).
      await this.bridges.prepareEndpoint(rec, net, ep, i > 0);
      nets.push(net);
    }
    // Docker's order: the first network is eth0 (configured by the shim), the others follow in
    // started() once the container's namespace exists.
    bridged.forEach(([, ep], i) => {
      ep.ifname = interfaceName(i);
      ep.EndpointID = randomId();
    });
    this.startExtras.set(rec.cfg.id, bridged.slice(1));
    await this.ctx.o.saveConfig(rec);
    // An address may have moved with its bridge's subnet.
    await this.files.writeOwnHosts(rec);
    const dns = await this.files.prepareDns(rec, nets);
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

  /** The container's bridge endpoints in Docker's order (the create-time network first, then connects). */
  private bridgedEndpoints(rec: C): [string, EndpointRecord][] {
    return Object.entries(rec.cfg.endpoints ?? {}).filter(([, ep]) => ep.veth);
  }

  /**
   * Only with outbound access, and only on one interface: the default route goes through the first
   * bridge network that is not Internal. Otherwise no route is added (the subnets are on-link).
   */
  private routesFor(rec: C, ep: EndpointRecord): { destination: string; gateway?: string }[] {
    if (!this.ctx.o.outbound) return [];
    const owner = this.bridgedEndpoints(rec).find(([, e]) => !this.ctx.store.find(e.NetworkID)?.Internal)?.[1];
    return owner === ep ? [{ destination: 'default', gateway: ep.Gateway }] : [];
  }

  /**
   * After the shim reported success: the other bridge endpoints are moved into the container (before
   * the start event), the bound ports go into the state; connect events. Returns the error that must
   * fail the start (the caller stops the container): its process already runs.
   */
  started(rec: C, started: ShimStarted): EngineError | undefined {
    this.bridges.done(rec.cfg.id);
    this.files.startEnded(rec.cfg.id);
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
      const net = this.ctx.store.find(ep.NetworkID);
      if (net) this.ctx.emit(net, 'connect', { container: rec.cfg.id });
    }
    return failure;
  }

  /** A failed start: the veth goes (the shim may not have moved it into a namespace); a taken port becomes Docker's 500. */
  async startFailed(rec: C, e: unknown): Promise<unknown> {
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) if (ep.veth) deleteLinkIfPresent(ep.veth);
    this.bridges.done(rec.cfg.id);
    this.startExtras.delete(rec.cfg.id);
    if (this.files.startEnded(rec.cfg.id)) await this.files.refreshNamesOf(rec).catch(() => {});
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
  async exited(rec: C): Promise<void> {
    delete rec.state.ports;
    await this.files.refreshNamesOf(rec);
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) {
      const net = this.ctx.store.find(ep.NetworkID);
      if (net) this.ctx.emit(net, 'disconnect', { container: rec.cfg.id });
    }
  }
}
