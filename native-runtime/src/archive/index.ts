export { save } from './save.js';
export { load, safeArchivePath, type LoadOptions, type LoadResult } from './load.js';
export { exportContainerFs } from './export.js';
export { gc, type InUse, type GcResult } from './gc.js';
export { acquireLease, activeLeases, withLease, type Lease, type LeaseScope } from './lease.js';
