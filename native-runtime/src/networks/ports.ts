// Published ports: HostConfig.PortBindings and PublishAllPorts (with the exposed ports) turned into the
// shim's `ports` list, and the bound ports shown as Docker shows them. HostIp defaults to 127.0.0.1,
// not Docker's 0.0.0.0: a published port is reachable from this host only unless asked otherwise.
import { badParameter } from '../errors.js';
import type { PortMap, PortSummary } from '../engine/types.js';
import type { PublishedPort } from '../native/index.js';

export const DEFAULT_HOST_IP = '127.0.0.1';

export interface ShimPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
  connectIp: string;
}

function parsePortKey(key: string): { from: number; to: number; proto: 'tcp' | 'udp' } {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(key);
  if (!m) throw badParameter(`invalid port specification: "${key}"`);
  if (m[3] === 'sctp') throw badParameter(`publishing sctp port ${key} is not supported by Berth`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (from < 1 || to > 65535 || to < from) throw badParameter(`invalid port specification: "${key}"`);
  return { from, to, proto: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

function parseHostPorts(text: string | undefined, count: number, key: string): number[] {
  if (!text) return Array(count).fill(0);
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw badParameter(`invalid hostPort: ${text}`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (from > 65535 || to > 65535 || to < from) throw badParameter(`invalid hostPort: ${text}`);
  if (to === from) return Array.from({ length: count }, (_v, i) => (count === 1 ? from : from + i));
  if (to - from + 1 !== count) throw badParameter(`invalid port range for ${key}: host range ${text} must be as long as the container range`);
  return Array.from({ length: count }, (_v, i) => from + i);
}

/** Validates and expands the bindings (also used at create, for a 400 there). */
export function portRequests(bindings: PortMap | null | undefined, publishAll: boolean, exposed: Record<string, unknown> | null | undefined, connectIp: string): ShimPort[] {
  const out: ShimPort[] = [];
  const map: PortMap = { ...(bindings ?? {}) };
  if (publishAll) for (const k of Object.keys(exposed ?? {})) if (!map[k]?.length) map[k] = [{ HostIp: '', HostPort: '' }];
  for (const [key, list] of Object.entries(map)) {
    const { from, to, proto } = parsePortKey(key);
    for (const b of list ?? []) {
      const hostIp = b.HostIp || DEFAULT_HOST_IP;
      if (!/^[0-9.]+$/.test(hostIp) && !/^[0-9a-fA-F:]+$/.test(hostIp)) throw badParameter(`invalid IP address: ${hostIp}`);
      const hostPorts = parseHostPorts(b.HostPort, to - from + 1, key);
      for (let p = from; p <= to; p++) out.push({ hostIp, hostPort: hostPorts[p - from]!, containerPort: p, proto, connectIp });
    }
  }
  return out;
}

const keyOf = (p: { containerPort: number; proto: string }): string => `${p.containerPort}/${p.proto}`;

/** NetworkSettings.Ports of a running container: bound ports, exposed-only ones as null. */
export function portMapView(bound: PublishedPort[] | undefined, exposed: Record<string, unknown> | null | undefined): PortMap {
  const out: PortMap = {};
  for (const k of Object.keys(exposed ?? {})) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const p of bound ?? []) (out[keyOf(p)] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  return out;
}

/** The list's Ports. */
export function portSummaries(bound: PublishedPort[] | undefined, exposed: Record<string, unknown> | null | undefined): PortSummary[] {
  const out: PortSummary[] = [];
  const published = new Set<string>();
  for (const p of bound ?? []) {
    published.add(keyOf(p));
    out.push({ IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  }
  for (const k of Object.keys(exposed ?? {})) {
    const { from, proto } = parsePortKey(k);
    if (!published.has(`${from}/${proto}`)) out.push({ PrivatePort: from, Type: proto });
  }
  return out;
}

/** Docker's wording for a host port that is taken (status 500, as dockerd). */
export function portTakenMessage(endpoint: string, endpointId: string, shimMessage: string): string {
  const m = /bind ([^ ]+):(\d+)\/(tcp|udp)/.exec(shimMessage);
  const addr = m ? `${m[1]}:${m[2]}` : shimMessage;
  return `driver failed programming external connectivity on endpoint ${endpoint} (${endpointId}): Bind for ${addr} failed: port is already allocated`;
}
