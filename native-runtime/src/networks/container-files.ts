// A container's network files: its own /etc/hosts and /etc/resolv.conf (rewritten in place, they are
// bind-mounted), and on user-defined networks the embedded DNS server's name tables and the
// container's list of them. As dockerd: no peers in /etc/hosts; names resolve through 127.0.0.11.
import * as fs from 'node:fs';
import path from 'node:path';
import type { NetworkContext } from './context.js';
import { hasProcess } from './context.js';
import { containerTablesFile, NameTables, type NameEntry } from './dns-tables.js';
import { etcPaths, hostsText, resolvConfText, type EtcFilesInput } from './etc-files.js';
import { rewriteInPlace } from './hosts.js';
import type { NetworkedContainer, NetworkRecord } from './types.js';

/** Where a container on a user-defined network sends its queries (dockerd's embedded server). */
export const EMBEDDED_DNS = '127.0.0.11';

export class ContainerNetworkFiles<C extends NetworkedContainer> {
  private readonly tables: NameTables;
  /** Containers between prepareStart and started/startFailed: their names resolve from the start. */
  private readonly starting = new Set<string>();

  constructor(private readonly ctx: NetworkContext<C>) {
    this.tables = new NameTables(path.join(ctx.o.root, 'networks', 'dns'));
  }

  /** The start is over (started or failed); true when it had been marked as starting. */
  startEnded(containerId: string): boolean {
    return this.starting.delete(containerId);
  }

  removeTable(netId: string): Promise<void> {
    return this.tables.remove(netId);
  }

  /**
   * On a user-defined network: the container's list of tables, its names in them before it runs, and
   * the shim's DNS settings. Upstreams only with outbound access (HostConfig.Dns, else the host's).
   */
  async prepareDns(rec: C, nets: NetworkRecord[]): Promise<{ tables: string; forward: string[] } | undefined> {
    const user = nets.filter((n) => !n.builtin);
    if (!user.length) return undefined;
    this.starting.add(rec.cfg.id);
    await this.writeDnsList(rec);
    for (const net of user) await this.refreshNames(net);
    const open = this.ctx.o.outbound && user.some((n) => !n.Internal);
    const dns = rec.cfg.hostConfig.Dns?.length ? rec.cfg.hostConfig.Dns : hostNameservers();
    return { tables: containerTablesFile(this.ctx.o.containerDir(rec.cfg.id)), forward: open ? dns.filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)) : [] };
  }

  /** Rewrites one network's name table: its endpoints on running (or starting) containers. */
  async refreshNames(net: NetworkRecord): Promise<void> {
    if (net.builtin || net.Driver !== 'bridge' || this.ctx.o.readOnly) return;
    await this.tables.refresh(net.Id, net.Name, () => {
      const out: NameEntry[] = [];
      for (const { rec, ep } of this.ctx.endpointsOn(net.Id)) {
        if (!ep.IPAddress || !(hasProcess(rec) || this.starting.has(rec.cfg.id))) continue;
        out.push({ ip: ep.IPAddress, containerId: rec.cfg.id, names: [rec.cfg.name.slice(1), ...(ep.Aliases ?? []), rec.cfg.config.Hostname] });
      }
      return out;
    });
  }

  async refreshNamesOf(rec: C): Promise<void> {
    for (const ep of Object.values(rec.cfg.endpoints ?? {})) {
      const net = this.ctx.store.find(ep.NetworkID);
      if (net) await this.refreshNames(net);
    }
  }

  userNetworksOf(rec: C): NetworkRecord[] {
    return Object.values(rec.cfg.endpoints ?? {})
      .map((ep) => this.ctx.store.find(ep.NetworkID))
      .filter((n): n is NetworkRecord => !!n && !n.builtin && n.Driver === 'bridge');
  }

  async writeDnsList(rec: C): Promise<void> {
    const dir = this.ctx.o.containerDir(rec.cfg.id);
    if (!fs.existsSync(dir)) return;
    await this.tables.writeContainerList(dir, this.userNetworksOf(rec).map((n) => n.Id));
  }

  /** The container's own /etc/hosts: its address for its hostname, no peers (dockerd's, without --link). */
  async writeOwnHosts(rec: C): Promise<void> {
    const file = etcPaths(this.ctx.o.containerDir(rec.cfg.id)).hosts;
    if (!fs.existsSync(file)) return;
    const self = Object.values(rec.cfg.endpoints ?? {}).find((ep) => ep.IPAddress)?.IPAddress;
    await rewriteInPlace(file, hostsText({ ...etcInput(rec), selfIp: self }));
  }

  /**
   * On a user-defined network the embedded DNS server (as dockerd: nameserver 127.0.0.11, ndots:0); else
   * with outbound access a bridged container gets nameservers (its Dns, else the host's); else none.
   */
  async writeResolvConf(rec: C): Promise<void> {
    const file = etcPaths(this.ctx.o.containerDir(rec.cfg.id)).resolvConf;
    if (!fs.existsSync(file)) return;
    const inp = etcInput(rec);
    if (this.userNetworksOf(rec).length) {
      await rewriteInPlace(file, resolvConfText({ ...inp, nameservers: [EMBEDDED_DNS], dnsOptions: ['ndots:0', ...(inp.dnsOptions ?? [])] }));
      return;
    }
    const bridged = Object.values(rec.cfg.endpoints ?? {}).some((ep) => {
      const net = this.ctx.store.find(ep.NetworkID);
      return net?.Driver === 'bridge' && !net.Internal;
    });
    if (!this.ctx.o.outbound || !bridged) return;
    const dns = rec.cfg.hostConfig.Dns?.length ? rec.cfg.hostConfig.Dns : hostNameservers();
    await rewriteInPlace(file, resolvConfText({ ...inp, nameservers: dns }));
  }
}

function etcInput(rec: NetworkedContainer): EtcFilesInput {
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
