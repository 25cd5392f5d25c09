// What Berth keeps per network (<root>/networks/<id>.json) and per container endpoint (in the
// container's config.json, `endpoints`).
import type { ContainerConfig, ContainerState, HostConfig } from '../engine/types.js';
import type { PublishedPort } from '../native/index.js';

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  Id: string;
  Name: string;
  Created: string;
  Driver: NetworkDriver;
  Internal: boolean;
  Attachable: boolean;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** Docker's predefined networks (bridge, host, none): never removed or pruned. */
  builtin: boolean;
  /** Bridge driver only. */
  subnet?: string;
  gateway?: string;
  /** The Linux bridge's name (≤ 15 bytes). */
  bridge?: string;
  /** Whether IPAM.Config was given by the user (inspect shows it as given). */
  ipamConfig?: { Subnet?: string; Gateway?: string; IPRange?: string }[];
  /** IPAM: address → container id. */
  allocations: Record<string, string>;
}

/** One container's attachment to one network (inspect's Networks[name], plus the host veth name). */
export interface EndpointRecord {
  NetworkID: string;
  EndpointID: string;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  Aliases: string[] | null;
  IPAMConfig: { IPv4Address?: string } | null;
  DriverOpts: Record<string, string> | null;
  /** Host end of the veth pair; the peer is `vethPeer`. Absent for host/none. */
  veth?: string;
  vethPeer?: string;
  /** The interface inside the container for the current run (eth0, eth1, …); set at start or live connect. */
  ifname?: string;
}

/**
 * What networks/ reads and writes of a container: a structural slice of containers/' ContainerRecord,
 * so that networks/ never imports containers/ (containers/ uses networks/, not the other way round).
 */
export interface NetworkedContainer {
  cfg: {
    id: string;
    /** With the leading '/'. */
    name: string;
    endpoints?: Record<string, EndpointRecord>;
    config: Pick<ContainerConfig, 'Hostname' | 'Domainname' | 'ExposedPorts'>;
    hostConfig: Pick<HostConfig, 'NetworkMode' | 'PortBindings' | 'PublishAllPorts' | 'Dns' | 'DnsSearch' | 'DnsOptions' | 'ExtraHosts'>;
  };
  state: { status: ContainerState['Status']; pid: number; startedAt: string; error: string; ports?: PublishedPort[] };
}
