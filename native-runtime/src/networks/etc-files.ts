// /etc/hosts, /etc/hostname and /etc/resolv.conf, written in the container's directory and bind-mounted.
// resolv.conf never copies the host's: outbound access is off, and the host's resolver sits at a private
// address no container may reach (stack-notes: "The network around a container").
import fs from 'node:fs';
import path from 'node:path';
import { badParameter } from '../errors.js';

export interface EtcFilesInput {
  hostname: string;
  domainname?: string;
  extraHosts?: string[] | null;
  dnsSearch?: string[] | null;
  dnsOptions?: string[] | null;
  /** The container's address on its network (replaces 127.0.1.1 for its hostname), src/networks. */
  selfIp?: string;
  /** "ip\tname alias…" lines for the peers on its networks. */
  peers?: string[];
  /** Only with outbound access on (never by default: see the note at the top). */
  nameservers?: string[];
}

export interface EtcFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

export function etcPaths(containerDir: string): EtcFiles {
  return {
    hosts: path.join(containerDir, 'hosts'),
    hostname: path.join(containerDir, 'hostname'),
    resolvConf: path.join(containerDir, 'resolv.conf'),
  };
}

/** "host:ip" (the ip may be IPv6, so split at the first colon). */
export function parseExtraHost(entry: string): { host: string; ip: string } {
  const i = entry.indexOf(':');
  const host = entry.slice(0, i);
  const ip = entry.slice(i + 1);
  if (i <= 0 || !ip) throw badParameter(`invalid ExtraHosts entry "${entry}": want host:ip`);
  if (ip === 'host-gateway') throw badParameter('host-gateway in ExtraHosts needs bridge networking, which is not supported yet');
  if (!/^[0-9.]+$/.test(ip) && !/^[0-9a-fA-F:.]+$/.test(ip)) throw badParameter(`invalid IP address in ExtraHosts entry "${entry}"`);
  return { host, ip };
}

export function hostsText(inp: EtcFilesInput): string {
  const fqdn = inp.domainname ? `${inp.hostname}.${inp.domainname} ${inp.hostname}` : inp.hostname;
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const e of inp.extraHosts ?? []) {
    const { host, ip } = parseExtraHost(e);
    lines.push(`${ip}\t${host}`);
  }
  lines.push(`${inp.selfIp ?? '127.0.1.1'}\t${fqdn}`, ...(inp.peers ?? []));
  return lines.join('\n') + '\n';
}

export function resolvConfText(inp: EtcFilesInput): string {
  const lines = inp.nameservers?.length
    ? inp.nameservers.map((ns) => `nameserver ${ns}`)
    : ['# Written by Berth: outbound network access is off for this container, so no DNS server is listed.'];
  if (inp.dnsSearch?.length) lines.push(`search ${inp.dnsSearch.join(' ')}`);
  if (inp.dnsOptions?.length) lines.push(`options ${inp.dnsOptions.join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * Writes the three files of a new container. Nothing reads them before the container starts, so they are
 * written in place (no temp + rename); regenerated from the config whenever needed, so no fsync.
 */
export async function writeEtcFiles(containerDir: string, inp: EtcFilesInput): Promise<EtcFiles> {
  const p = etcPaths(containerDir);
  fs.mkdirSync(containerDir, { recursive: true });
  fs.writeFileSync(p.hosts, hostsText(inp));
  fs.writeFileSync(p.hostname, `${inp.hostname}\n`);
  fs.writeFileSync(p.resolvConf, resolvConfText(inp));
  return p;
}
