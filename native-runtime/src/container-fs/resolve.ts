// Paths inside a container root, resolved the way Docker's FollowSymlinkInScope does: every
// component is looked at with lstat, symlinks are followed but interpreted inside the root (an
// absolute target starts at the root, ".." stops at the root), so the result never leaves the root.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { badParameter } from '../errors.js';

const MAX_LINKS = 255;

/** Cleans a container path to an absolute posix path without "." or ".." left ("/" for empty). */
export function cleanContainerPath(p: string): string {
  if (p.includes('\0')) throw badParameter('path contains a NUL byte');
  return path.posix.normalize('/' + p);
}

/**
 * Resolves `p` inside `root`. followLast = false leaves a final symlink unresolved (lstat semantics).
 * Returns the container path (always starts with "/") and the host path under root.
 */
export async function resolveInRoot(root: string, p: string, followLast = true): Promise<{ inner: string; host: string }> {
  let todo = cleanContainerPath(p).split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const comp = todo.shift()!;
    if (comp === '.') continue;
    if (comp === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, comp);
    let st;
    try {
      st = await fsp.lstat(host);
    } catch {
      // Missing: the rest is taken literally (it may be created), still clamped to the root.
      done.push(comp);
      continue;
    }
    if (!st.isSymbolicLink() || (!followLast && todo.length === 0)) {
      done.push(comp);
      continue;
    }
    if (++links > MAX_LINKS) throw badParameter(`too many levels of symbolic links resolving ${p}`);
    const target = await fsp.readlink(host);
    if (target.startsWith('/')) done.length = 0;
    todo = [...target.split('/').filter(Boolean), ...todo];
  }
  const inner = '/' + done.join('/');
  return { inner, host: path.join(root, ...done) };
}

/** True when `target` of a symlink at container path `at` leaves the root lexically. */
export function symlinkEscapes(at: string, target: string): boolean {
  if (target.startsWith('/')) return false; // container-absolute: resolved inside the root
  let depth = cleanContainerPath(path.posix.dirname(at)).split('/').filter(Boolean).length;
  for (const c of target.split('/')) {
    if (c === '..') {
      if (--depth < 0) return true;
    } else if (c !== '' && c !== '.') depth++;
  }
  return false;
}
