// @berth/runtime: the embedded engine and the types and helpers its users need.
export { Berth, type BerthOptions } from './berth.js';
export { RegistryPolicy, isLoopbackHost, type RegistryPolicyOptions } from './registry/allow-list.js';
export { listRepositories, listTags, type BrowseOptions } from './registry/catalog.js';
export type { PullArgs, PushArgs } from './facade/ship.js';
export type { ProgressMessage } from './registry/progress.js';
export * from './errors.js';
export type * from './engine/index.js';
export * from './engine/schemas.js';
export {
  parseNormalizedNamed,
  parseNamed,
  parseDockerRef,
  withDefaultTag,
  familiarName,
  familiarString,
  fullName,
  referenceString,
  isImageId,
  InvalidReferenceError,
  type Reference,
} from './images/reference.js';
export { EventBus } from './events/index.js';
export { demux } from './logs/format.js';
export { asNodeReadable, asNodeWritable } from './util/node-streams.js';
