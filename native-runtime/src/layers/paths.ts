// Entry-name hygiene shared by apply and diff.
import path from 'node:path';
import { LayerError } from './errors.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/**
 * Turns a tar entry name into a clean path relative to the layer root ('' for the root itself).
 * Any `..` component is refused outright: legitimate layer tars never need one, and refusing is
 * simpler to reason about than deciding which ones happen to stay inside.
 */
export function cleanEntryName(name: string, what = 'path'): string {
  const parts = name.split('/');
  if (parts.includes('..')) throw new LayerError('UNSAFE_ENTRY', `refusing ${what} with a ".." component`, name);
  if (name.includes('\0')) throw new LayerError('UNSAFE_ENTRY', `refusing ${what} with a NUL byte`, name);
  const rel = path.posix.normalize('./' + parts.filter((p) => p !== '' && p !== '.').join('/'));
  return rel === '.' ? '' : rel;
}
