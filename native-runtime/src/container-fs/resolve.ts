// Container paths as strings. Resolving them against a root is the addon's job (native/addon/in_root.cc):
// a walk that builds host paths from a container's names can be raced out of the root.
import path from 'node:path';
import { badParameter } from '../errors.js';

/** Cleans a container path to an absolute posix path without "." or ".." left ("/" for empty). */
export function cleanContainerPath(p: string): string {
  if (p.includes('\0')) throw badParameter('path contains a NUL byte');
  return path.posix.normalize('/' + p);
}
