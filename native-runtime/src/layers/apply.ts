// applyLayer: extract an OCI/Docker layer tar into a snapshot's directory, safely.
//
// Safety model: nothing is ever written outside destDir.
//  - entry and hardlink names with a ".." component are refused; leading "/" is dropped;
//  - symlinks are created verbatim (absolute targets are container-absolute) but never followed:
//    every parent directory is checked with lstat, component by component, and an entry below a
//    symlink is refused (tar tools never produce one; a hostile tar uses it to escape);
//  - files are opened O_NOFOLLOW|O_EXCL after removing whatever was there;
//  - hardlinks must name a non-directory already extracted from this same tar;
//  - device nodes and fifos are refused; whiteouts become overlay whiteouts (0:0 char devices).
//
// On error, destDir is left half-written: the CALLER must discard it (unpackImage removes the
// active snapshot). That keeps this function free of rollback logic.
import { constants as C, promises as fsp, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Transform } from 'node:stream';
import * as tar from 'tar-stream';
import { diskUsage } from '../util/du.js';
import { nativeOps } from '../util/native.js';
import { decompressed, type ByteStream } from './compression.js';
import { LayerError } from './errors.js';
import { cleanEntryName, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './paths.js';

export interface ApplyOptions {
  /** lchown entries to their tar uid/gid. Default: when running as root. */
  sameOwner?: boolean;
  onEntry?: (name: string) => void;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar: the layer's diffID. */
  diffId: string;
  /** Bytes of file content extracted, as Docker's DiffSize. */
  size: number;
  /** Bytes of uncompressed tar read. */
  tarSize: number;
}

const S_IFCHR = 0o020000;

export async function applyLayer(source: ByteStream, destDir: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const root = path.resolve(destDir);
  const rst = await fsp.lstat(root);
  if (!rst.isDirectory()) throw new Error(`applyLayer: ${root} is not a directory`);
  const sameOwner = opts.sameOwner ?? process.getuid?.() === 0;

  const raw = await decompressed(source);
  const hash = createHash('sha256');
  let tarSize = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      tarSize += chunk.length;
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  raw.on('error', (e) => hasher.destroy(e));
  hasher.on('error', (e) => extract.destroy(e));
  const hashed = new Promise<void>((resolve, reject) => {
    hasher.on('end', resolve);
    hasher.on('error', reject);
  });
  hashed.catch(() => {}); // observed below; avoid an unhandled rejection when the loop throws first
  raw.pipe(hasher).pipe(extract as unknown as NodeJS.WritableStream);

  const ctx: Ctx = { root, sameOwner, extracted: new Set(), dirs: [] };
  try {
    for await (const entry of extract) {
      opts.onEntry?.(entry.header.name);
      await applyEntry(ctx, entry.header, entry as AsyncIterable<Buffer>);
      for await (const _ of entry) {
        // drain whatever the handler did not read (non-file entries have no body)
      }
    }
    await hashed;
    // Directory mtimes last: creating their children changed them.
    for (const d of ctx.dirs.reverse()) {
      const abs = await resolveExisting(ctx, d.rel, d.rel || '.').catch(() => null); // replaced later by a non-dir
      if (abs && (await fsp.lstat(abs)).isDirectory()) await fsp.utimes(abs, d.mtime, d.mtime);
    }
  } catch (err) {
    raw.destroy();
    hasher.destroy();
    extract.destroy();
    throw err;
  }
  const usage = await diskUsage(root);
  return { diffId: 'sha256:' + hash.digest('hex'), size: usage.size, tarSize };
}

interface Ctx {
  root: string;
  sameOwner: boolean;
  /** Non-directory paths written from this tar: the only legal hardlink targets. */
  extracted: Set<string>;
  dirs: Array<{ rel: string; mtime: Date }>;
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Walks `rel` from the root with lstat, creating missing directories, refusing symlinks and non-dirs. */
async function ensureDir(ctx: Ctx, rel: string, entry: string): Promise<string> {
  let cur = ctx.root;
  if (rel === '' || rel === '.') return cur;
  for (const comp of rel.split('/')) {
    const next = path.join(cur, comp);
    const st = await lstatOrNull(next);
    if (!st) {
      await fsp.mkdir(next, { mode: 0o755 });
    } else if (st.isSymbolicLink()) {
      throw new LayerError('UNSAFE_ENTRY', `refusing to write below symlink ${path.relative(ctx.root, next)}`, entry);
    } else if (!st.isDirectory()) {
      throw new LayerError('UNSAFE_ENTRY', `parent ${path.relative(ctx.root, next)} is not a directory`, entry);
    }
    cur = next;
  }
  return cur;
}

/** Like ensureDir for an existing path, creating nothing; null when a component is missing. */
async function resolveExisting(ctx: Ctx, rel: string, entry: string): Promise<string | null> {
  let cur = ctx.root;
  if (rel === '') return cur;
  const comps = rel.split('/');
  for (let i = 0; i < comps.length; i++) {
    const next = path.join(cur, comps[i]!);
    const st = await lstatOrNull(next);
    if (!st) return null;
    if (i < comps.length - 1 && !st.isDirectory()) {
      throw new LayerError('UNSAFE_ENTRY', `path goes through non-directory ${path.relative(ctx.root, next)}`, entry);
    }
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

async function applyEntry(ctx: Ctx, h: tar.Header, body: AsyncIterable<Buffer>): Promise<void> {
  const entry = h.name;
  const rel = cleanEntryName(h.name);
  const mode = (h.mode ?? 0o644) & 0o7777;
  const mtime = h.mtime ?? new Date(0);
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;

  if (rel === '') {
    if (h.type !== 'directory') throw new LayerError('UNSAFE_ENTRY', 'the layer root must be a directory', entry);
    if (ctx.sameOwner) await fsp.lchown(ctx.root, uid, gid);
    await fsp.chmod(ctx.root, mode);
    ctx.dirs.push({ rel: '', mtime });
    return;
  }

  const base = path.posix.basename(rel);
  const parent = await ensureDir(ctx, path.posix.dirname(rel), entry);
  const target = path.join(parent, base);

  if (base.startsWith(WHITEOUT_PREFIX)) {
    const native = await nativeOps();
    if (base === WHITEOUT_OPAQUE) {
      native.setxattr(parent, 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return; // aufs bookkeeping (.wh..wh.plnk etc.): nothing to apply
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw new LayerError('UNSAFE_ENTRY', 'invalid whiteout name', entry);
    const wpath = path.join(parent, victim);
    await removeExisting(wpath);
    native.mknod(wpath, S_IFCHR, 0, 0);
    if (ctx.sameOwner) await fsp.lchown(wpath, uid, gid);
    return;
  }

  switch (h.type) {
    case 'directory': {
      const st = await lstatOrNull(target);
      if (st && !st.isDirectory()) await fsp.unlink(target);
      if (!st || !st.isDirectory()) await fsp.mkdir(target, { mode: 0o700 });
      if (ctx.sameOwner) await fsp.lchown(target, uid, gid);
      await setXattrs(h, target, entry);
      await fsp.chmod(target, mode);
      ctx.dirs.push({ rel, mtime });
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
        // chown before chmod: chown clears setuid/setgid bits.
        if (ctx.sameOwner) await fh.chown(uid, gid);
        await setXattrs(h, target, entry);
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
      await setXattrs(h, target, entry);
      await fsp.lutimes(target, mtime, mtime);
      ctx.extracted.add(rel);
      return;
    }
    case 'link': {
      const linkRel = cleanEntryName(h.linkname ?? '', 'hardlink target');
      if (linkRel === '' || !ctx.extracted.has(linkRel)) {
        throw new LayerError('UNSAFE_ENTRY', `hardlink target ${JSON.stringify(h.linkname)} was not extracted earlier from this layer`, entry);
      }
      const src = await resolveExisting(ctx, linkRel, entry);
      const sst = src ? await lstatOrNull(src) : null;
      if (!src || !sst || sst.isDirectory()) {
        throw new LayerError('UNSAFE_ENTRY', `hardlink target ${JSON.stringify(h.linkname)} is missing or a directory`, entry);
      }
      if (src === target) return;
      await removeExisting(target);
      await fsp.link(src, target); // linkat without AT_SYMLINK_FOLLOW: links a symlink itself, never its target
      ctx.extracted.add(rel);
      return;
    }
    case 'character-device':
    case 'block-device':
    case 'fifo':
      throw new LayerError('UNSAFE_ENTRY', `refusing ${h.type} entries in layers`, entry);
    default:
      throw new LayerError('UNSUPPORTED_ENTRY', `unsupported tar entry type ${String(h.type)}`, entry);
  }
}

/** Applies SCHILY.xattr.* PAX records. Values are text (tar-stream decodes PAX as UTF-8). */
async function setXattrs(h: tar.Header, target: string, entry: string): Promise<void> {
  const pax = h.pax as Record<string, string> | null | undefined;
  if (!pax) return;
  const keys = Object.keys(pax).filter((k) => k.startsWith('SCHILY.xattr.'));
  if (!keys.length) return;
  const native = await nativeOps();
  for (const k of keys) {
    const name = k.slice('SCHILY.xattr.'.length);
    if (name.startsWith('trusted.overlay.')) {
      throw new LayerError('UNSAFE_ENTRY', `refusing overlay xattr ${name} in a layer`, entry);
    }
    try {
      native.setxattr(target, name, Buffer.from(pax[k]!, 'utf8'));
    } catch (err) {
      // user.* xattrs are not allowed on symlinks, and some filesystems lack xattr support: not fatal, as in Docker.
      const code = (err as NodeJS.ErrnoException).errno;
      if (code !== 95 && code !== 1 && code !== -95 && code !== -1) throw err;
    }
  }
}
