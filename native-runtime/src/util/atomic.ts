// Atomic file writes: temp file in the same directory, fsync, rename, fsync the directory.
// A reader (or a crash) sees either the old file or the new one, never a torn write.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomHex } from './ids.js';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomHex(6)}.tmp`);
  const fh = await fsp.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

export async function writeJsonAtomic(file: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', mode);
}

/** readJsonOr for small metadata files on hot paths: one synchronous read instead of four pool round trips. */
export function readJsonOrSync<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}

/** Reads JSON, or returns `fallback` when the file does not exist. */
export async function readJsonOr<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}

// ── Deferred durability ────────────────────────────────────────────────────────────────────────────
// Hot paths (create a container, prepare its snapshot) replace a file atomically at once and make it
// durable a moment later, off the caller's path. A kill -9 of Berth loses nothing (the page cache
// survives the process); only a power loss within that moment can lose the newest change, which
// recovery treats like a change never made. flushDeferredSyncs() waits for all of them (close()).
const pendingSyncs = new Set<Promise<void>>();

/**
 * Atomic replace without fsync: temp file + rename, synchronously (for files of a few KiB on hot paths,
 * where four thread-pool round trips cost a millisecond and the syscalls ~30 µs). A reader or a crash
 * sees the old file or the new one, never a torn one; after a power loss the *older* version may be what
 * survives, so it is only for files whose staleness recovery handles (state.json, shim.json on tmpfs).
 */
export function replaceFileSync(file: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomHex(6)}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { mode, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export function replaceJsonSync(file: string, value: unknown, mode = 0o644): void {
  replaceFileSync(file, JSON.stringify(value, null, 2) + '\n', mode);
}

/** replaceFileSync now, fsync of the file and its directory later. */
export function replaceFileNowSyncLater(file: string, data: string | Uint8Array, mode = 0o644): void {
  replaceFileSync(file, data, mode);
  syncLater(file);
}

export function replaceJsonNowSyncLater(file: string, value: unknown, mode = 0o644): void {
  replaceFileNowSyncLater(file, JSON.stringify(value, null, 2) + '\n', mode);
}

/** fsyncs file (if it still exists) and its directory in the background. */
export function syncLater(file: string): void {
  const p = (async () => {
    try {
      const fh = await fsp.open(file, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      // Replaced or removed meanwhile: the newer write or the removal carries its own sync.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') process.emitWarning(`deferred fsync of ${file} failed: ${(err as Error).message}`);
    }
    await fsyncDir(path.dirname(file)).catch(() => {});
  })();
  pendingSyncs.add(p);
  void p.finally(() => pendingSyncs.delete(p));
}

/** Resolves when every deferred fsync begun so far has finished. */
export async function flushDeferredSyncs(): Promise<void> {
  while (pendingSyncs.size) await Promise.all([...pendingSyncs]);
}
