// COPY/ADD source resolution and the content hash Docker's classic builder puts in created_by and
// the cache key:
//  - a file hashes as `file:<sha256>` of its tarsum v1 header (name, mode incl. type bits, uid, gid,
//    size, typeflag, linkname, empty uname/gname, devmajor/minor) followed by its content — no mtime;
//  - a directory as `dir:<sha256 of the sorted hashes of everything below it, joined by ",">`;
//  - several sources as `multi:<sha256 of their hashes joined by ",">`.
// Wildcards follow Go's filepath.Match (one path component per `*`), matched against every path in
// the context. Sources never leave the root: `../x` and symlinks that point out are refused.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { combinedSourceHash, hashStringSlice } from '../created-by.js';
import type { EntryMeta } from './extract.js';

export type SourceErrorCode = 'NOT_FOUND' | 'FORBIDDEN' | 'NO_SOURCES' | 'BAD_PATTERN' | 'DEST_NOT_DIR';

/** A source problem. The executor reports it as `Dockerfile:<line>: COPY failed: <message>`. */
export class SourceError extends Error {
  readonly code: SourceErrorCode;
  constructor(code: SourceErrorCode, message: string) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
  }
}

export interface SourceInfo {
  /** The source as given (after variable expansion) or, for wildcards, the matched path. */
  origPath: string;
  /** Clean path relative to the root of what is copied (a symlink source resolves to its target). */
  rel: string;
  /** Absolute path of what is copied. */
  abs: string;
  type: 'file' | 'dir';
  /** `file:<hex>` or `dir:<hex>`. */
  hash: string;
}

export interface ResolvedSources {
  infos: SourceInfo[];
  /** Docker's combined source hash (one source: its hash; several: `multi:…`). */
  hash: string;
}

export interface ResolveOptions {
  /**
   * How symlinks on the way to a source are treated:
   *  - 'refuse' (build context, default): a symlink whose target leaves the root (absolute, or too
   *    many `..`) is refused with "forbidden path outside the build context";
   *  - 'scope' (an image's rootfs, COPY --from): absolute targets resolve inside the root, as chroot.
   */
  symlinks?: 'refuse' | 'scope';
  /** Ownership recorded from the context tar, used in file headers instead of the on-disk owner. */
  owners?: ReadonlyMap<string, EntryMeta>;
  /** true for COPY --from: "not found" errors are worded without the .dockerignore hint. */
  fromImage?: boolean;
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** containsWildcards: an unescaped `*`, `?` or `[`. */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/** Go's filepath.Match (Unix): `*` and `?` never match `/`; `[a-z]`, `[^a]`; `\` escapes. */
export function matchPath(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i >= pattern.length) throw new SourceError('BAD_PATTERN', `syntax error in pattern: ${pattern}`);
      re += escapeRe(pattern[i]!);
    } else if (ch === '[') {
      let j = i + 1;
      let cls = '[';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let closed = false;
      let first = true;
      for (; j < pattern.length; j++) {
        const c = pattern[j]!;
        if (c === ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (c === '\\') {
          j++;
          if (j >= pattern.length) break;
          cls += escapeRe(pattern[j]!);
        } else if (c === '-') cls += '-';
        else cls += escapeRe(c);
      }
      if (!closed) throw new SourceError('BAD_PATTERN', `syntax error in pattern: ${pattern}`);
      re += cls + ']';
      i = j;
    } else re += escapeRe(ch);
  }
  try {
    return new RegExp(re + '$', 's').test(name);
  } catch {
    throw new SourceError('BAD_PATTERN', `syntax error in pattern: ${pattern}`);
  }
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? '\\' + c : c;
}

/**
 * Resolves `rel` under `root` component by component, following symlinks. Returns the resolved clean
 * relative path ('' for the root) or null when a component is missing.
 */
async function followInScope(root: string, rel: string, orig: string, mode: 'refuse' | 'scope'): Promise<string | null> {
  const resolved: string[] = [];
  const todo = rel.split('/').filter((p) => p && p !== '.');
  let hops = 0;
  while (todo.length) {
    const comp = todo.shift()!;
    if (comp === '..') {
      if (resolved.length === 0) {
        if (mode === 'refuse') throw forbidden(orig);
        continue;
      }
      resolved.pop();
      continue;
    }
    const cur = path.join(root, ...resolved, comp);
    const st = await lstatOrNull(cur);
    if (!st) return null;
    if (st.isSymbolicLink()) {
      if (++hops > 255) throw new SourceError('FORBIDDEN', `too many levels of symbolic links: ${orig}`);
      const target = await fsp.readlink(cur);
      if (target.startsWith('/')) {
        if (mode === 'refuse') throw forbidden(orig, `${[...resolved, comp].join('/')} -> ${target}`);
        resolved.length = 0;
      }
      todo.unshift(...target.split('/').filter((p) => p && p !== '.'));
      continue;
    }
    if (todo.length && !st.isDirectory()) return null;
    resolved.push(comp);
  }
  return resolved.join('/');
}

function forbidden(orig: string, detail = ''): SourceError {
  return new SourceError('FORBIDDEN', `forbidden path outside the build context: ${orig} (${detail})`);
}

