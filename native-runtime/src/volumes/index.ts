export { VolumeService, mountPointsView, type MountUser, type ShimMountEntry } from './service.js';
export { VolumeStore, checkVolumeName } from './store.js';
export { mountRequests, parseBind, parseMountSpec, type MountRequest } from './parse.js';
export { ANONYMOUS_LABEL, type ContainerMount, type VolumeMeta } from './types.js';
