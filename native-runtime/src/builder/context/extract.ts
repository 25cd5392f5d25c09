// Reads a build context tar into a directory, with the safety rules of layer application: nothing is
// written outside the directory (names with `..` refused, leading `/` dropped, never writing through
// a symlink, O_NOFOLLOW|O_EXCL file creation, hardlinks only to files already extracted from this tar,
// no device nodes or fifos). Symlinks are created as they are (they may point anywhere: they are only
// refused when a COPY source would go through them). Then .dockerignore is applied.
import { constants as C, promises as fsp, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { cleanEntryName } from '../../layers/paths.js';
import { LayerError } from '../../layers/errors.js';
import { asNodeWritable } from '../../util/node-streams.js';
import { PatternMatcher, readDockerignore, type MatchInfo } from '../dockerignore.js';
import { ContextError, decompressContext, type ContextCompression } from './decompress.js';

/** What the tar said about an entry (the hash of COPY sources uses the tar's ownership). */
export interface EntryMeta {
  uid: number;
  gid: number;
}

export interface BuildContext {
  /** The extracted context (a fresh temporary directory unless `dir` was given). */
  dir: string;
  compression: ContextCompression;
  /** Ownership recorded from the tar headers, by clean relative path. */
  owners: Map<string, EntryMeta>;
  /** Patterns of .dockerignore ([] when there is none). */
  ignorePatterns: string[];
  /** The Dockerfile's path inside the context (after the lowercase `dockerfile` fallback) and text. */
  dockerfilePath: string;
  dockerfile: Buffer;
  /** Bytes of uncompressed tar read (Docker's "Sending build context … N kB"). */
  tarSize: number;
  /** Removes the directory. */
  cleanup(): Promise<void>;
}

export interface ReadContextOptions {
  /** -f: the Dockerfile's path inside the context. Default "Dockerfile". */
  dockerfile?: string;
  /** Extract here (must exist and be empty) instead of a new temp dir. */
  dir?: string;
  /** Parent for the temp dir. Default os.tmpdir(). */
  tmpParent?: string;
  /** lchown entries to the tar's uid/gid. Default: when running as root. */
  sameOwner?: boolean;
  /** Refuse contexts whose uncompressed tar exceeds this many bytes. */
  maxBytes?: number;
  /** Stop when this aborts. */
  signal?: AbortSignal;
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

interface Ctx {
  root: string;
  sameOwner: boolean;
  extracted: Set<string>;
  owners: Map<string, EntryMeta>;
  dirs: Array<{ rel: string; mode: number; mtime: Date }>;
}

async function ensureDir(ctx: Ctx, rel: string, entry: string): Promise<string> {
  let cur = ctx.root;
  if (rel === '' || rel === '.') return cur;
  for (const comp of rel.split('/')) {
    const next = path.join(cur, comp);
    const st = await lstatOrNull(next);
    if (!st) await fsp.mkdir(next, { mode: 0o755 });
    else if (st.isSymbolicLink()) throw new LayerError('UNSAFE_ENTRY', `refusing to write below symlink ${path.relative(ctx.root, next)}`, entry);
    else if (!st.isDirectory()) throw new LayerError('UNSAFE_ENTRY', `parent ${path.relative(ctx.root, next)} is not a directory`, entry);
    cur = next;
  }
  return cur;
}

async function removeExisting(p: string): Promise<void> {
  const st = await lstatOrNull(p);
  if (!st) return;
  if (st.isDirectory()) await fsp.rm(p, { recursive: true, force: true });
  else await fsp.unlink(p);
}

async function extractEntry(ctx: Ctx, h: tar.Header, body: AsyncIterable<Buffer>): Promise<void> {
  const entry = h.name;
  const rel = cleanEntryName(h.name);
  const mode = (h.mode ?? 0o644) & 0o7777;
  const mtime = h.mtime ?? new Date(0);
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  if (rel === '') {
    if (h.type !== 'directory') throw new LayerError('UNSAFE_ENTRY', 'the context root must be a directory', entry);
    return;
  }
  const parent = await ensureDir(ctx, path.posix.dirname(rel), entry);
  const target = path.join(parent, path.posix.basename(rel));
  ctx.owners.set(rel, { uid, gid });
  switch (h.type) {
    case 'directory': {
      const st = await lstatOrNull(target);
      if (st && !st.isDirectory()) await fsp.unlink(target);
      if (!st || !st.isDirectory()) await fsp.mkdir(target, { mode: 0o700 });
      if (ctx.sameOwner) await fsp.lchown(target, uid, gid);
      ctx.dirs.push({ rel, mode, mtime });
      return;
    }
    case 'file':
    case 'contiguous-file': {
      await removeExisting(target);
      const fh = await fsp.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
      try {
        for await (const chunk of body) {
          for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        }
        if (ctx.sameOwner) await fh.chown(uid, gid);
        await fh.chmod(mode);
        await fh.utimes(mtime, mtime);
      } finally {
        await fh.close();
      }
      ctx.extracted.add(rel);
      return;
    }
    case 'symlink': {
      await removeExisting(target);
      await fsp.symlink(h.linkname ?? '', target);
      if (ctx.sameOwner) await fsp.lchown(target, uid, gid);
      ctx.extracted.add(rel);
      return;
    }
    case 'link': {
      const linkRel = cleanEntryName(h.linkname ?? '', 'hardlink target');
      if (linkRel === '' || !ctx.extracted.has(linkRel)) {
        throw new LayerError('UNSAFE_ENTRY', `hardlink target ${JSON.stringify(h.linkname)} was not extracted earlier from this context`, entry);
      }
      const src = path.join(ctx.root, linkRel);
      const sst = await lstatOrNull(src);
      if (!sst || sst.isDirectory()) throw new LayerError('UNSAFE_ENTRY', `hardlink target ${JSON.stringify(h.linkname)} is missing or a directory`, entry);
      // the link's parents were checked by ensureDir; the target's by the time it was extracted
      if (src === target) return;
      await removeExisting(target);
      await fsp.link(src, target);
      ctx.extracted.add(rel);
      return;
    }
    case 'character-device':
    case 'block-device':
    case 'fifo':
      throw new LayerError('UNSAFE_ENTRY', `refusing ${h.type} entries in a build context`, entry);
    default:
      throw new LayerError('UNSUPPORTED_ENTRY', `unsupported tar entry type ${String(h.type)}`, entry);
  }
}

/** Extracts an (uncompressed) context tar stream into `root`. */
async function extractTar(raw: Readable, root: string, opts: ReadContextOptions, ctx: Ctx): Promise<number> {
  const extract = tar.extract();
  let tarSize = 0;
  raw.on('data', (c: Buffer) => {
    tarSize += c.length;
    if (opts.maxBytes !== undefined && tarSize > opts.maxBytes) {
      raw.destroy(new ContextError('TOO_LARGE', `build context exceeds ${opts.maxBytes} bytes`));
    }
  });
  raw.on('error', (e) => extract.destroy(e));
  const onAbort = (): void => {
    raw.destroy(new ContextError('ABORTED', 'build context upload aborted'));
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  raw.pipe(asNodeWritable(extract));
  try {
    for await (const entry of extract) {
      await extractEntry(ctx, entry.header, entry as AsyncIterable<Buffer>);
      for await (const _ of entry) {
        // drain
      }
    }
  } catch (err) {
    raw.destroy();
    extract.destroy();
    if (err instanceof LayerError) throw new ContextError('UNSAFE_ENTRY', err.message.replace('in layers', 'in a build context'), { cause: err });
    if ((err as Error).message?.includes('Invalid tar header') || (err as Error).message?.includes('Unexpected end of data')) {
      throw new ContextError('INVALID_TAR', `the build context is not a valid tar archive: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  for (const d of ctx.dirs.reverse()) {
    const abs = path.join(root, d.rel);
    const st = await lstatOrNull(abs);
    if (st?.isDirectory()) {
      await fsp.chmod(abs, d.mode);
      await fsp.utimes(abs, d.mtime, d.mtime);
    }
  }
  return tarSize;
}

/**
 * Removes what .dockerignore excludes, except `keep` (the Dockerfile and .dockerignore, which Docker
 * always sends; they are removed afterwards only if excluded, after being read).
 */
export async function applyDockerignore(root: string, patterns: readonly string[], keep: readonly string[] = []): Promise<void> {
  if (patterns.length === 0) return;
  const pm = new PatternMatcher(patterns);
  const keepSet = new Set(keep);
  const walk = async (relDir: string, info: MatchInfo | undefined): Promise<void> => {
    const abs = path.join(root, relDir);
    const names = (await fsp.readdir(abs)).sort();
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      const p = path.join(root, rel);
      const st = await fsp.lstat(p);
      const r = pm.matchesUsingParentResults(rel, info);
      if (st.isDirectory()) {
        if (r.matched && !pm.mayIncludeBelow(rel) && ![...keepSet].some((k) => k.startsWith(rel + '/'))) {
          await fsp.rm(p, { recursive: true, force: true });
          continue;
        }
        await walk(rel, r.info);
        if (r.matched && (await fsp.readdir(p)).length === 0) await fsp.rmdir(p);
      } else if (r.matched && !keepSet.has(rel)) {
        await fsp.unlink(p);
      }
    }
  };
  await walk('', undefined);
}

/** Resolves `rel` inside root without leaving it, following symlinks as chroot would. Null if missing. */
async function scopedFile(root: string, rel: string): Promise<string | null> {
  let cur = root;
  const parts = rel.split('/').filter((p) => p && p !== '.');
  let hops = 0;
  while (parts.length) {
    const comp = parts.shift()!;
    if (comp === '..') {
      cur = cur === root ? root : path.dirname(cur);
      continue;
    }
    const next = path.join(cur, comp);
    const st = await lstatOrNull(next);
    if (!st) return null;
    if (st.isSymbolicLink()) {
      if (++hops > 40) return null;
      const t = await fsp.readlink(next);
      if (t.startsWith('/')) cur = root;
      parts.unshift(...t.split('/').filter((p) => p && p !== '.'));
      continue;
    }
    cur = next;
  }
  return cur;
}

/** Reads a context tar (plain/gzip/bzip2/xz) into a directory and loads its Dockerfile. */
export async function readContext(source: AsyncIterable<Uint8Array | string> | Readable, opts: ReadContextOptions = {}): Promise<BuildContext> {
  const dir = opts.dir ?? (await fsp.mkdtemp(path.join(opts.tmpParent ?? os.tmpdir(), 'berth-build-context-')));
  const cleanup = (): Promise<void> => fsp.rm(dir, { recursive: true, force: true });
  try {
    const ctx: Ctx = { root: path.resolve(dir), sameOwner: opts.sameOwner ?? process.getuid?.() === 0, extracted: new Set(), owners: new Map(), dirs: [] };
    const { stream, compression } = await decompressContext(source);
    const tarSize = await extractTar(stream, ctx.root, opts, ctx);

    const dfName = cleanEntryName(opts.dockerfile ?? 'Dockerfile', 'Dockerfile path') || 'Dockerfile';
    let dfPath = dfName;
    let dfAbs = await scopedFile(ctx.root, dfName);
    if (!dfAbs && (opts.dockerfile === undefined || opts.dockerfile === 'Dockerfile')) {
      dfAbs = await scopedFile(ctx.root, 'dockerfile');
      dfPath = 'dockerfile';
    }
    const dst = dfAbs ? await fsp.stat(dfAbs).catch(() => null) : null;
    if (!dfAbs || !dst?.isFile()) throw new ContextError('NO_DOCKERFILE', `Cannot locate specified Dockerfile: ${opts.dockerfile ?? 'Dockerfile'}`);
    const dockerfile = await fsp.readFile(dfAbs);
    if (dockerfile.length === 0) throw new ContextError('EMPTY_DOCKERFILE', `the Dockerfile (${opts.dockerfile ?? 'Dockerfile'}) cannot be empty`);

    let ignorePatterns: string[] = [];
    const ignoreAbs = path.join(ctx.root, '.dockerignore');
    const ist = await lstatOrNull(ignoreAbs);
    if (ist?.isFile()) ignorePatterns = readDockerignore(await fsp.readFile(ignoreAbs));
    if (ignorePatterns.length) {
      await applyDockerignore(ctx.root, ignorePatterns, ['.dockerignore', dfPath]);
      // removeDockerfile: both are removed from the context when .dockerignore excludes them
      const pm = new PatternMatcher(ignorePatterns);
      for (const f of ['.dockerignore', dfPath]) {
        if (pm.matchesOrParentMatches(f)) await fsp.rm(path.join(ctx.root, f), { force: true });
      }
    }
    return { dir: ctx.root, compression, owners: ctx.owners, ignorePatterns, dockerfilePath: dfPath, dockerfile, tarSize, cleanup };
  } catch (err) {
    if (!opts.dir) await cleanup().catch(() => {});
    throw err;
  }
}
