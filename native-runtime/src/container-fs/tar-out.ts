// A tar of one path (file, symlink or directory tree), its entries named under `name` as dockerd's
// GET /archive does (RebaseNames to the basename). Symlinks are stored, never followed; hardlinked
// files are stored once and linked after; sockets are skipped. Mount points below are not crossed
// into /proc, /sys or /dev (they are not files of the container).
import { createReadStream, createWriteStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';

type Header = Partial<tar.Header> & { name: string };

function entry(pack: tar.Pack, header: Header, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (body) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}

function fileEntry(pack: tar.Pack, header: Header, abs: string): Promise<void> {
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

const PSEUDO = new Set(['proc', 'sysfs', 'devtmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2']);

/** Writes the tar of `hostPath` to `outFile`; `skipDev` holds device ids of pseudo filesystems. */
export async function tarPath(hostPath: string, name: string, outFile: string, skipDev: Set<number> = new Set()): Promise<void> {
  const pack = tar.pack();
  const links = new Map<string, string>();
  const walk = async (abs: string, rel: string, st: Stats): Promise<void> => {
    const common = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await entry(pack, { ...common, name: rel + '/', type: 'directory' });
      if (skipDev.has(st.dev)) return;
      for (const child of (await fsp.readdir(abs)).sort()) {
        const cabs = path.join(abs, child);
        const cst = await fsp.lstat(cabs).catch(() => null);
        if (cst) await walk(cabs, `${rel}/${child}`, cst);
      }
    } else if (st.isSymbolicLink()) {
      await entry(pack, { ...common, type: 'symlink', linkname: await fsp.readlink(abs) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first) return entry(pack, { ...common, type: 'link', linkname: first, size: 0 });
      if (st.nlink > 1) links.set(key, rel);
      await fileEntry(pack, { ...common, type: 'file', size: st.size }, abs);
    } else if (st.isFIFO()) {
      await entry(pack, { ...common, type: 'fifo' });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      await entry(pack, {
        ...common,
        type: st.isCharacterDevice() ? 'character-device' : 'block-device',
        devmajor: Math.floor(st.rdev / 256) & 0xfff,
        devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00),
      });
    }
  };
  const out = createWriteStream(outFile, { mode: 0o600 });
  const done = pipeline(pack, out);
  try {
    await walk(hostPath, name, await fsp.lstat(hostPath));
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
  }
  await done;
}

/** Device ids of the pseudo filesystems mounted under a container root (from its mountinfo). */
export async function pseudoDevices(pid: number): Promise<Set<number>> {
  const out = new Set<number>();
  const text = await fsp.readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0]!;
    if (!PSEUDO.has(fstype)) continue;
    const [maj, min] = (line.split(' ')[2] ?? '').split(':').map(Number);
    if (maj !== undefined && min !== undefined) out.add(maj * 256 + min + ((min & ~0xff) << 12) - (min & ~0xff)); // new_encode_dev
  }
  return out;
}
