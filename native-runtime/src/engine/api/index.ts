// The Engine API's wire shapes, one file per swagger area. Internal records (ContainerRecord, NetworkRecord,
// ImageRecord, …) live with their subsystems and are converted to these shapes by the views and the facade.
export type * from './common.js';
export type * from './networks.js';
export type * from './containers.js';
export type * from './stats.js';
export type * from './exec.js';
export type * from './images.js';
export type * from './volumes.js';
export type * from './system.js';
export type * from './events.js';
