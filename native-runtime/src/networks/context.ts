// What the parts of networks/ share: the options, the network records, one mutex per network (its
// bridge and its addresses), the events, and which containers have an endpoint on a network.
import path from 'node:path';
import type { EventBus } from '../events/bus.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { NetworkStore } from './store.js';
import type { EndpointRecord, NetworkedContainer, NetworkRecord } from './types.js';

export interface BridgeOptions {
  /** The Linux bridge of Docker's "bridge" network (≤ 15 bytes). */
  name?: string;
  /** Its IPv4 subnet; checked against the host's routes. Default: the first free candidate. */
  subnet?: string;
}

export interface NetworkServiceOptions<C extends NetworkedContainer = NetworkedContainer> {
  root: string;
  events: EventBus;
  bridge?: BridgeOptions;
  /** Default route + NAT for containers on bridges: OFF unless explicitly asked (docs/runtime.md). */
  outbound: boolean;
  readOnly: boolean;
  containers: () => C[];
  findContainer: (idOrName: string) => C | undefined;
  saveConfig: (rec: C) => Promise<void>;
  /** The container's directory (its hosts and resolv.conf live there). */
  containerDir: (id: string) => string;
}

export const isUp = (rec: NetworkedContainer): boolean => ['running', 'paused', 'restarting'].includes(rec.state.status);
/** A process whose namespace an endpoint can be moved into now ('restarting' has none). */
export const hasProcess = (rec: NetworkedContainer): boolean => ['running', 'paused'].includes(rec.state.status) && rec.state.pid > 0;

export class NetworkContext<C extends NetworkedContainer> {
  readonly store: NetworkStore;
  readonly mutex = new KeyedMutex();

  constructor(readonly o: NetworkServiceOptions<C>) {
    this.store = new NetworkStore(path.join(o.root, 'networks'));
  }

  emit(net: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.o.events.emit('network', action, net.Id, { name: net.Name, type: net.Driver, ...extra });
  }

  endpointsOn(netId: string): { rec: C; ep: EndpointRecord; name: string }[] {
    const out = [];
    for (const rec of this.o.containers()) {
      for (const [name, ep] of Object.entries(rec.cfg.endpoints ?? {})) if (ep.NetworkID === netId) out.push({ rec, ep, name });
    }
    return out;
  }

  /** Subnets of the other networks (a new or moved subnet must not overlap them). */
  userSubnets(exceptId: string): string[] {
    return this.store.all().filter((n) => n.subnet && n.Id !== exceptId).map((n) => n.subnet!);
  }
}
