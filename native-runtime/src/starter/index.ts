export * from './busybox.js';
export * from './debian.js';
export { ensureHostFile } from './host-packages.js';
