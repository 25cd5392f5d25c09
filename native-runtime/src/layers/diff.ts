// diffDirectory: turn an overlay upper dir into an OCI layer tar.
// Overlay records deletions as 0:0 char devices and opaque dirs as an xattr; OCI layers record them as
// `.wh.<name>` and `.wh..wh..opq` files. Entries are emitted in byte order of their names so the same
// directory always yields the same tar (and the same diffID).
import { createReadStream, promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { nativeOps } from '../util/native.js';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './paths.js';

type TarHeader = Partial<tar.Header> & { name: string };

export interface DiffOptions {
  /** Called for entries that have no place in a layer (sockets, fifos, devices) and are skipped. */
  onSkip?: (rel: string, reason: string) => void;
}

export function diffDirectory(upperDir: string, opts: DiffOptions = {}): Readable {
  const pack = tar.pack();
  const run = async (): Promise<void> => {
    const native = await nativeOps();
    const links = new Map<bigint, string>(); // inode -> first name, to emit hardlinks as links
    const walk = async (absDir: string, relDir: string): Promise<void> => {
      const names = (await fsp.readdir(absDir)).sort(byteOrder);
      for (const name of names) {
        const abs = path.join(absDir, name);
        const rel = relDir ? `${relDir}/${name}` : name;
        const st = await fsp.lstat(abs, { bigint: true });
        const common = { uid: Number(st.uid), gid: Number(st.gid), mtime: mtimeOf(st) };
        const mode = Number(st.mode) & 0o7777;
        if (st.isCharacterDevice() && st.rdev === 0n) {
          await entry(pack, { ...common, name: whiteoutName(relDir, name), type: 'file', mode: 0, size: 0 });
          continue;
        }
        if (st.isDirectory()) {
          await entry(pack, { ...common, name: rel + '/', type: 'directory', mode });
          const opaque = native.getxattr(abs, 'trusted.overlay.opaque');
          if (opaque && opaque.toString() === 'y') {
            await entry(pack, { ...common, name: `${rel}/${WHITEOUT_OPAQUE}`, type: 'file', mode: mode & 0o777, size: 0 });
          }
          await walk(abs, rel);
          continue;
        }
        if (st.isSymbolicLink()) {
          await entry(pack, { ...common, name: rel, type: 'symlink', mode, linkname: await fsp.readlink(abs) });
          continue;
        }
        if (st.isFile()) {
          if (st.nlink > 1n) {
            const first = links.get(st.ino);
            if (first !== undefined) {
              await entry(pack, { ...common, name: rel, type: 'link', mode, linkname: first, size: 0 });
              continue;
            }
            links.set(st.ino, rel);
          }
          await fileEntry(pack, { ...common, name: rel, type: 'file', mode, size: Number(st.size) }, abs);
          continue;
        }
        opts.onSkip?.(rel, st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'device node');
      }
    };
    await walk(path.resolve(upperDir), '');
    pack.finalize();
  };
  run().catch((err: Error) => pack.destroy(err));
  return Readable.from(pack as AsyncIterable<Buffer>);
}

function whiteoutName(relDir: string, name: string): string {
  return relDir ? `${relDir}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`;
}

function mtimeOf(st: BigIntStats): Date {
  // Tar headers carry whole seconds; truncating here keeps the output independent of sub-second noise.
  return new Date(Number(st.mtimeNs / 1_000_000_000n) * 1000);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function entry(pack: tar.Pack, header: TarHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    // A 'file' entry without a body buffer waits for one: give empty files (whiteouts) an empty buffer.
    if (header.type === 'file') pack.entry(header, Buffer.alloc(0), cb);
    else pack.entry(header, cb);
  });
}

function fileEntry(pack: tar.Pack, header: TarHeader, abs: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    const src = createReadStream(abs);
    src.on('error', (e) => {
      sink.destroy(e);
      reject(e);
    });
    src.pipe(sink as unknown as NodeJS.WritableStream);
  });
}
