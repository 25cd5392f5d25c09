// Extracting a `docker cp` tar into a directory of a container, safely. Two passes over a spooled copy:
// 1. check every header first, so a hostile tar is refused with nothing written: names with a ".."
//    component (layers/paths cleanEntryName), symlink entries whose relative target climbs above the
//    container root, entries below a symlink that this tar creates, hardlinks to anything but an
//    earlier entry of the tar, device nodes;
// 2. extract. Each entry's parent is resolved inside the container root (resolveInRoot: existing
//    symlinks of the container are followed, but within its root), the final component is replaced
//    and opened O_NOFOLLOW|O_EXCL, as layers/apply does.
import { constants as C, createReadStream, createWriteStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { badParameter } from '../errors.js';
import { cleanEntryName } from '../layers/paths.js';
import { LayerError } from '../layers/errors.js';
import { resolveInRoot, symlinkEscapes } from './resolve.js';

export interface ExtractOptions {
  /** Container root on the host (/proc/<pid>/root or a temporary overlay mount). */
  root: string;
  /** The destination directory, as a container path (already resolved). */
  dest: string;
  noOverwriteDirNonDir?: boolean;
}

const unsafe = (entry: string, why: string) => badParameter(`refusing to extract ${JSON.stringify(entry)}: ${why}; nothing was written`);

async function* entries(file: string): AsyncGenerator<{ header: tar.Header; body: AsyncIterable<Buffer> }> {
  const ex = tar.extract();
  createReadStream(file).pipe(ex as unknown as NodeJS.WritableStream);
  for await (const e of ex) yield { header: e.header, body: e as AsyncIterable<Buffer> };
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) {
    /* skip */
  }
}

/** Pass 1: headers only. */
export async function checkSpooled(file: string, dest: string): Promise<void> {
  const links = new Set<string>();
  const seen = new Set<string>();
  for await (const { header: h, body } of entries(file)) {
    await drain(body);
    let rel: string;
    try {
      rel = cleanEntryName(h.name);
    } catch (e) {
      throw unsafe(h.name, e instanceof LayerError ? e.message.replace(/^.*?: /, '') : 'bad name');
    }
    const at = path.posix.join(dest, rel);
    for (let p = path.posix.dirname(rel); p !== '.' && p !== ''; p = path.posix.dirname(p)) {
      if (links.has(p)) throw unsafe(h.name, `it lies below the symlink ${p} from the same archive`);
    }
    if (h.type === 'symlink') {
      if (symlinkEscapes(at, h.linkname ?? '')) throw unsafe(h.name, `its symlink target ${JSON.stringify(h.linkname)} leaves the container's root`);
      links.add(rel);
    } else if (h.type === 'link') {
      const target = cleanEntryName(h.linkname ?? '', 'hardlink target');
      if (!seen.has(target)) throw unsafe(h.name, `hardlink target ${JSON.stringify(h.linkname)} is not an earlier entry of this archive`);
    } else if (h.type !== 'file' && h.type !== 'contiguous-file' && h.type !== 'directory') {
      throw unsafe(h.name, `${h.type} entries are not accepted`);
    }
    seen.add(rel);
  }
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  return fsp.lstat(p).catch(() => null);
}

async function removeExisting(p: string, st: Stats | null): Promise<void> {
  if (!st) return;
  if (st.isDirectory()) await fsp.rm(p, { recursive: true, force: true });
  else await fsp.unlink(p);
}

/** Pass 0 and 1: copies `src` to `spool` (the caller removes it) and checks every header. */
export async function spoolArchive(src: Readable, spool: string, dest: string): Promise<void> {
  await pipeline(src, createWriteStream(spool, { mode: 0o600 }));
  await checkSpooled(spool, dest);
}

/** Pass 2: extracts a spooled, checked archive. */
export async function extractSpooled(spool: string, o: ExtractOptions): Promise<void> {
  const dirs: Array<{ host: string; mtime: Date }> = [];
  for await (const { header: h, body } of entries(spool)) {
    const rel = cleanEntryName(h.name);
    if (rel === '') {
      // "./": the destination itself, which exists already; its metadata is left alone.
      await drain(body);
      continue;
    }
    const inner = path.posix.join(o.dest, rel);
    const parent = await resolveInRoot(o.root, path.posix.dirname(inner));
    await fsp.mkdir(parent.host, { recursive: true, mode: 0o755 });
    const target = path.join(parent.host, path.posix.basename(inner));
    const st = await lstatOrNull(target);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date();
    const isDir = h.type === 'directory';
    if (o.noOverwriteDirNonDir && st && st.isDirectory() !== isDir) {
      throw badParameter(`cannot overwrite ${st.isDirectory() ? 'directory' : 'non-directory'} "${inner}" with ${isDir ? 'directory' : 'non-directory'} "${h.name}"`);
    }
    switch (h.type) {
      case 'directory':
        if (st && !st.isDirectory()) await removeExisting(target, st);
        if (!st || !st.isDirectory()) await fsp.mkdir(target, { mode: 0o700 });
        await fsp.lchown(target, h.uid ?? 0, h.gid ?? 0);
        await fsp.chmod(target, mode);
        dirs.push({ host: target, mtime });
        break;
      case 'file':
      case 'contiguous-file': {
        await removeExisting(target, st);
        const fh = await fsp.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) {
            for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
          }
          await fh.chown(h.uid ?? 0, h.gid ?? 0); // before chmod: chown clears setuid bits
          await fh.chmod(mode);
          await fh.utimes(mtime, mtime);
        } finally {
          await fh.close();
        }
        break;
      }
      case 'symlink':
        await removeExisting(target, st);
        await fsp.symlink(h.linkname ?? '', target);
        await fsp.lchown(target, h.uid ?? 0, h.gid ?? 0);
        await fsp.lutimes(target, mtime, mtime);
        break;
      case 'link': {
        const src = await resolveInRoot(o.root, path.posix.join(o.dest, cleanEntryName(h.linkname ?? '')), false);
        await removeExisting(target, st);
        await fsp.link(src.host, target);
        break;
      }
    }
    await drain(body);
  }
  // Directory mtimes last: creating their children changed them.
  for (const d of dirs.reverse()) await fsp.utimes(d.host, d.mtime, d.mtime).catch(() => {});
}
