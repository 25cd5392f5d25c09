// A container's filesystem through the Engine's archive API only (GET/PUT /containers/{id}/archive),
// so the file browser inherits the engine's own path handling and never touches host paths itself.
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { Engine } from '@berth/runtime/engine';

export interface DirEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  size: number;
  mode: number;
  mtime: number | null;
  linkTarget: string | null;
}

export interface DirListing {
  path: string;
  entries: DirEntry[];
  /** True when the walk stopped at a cap: the folder holds more than listed. */
  truncated: boolean;
}

const TYPES: Record<string, DirEntry['type']> = { file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink' };

/** Splits an archive entry name into the part below the listed folder ("etc/ssl/certs/" → ["ssl", "certs"]). */
function below(name: string, prefix: string): string[] {
  const clean = name.replace(/^\.\//, '').replace(/\/+$/, '');
  if (prefix && clean !== prefix && !clean.startsWith(`${prefix}/`)) return [];
  const rest = prefix ? clean.slice(prefix.length).replace(/^\//, '') : clean;
  return rest ? rest.split('/') : [];
}

/**
 * The direct children of a folder. The archive holds the whole subtree, so the walk skips file bodies
 * and stops after `maxEntries` archive entries or `maxBytes` of archive, saying so.
 */
export async function listDirectory(engine: Engine, id: string, dir: string, caps = { maxEntries: 50_000, maxBytes: 512 * 1024 * 1024 }): Promise<DirListing> {
  const c = engine.getContainer(id);
  const stat = await c.infoArchive({ path: dir });
  const stream = await c.getArchive({ path: dir });
  // Docker names the archive's top entry after the path's last element ("/" has none).
  const prefix = dir === '/' ? '' : stat.name.replace(/^\/+/, '');
  const entries = new Map<string, DirEntry>();
  let seen = 0;
  let bytes = 0;
  let truncated = false;
  const extract = tar.extract();
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      truncated = true;
      stream.destroy();
      extract.destroy();
      resolve();
    };
    stream.on('data', (b: Buffer) => {
      bytes += b.length;
      if (bytes > caps.maxBytes && !truncated) stop();
    });
    extract.on('entry', (h, body, next) => {
      seen++;
      const parts = below(h.name, prefix);
      if (parts.length === 1) {
        entries.set(parts[0]!, {
          name: parts[0]!,
          type: TYPES[h.type ?? 'file'] ?? 'other',
          size: h.type === 'directory' ? 0 : (h.size ?? 0),
          mode: h.mode ?? 0,
          mtime: h.mtime ? h.mtime.getTime() : null,
          linkTarget: h.linkname ?? null,
        });
      } else if (parts.length > 1 && !entries.has(parts[0]!)) {
        // A folder whose own entry did not come first still shows.
        entries.set(parts[0]!, { name: parts[0]!, type: 'dir', size: 0, mode: 0o755, mtime: null, linkTarget: null });
      }
      body.on('end', next);
      body.resume();
      if (seen >= caps.maxEntries) stop();
    });
    extract.on('finish', () => resolve());
    extract.on('error', (err) => (truncated ? resolve() : reject(err)));
    stream.on('error', (err) => (truncated ? resolve() : reject(err)));
    stream.pipe(extract);
  });
  const order = (e: DirEntry) => (e.type === 'dir' ? 0 : 1);
  return { path: dir, entries: [...entries.values()].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name)), truncated };
}

/** A tar of files under relative paths (folders are implied by the paths), for putArchive. */
export async function packFiles(files: { path: string; data: Buffer; mode?: number }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (b: unknown) => void chunks.push(b as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = path.posix.dirname(f.path); d !== '.' && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
  }
  const now = new Date();
  for (const d of [...dirs].sort()) pack.entry({ name: `${d}/`, type: 'directory', mode: 0o755, mtime: now });
  for (const f of files) pack.entry({ name: f.path, type: 'file', mode: f.mode ?? 0o644, size: f.data.length, mtime: now }, f.data);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Writes files into `dir` of the container (PUT archive): the same as `docker cp` into it. */
export async function putFiles(engine: Engine, id: string, dir: string, files: { path: string; data: Buffer; mode?: number }[]): Promise<void> {
  const tarball = await packFiles(files);
  await engine.getContainer(id).putArchive(Readable.from([tarball]), { path: dir });
}

/** A file or folder as a tar (GET archive), read whole up to `limit` bytes. */
export async function archiveOf(engine: Engine, id: string, target: string, limit: number): Promise<Buffer> {
  const stream = await engine.getContainer(id).getArchive({ path: target });
  const parts: Buffer[] = [];
  let got = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    got += chunk.length;
    if (got > limit) {
      stream.destroy();
      throw Object.assign(new Error(`${target} is larger than ${Math.round(limit / 1024 / 1024)} MiB as an archive; use docker cp for it.`), { statusCode: 400 });
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