/** The tarsum v1 header string Docker hashes before a file's content. */
export function tarsumHeader(name: string, st: Stats, linkname: string, owner?: EntryMeta): string {
  const typeflag = st.isFile() ? '0' : st.isDirectory() ? '5' : st.isSymbolicLink() ? '2' : st.isCharacterDevice() ? '3' : st.isBlockDevice() ? '4' : st.isFIFO() ? '6' : '0';
  const mode = st.mode & 0o177777;
  const size = st.isFile() ? st.size : 0;
  const dev = st.isCharacterDevice() || st.isBlockDevice();
  const major = dev ? Math.floor(st.rdev / 256) & 0xfff : 0;
  const minor = dev ? (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) : 0;
  return (
    `name${name}mode${mode}uid${owner?.uid ?? st.uid}gid${owner?.gid ?? st.gid}size${size}typeflag${typeflag}` +
    `linkname${linkname}unamegnamedevmajor${major}devminor${minor}`
  );
}

/** sha256 hex of one entry: header + content (regular files). `rel` is the clean relative path. */
export async function hashEntry(root: string, rel: string, owners?: ReadonlyMap<string, EntryMeta>): Promise<string> {
  const abs = path.join(root, rel);
  const st = await fsp.lstat(abs);
  const link = st.isSymbolicLink() ? await fsp.readlink(abs) : '';
  const name = st.isDirectory() ? rel + '/' : rel;
  const h = createHash('sha256').update(tarsumHeader(name, st, link, owners?.get(rel)));
  if (st.isFile() && st.size > 0) {
    for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

/** Lexically sorted walk (filepath.WalkDir order), not following symlinks. */
async function walk(root: string, rel: string, visit: (rel: string, st: Stats) => Promise<void>): Promise<void> {
  const abs = rel ? path.join(root, rel) : root;
  const st = await fsp.lstat(abs);
  if (rel) await visit(rel, st);
  if (!st.isDirectory()) return;
  const names = (await fsp.readdir(abs)).sort();
  for (const n of names) await walk(root, rel ? `${rel}/${n}` : n, visit);
}

/**
 * `dir:<hash>`: the sorted hashes of every entry below the directory, and of the directory itself
 * unless it is the root (walkSource). Symlinks inside are hashed as links (their target text).
 */
export async function hashDir(root: string, rel: string, owners?: ReadonlyMap<string, EntryMeta>): Promise<string> {
  const sums: string[] = [];
  await walk(root, rel, async (r) => {
    sums.push(await hashEntry(root, r, owners));
  });
  sums.sort();
  return hashStringSlice('dir', sums);
}

async function infoFor(root: string, origPath: string, displayPath: string, opts: ResolveOptions): Promise<SourceInfo> {
  const mode = opts.symlinks ?? 'refuse';
  const norm = path.posix.normalize(origPath || '.');
  if (mode === 'refuse' && (norm === '..' || norm.startsWith('../'))) throw forbidden(displayPath);
  const rel = await followInScope(root, norm, displayPath, mode);
  const notFound = (): SourceError =>
    new SourceError(
      'NOT_FOUND',
      opts.fromImage
        ? `stat ${displayPath}: file does not exist`
        : `file not found in build context or excluded by .dockerignore: stat ${displayPath}: file does not exist`,
    );
  if (rel === null) throw notFound();
  const abs = rel ? path.join(root, rel) : root;
  const st = await lstatOrNull(abs);
  if (!st) throw notFound();
  if (st.isDirectory()) return { origPath: displayPath, rel, abs, type: 'dir', hash: await hashDir(root, rel, opts.owners) };
  return { origPath: displayPath, rel, abs, type: 'file', hash: 'file:' + (await hashEntry(root, rel, opts.owners)) };
}

/**
 * Resolves COPY/ADD sources (already variable-expanded) against `root` (the build context directory
 * or a stage's rootfs) and computes their hashes. URLs are not handled here.
 */
export async function resolveSources(root: string, sources: readonly string[], opts: ResolveOptions = {}): Promise<ResolvedSources> {
  const base = path.resolve(root);
  const infos: SourceInfo[] = [];
  for (const src of sources) {
    let orig = src;
    if (orig.startsWith('/')) orig = orig.slice(1);
    if (orig.startsWith('./')) orig = orig.slice(2);
    if (containsWildcards(orig)) {
      const pattern = path.posix.normalize(orig);
      if ((opts.symlinks ?? 'refuse') === 'refuse' && (pattern === '..' || pattern.startsWith('../'))) throw forbidden(src);
      const matches: string[] = [];
      await walk(base, '', async (rel) => {
        if (matchPath(pattern, rel)) matches.push(rel);
      });
      for (const m of matches) infos.push(await infoFor(base, m, m, opts));
      continue;
    }
    infos.push(await infoFor(base, orig, src, opts));
  }
  if (infos.length === 0) throw new SourceError('NO_SOURCES', 'no source files were specified');
  return { infos, hash: combinedSourceHash(infos.map((i) => i.hash)) };
}

/** Docker's rule: several sources need a directory destination ending in `/`. */
export function checkDestination(cmdName: 'COPY' | 'ADD', infos: readonly SourceInfo[], dest: string): void {
  if (infos.length > 1 && !dest.endsWith('/')) {
    throw new SourceError('DEST_NOT_DIR', `When using ${cmdName} with more than one source file, the destination must be a directory and end with a /`);
  }
}
