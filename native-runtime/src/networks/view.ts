// Network shapes of the Engine API: a container's NetworkSettings (Networks map, legacy top-level
// fields for the default bridge, Ports) and a network's inspect body.
import { createHash } from 'node:crypto';
import type { EndpointSettings, NetworkInspect, NetworkSettings } from '../engine/types.js';
import { portMapView } from './ports.js';
import type { EndpointRecord, NetworkedContainer, NetworkRecord } from './types.js';

export const builtinNetworkId = (name: string): string => createHash('sha256').update(`berth-network-${name}`).digest('hex');

const isUp = (rec: NetworkedContainer): boolean => ['running', 'paused', 'restarting'].includes(rec.state.status);

function endpointView(ep: EndpointRecord, up: boolean): EndpointSettings {
  return {
    IPAMConfig: ep.IPAMConfig,
    Links: null,
    Aliases: ep.Aliases,
    NetworkID: ep.NetworkID,
    EndpointID: up ? ep.EndpointID : '',
    Gateway: up ? ep.Gateway : '',
    IPAddress: up ? ep.IPAddress : '',
    IPPrefixLen: up ? ep.IPPrefixLen : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: up ? ep.MacAddress : '',
    DriverOpts: ep.DriverOpts,
  };
}

/** Containers created before networks existed carry no endpoints: they ran without a network. */
function legacyEndpoints(rec: NetworkedContainer): Record<string, EndpointRecord> {
  const name = rec.cfg.hostConfig.NetworkMode === 'host' ? 'host' : 'none';
  const id = createHash('sha256').update(`${rec.cfg.id}-${rec.state.startedAt}`).digest('hex');
  return {
    [name]: { NetworkID: builtinNetworkId(name), EndpointID: id, IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', Aliases: null, IPAMConfig: null, DriverOpts: null },
  };
}

export function containerEndpoints(rec: NetworkedContainer): Record<string, EndpointRecord> {
  return rec.cfg.endpoints ?? legacyEndpoints(rec);
}

export function networksView(rec: NetworkedContainer): Record<string, EndpointSettings> {
  const up = isUp(rec);
  const out: Record<string, EndpointSettings> = {};
  for (const [name, ep] of Object.entries(containerEndpoints(rec))) out[name] = endpointView(ep, up);
  return out;
}

/** The NetworkSettings fields that depend on the network (the rest is the container view's). */
export function networkSettingsView(rec: NetworkedContainer): Pick<NetworkSettings, 'Ports' | 'EndpointID' | 'Gateway' | 'IPAddress' | 'IPPrefixLen' | 'MacAddress' | 'Networks'> {
  const up = isUp(rec);
  const eps = containerEndpoints(rec);
  const def = up ? eps['bridge'] : undefined;
  return {
    Ports: up ? portMapView(rec.state.ports, rec.cfg.config.ExposedPorts) : {},
    EndpointID: def?.EndpointID ?? '',
    Gateway: def?.Gateway ?? '',
    IPAddress: def?.IPAddress ?? '',
    IPPrefixLen: def?.IPPrefixLen ?? 0,
    MacAddress: def?.MacAddress ?? '',
    Networks: networksView(rec),
  };
}

export function networkInspectView(net: NetworkRecord, containers: NetworkedContainer[], withContainers: boolean): NetworkInspect {
  const members: NetworkInspect['Containers'] = {};
  if (withContainers) {
    for (const c of containers) {
      if (!isUp(c)) continue;
      const ep = Object.values(c.cfg.endpoints ?? {}).find((e) => e.NetworkID === net.Id);
      if (!ep) continue;
      members[c.cfg.id] = {
        Name: c.cfg.name.slice(1),
        EndpointID: ep.EndpointID,
        MacAddress: ep.MacAddress,
        IPv4Address: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : '',
        IPv6Address: '',
      };
    }
  }
  const config = net.Driver !== 'bridge' ? [] : net.ipamConfig ?? [{ Subnet: net.subnet!, Gateway: net.gateway! }];
  return {
    Name: net.Name,
    Id: net.Id,
    Created: net.Created,
    Scope: 'local',
    Driver: net.Driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: net.builtin ? null : {}, Config: config },
    Internal: net.Internal,
    Attachable: net.Attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: members,
    Options: net.Options,
    Labels: net.Labels,
  };
}
