export { NetworkService, EMBEDDED_DNS, type BridgeOptions, type NetworkServiceOptions, type StartNetwork } from './service.js';
export type { NetworkEndpoints, EndpointRequest } from './endpoints.js';
export { NetworkStore } from './store.js';
export { networksView, networkSettingsView, networkInspectView, builtinNetworkId, containerEndpoints } from './view.js';
export { portRequests, portMapView, portSummaries, DEFAULT_HOST_IP, type ShimPort } from './ports.js';
export { pickFreeSubnet, subnetCollision, SUBNET_CANDIDATES } from './subnet-pick.js';
export { enableNat, disableNat } from './outbound.js';
export type { EndpointRecord, NetworkRecord, NetworkedContainer } from './types.js';
