// COPY and ADD into a step's rootfs with the classic builder's rules (moby builder/dockerfile/copy.go):
//  - the destination is relative to WORKDIR, keeps a trailing `/`, and is resolved inside the rootfs
//    (symlinks followed as if the rootfs were `/`);
//  - a directory source copies its *contents* into the destination (created if missing);
//  - a file source goes to `dest/<name>` when dest ends with `/` or is an existing directory, else to
//    dest itself; missing parents are created (0755, owned by the --chown identity);
//  - everything copied is owned by the --chown identity (default 0:0), keeps its mode (or --chmod)
//    and its mtime; symlinks are copied as symlinks;
//  - ADD extracts a local tar archive (plain, gzip, bzip2, xz) into the destination directory, with
//    the safety rules of layer extraction.
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { applyLayer } from '../../layers/apply.js';
import { asNodeWritable } from '../../util/node-streams.js';
import { decompressContext } from '../context/decompress.js';
import type { SourceInfo } from '../context/sources.js';
import { mkdirAllIn, resolveInRoot } from './rootfs.js';

export interface Identity {
  uid: number;
  gid: number;
}

export interface CopyOptions {
  identity: Identity;
  /** --chmod: mode bits for every copied file and directory. */
  chmod?: number;
  /** ADD: extract local archives. */
  decompress: boolean;
  signal?: AbortSignal;
}

/** normalizeDest: a relative destination is joined to WORKDIR; a trailing `/` is kept. */
export function normalizeDest(workdir: string, requested: string): string {
  const endsInSlash = requested.endsWith('/');
  if (requested.startsWith('/')) return requested;
  let dest = path.posix.join('/', workdir || '/', requested);
  if (endsInSlash && !dest.endsWith('/')) dest += '/';
  return dest;
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

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('build cancelled');
}

/** Copies every source to `dest` (already normalized) inside `root`. */
export async function copyInto(root: string, sources: readonly SourceInfo[], dest: string, opts: CopyOptions): Promise<void> {
  for (const src of sources) {
    aborted(opts.signal);
    const destPath = await resolveInRoot(root, dest);
    if (src.type === 'dir') {
      await copyDirectory(root, src.abs, destPath, opts);
      continue;
    }
    if (opts.decompress && (await isArchive(src.abs))) {
      await extractArchive(root, src.abs, destPath, opts);
      continue;
    }
    const existing = await lstatOrNull(destPath);
    let target = destPath;
    if (dest.endsWith('/') || existing?.isDirectory()) target = path.join(destPath, path.posix.basename(src.origPath.replace(/\/+$/, '')));
    await mkdirAllIn(root, path.dirname(target), opts.identity);
    await copyEntry(src.abs, target, opts);
  }
}

async function copyDirectory(root: string, srcDir: string, destDir: string, opts: CopyOptions): Promise<void> {
  const existing = await lstatOrNull(destDir);
  if (existing && !existing.isDirectory()) throw new Error(`cannot copy to non-directory: ${destDir.slice(root.length) || '/'}`);
  if (!existing) {
    await mkdirAllIn(root, destDir, opts.identity);
    const st = await fsp.lstat(srcDir);
    await fsp.chmod(destDir, opts.chmod ?? st.mode & 0o7777);
  }
  await copyChildren(srcDir, destDir, opts);
}

/** Copies what is inside srcDir into destDir (which exists), a few files at a time. */
async function copyChildren(srcDir: string, destDir: string, opts: CopyOptions): Promise<void> {
  const names = (await fsp.readdir(srcDir)).sort();
  const files: string[] = [];
  for (const n of names) {
    aborted(opts.signal);
    const s = path.join(srcDir, n);
    const st = await fsp.lstat(s);
    if (st.isDirectory()) {
      const d = path.join(destDir, n);
      const cur = await lstatOrNull(d);
      if (cur && !cur.isDirectory()) await fsp.rm(d, { force: true });
      if (!cur || !cur.isDirectory()) await fsp.mkdir(d);
      await copyChildren(s, d, opts);
      await finishEntry(d, st, opts);
    } else files.push(n);
  }
  // Regular files are independent of each other: overlap their I/O.
  const CONCURRENCY = 16;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const n = files[next++]!;
      await copyEntry(path.join(srcDir, n), path.join(destDir, n), opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
}

/** Copies one non-directory entry over whatever is at `dest`. */
async function copyEntry(src: string, dest: string, opts: CopyOptions): Promise<void> {
  const st = await fsp.lstat(src);
  const cur = await lstatOrNull(dest);
  if (cur) await fsp.rm(dest, { recursive: cur.isDirectory(), force: true });
  if (st.isSymbolicLink()) {
    await fsp.symlink(await fsp.readlink(src), dest);
    await fsp.lchown(dest, opts.identity.uid, opts.identity.gid);
    await fsp.lutimes(dest, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) return; // sockets, fifos and devices have no place in a copy
  await fsp.copyFile(src, dest);
  await finishEntry(dest, st, opts);
}

async function finishEntry(dest: string, st: Stats, opts: CopyOptions): Promise<void> {
  await fsp.lchown(dest, opts.identity.uid, opts.identity.gid);
  // after chown: chown clears setuid/setgid bits
  await fsp.chmod(dest, opts.chmod ?? st.mode & 0o7777);
  await fsp.utimes(dest, st.atime, st.mtime);
}

// ---- ADD archives ----

/**
 * Whether a file is a tar archive, compressed or not: Docker's isArchivePath, which asks Go's
 * tar.Reader for the first header (any tar format). tar-stream reads it the same way.
 */
export async function isArchive(file: string): Promise<boolean> {
  let stream: Readable;
  try {
    ({ stream } = await decompressContext(createReadStream(file)));
  } catch {
    return false; // zstd, or unreadable
  }
  return new Promise((resolve) => {
    // allowUnknownFormat (pre-POSIX v7 headers, as Go reads them) is a documented option its types lack.
    const ex = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
    let settled = false;
    const settle = (yes: boolean) => {
      if (settled) return;
      settled = true;
      resolve(yes);
      stream.destroy();
      ex.destroy();
    };
    ex.on('entry', () => settle(true));
    ex.on('error', () => settle(false));
    ex.on('finish', () => settle(false));
    stream.on('error', () => settle(false));
    stream.pipe(asNodeWritable(ex));
  });
}

async function extractArchive(root: string, file: string, destDir: string, opts: CopyOptions): Promise<void> {
  const existing = await lstatOrNull(destDir);
  if (existing && !existing.isDirectory()) throw new Error(`cannot extract an archive to non-directory: ${destDir.slice(root.length) || '/'}`);
  if (!existing) await mkdirAllIn(root, destDir, opts.identity);
  const { stream } = await decompressContext(createReadStream(file));
  await applyLayer(stream, destDir);
}
