// The busybox:latest starter image, built from the host's static busybox (Debian busybox-static),
// laid out like the official image. Deterministic: every mtime and the created time come from the
// busybox binary's mtime, so the image ID is stable across builds on one host.
import { execFile } from 'node:child_process';
import { createReadStream, promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import * as tar from 'tar-stream';
import type { ImageStores } from '../images/open.js';
import { hostArchitecture, normalizeContainerConfig, type ImageConfig } from '../images/types.js';
import { rfc3339Nano } from '../images/time.js';
import { writeLayer } from '../layers/write.js';
import { asNodeWritable } from '../util/node-streams.js';
import { unpackImage } from '../snapshots/unpack.js';
import { ensureHostFile } from './host-packages.js';

const run = promisify(execFile);

export const BUSYBOX_PATH = '/bin/busybox';
export const BUSYBOX_PACKAGE = 'busybox-static';
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;

const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;

const SHADOW = PASSWD.split('\n')
  .filter(Boolean)
  .map((l) => `${l.split(':')[0]}:${l.startsWith('root:') ? '' : '*'}:10933:0:99999:7:::`)
  .join('\n') + '\n';

const DIRS: Array<[string, number]> = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['proc', 0o755],
  ['root', 0o700],
  ['sys', 0o755],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/sbin', 0o755],
  ['var', 0o755],
  ['var/spool', 0o755],
  ['var/spool/mail', 0o755],
  ['var/www', 0o755],
];

export interface BusyboxLayerPlan {
  mtime: Date;
  applets: string[];
  size: number;
}

async function plan(busybox: string): Promise<BusyboxLayerPlan> {
  const st = await fsp.stat(busybox);
  const { stdout } = await run(busybox, ['--list'], { maxBuffer: 1 << 20 });
  const applets = [...new Set(stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/')))].sort();
  return { mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000), applets, size: st.size };
}

/** The rootfs tar (uncompressed), entries in a fixed order. */
export function busyboxRootfsTar(busybox: string, p: BusyboxLayerPlan): Readable {
  const pack = tar.pack();
  const base = { uid: 0, gid: 0, mtime: p.mtime };
  const add = (h: Partial<tar.Header> & { name: string }, body?: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (body !== undefined) pack.entry({ ...base, ...h, type: 'file' }, body, (e) => (e ? reject(e) : resolve()));
      else pack.entry({ ...base, ...h }, (e) => (e ? reject(e) : resolve()));
    });
  const build = async (): Promise<void> => {
    const files: Array<{ name: string; add: () => Promise<void> }> = [];
    for (const [d, mode] of DIRS) files.push({ name: d, add: () => add({ name: d + '/', type: 'directory', mode }) });
    files.push({
      name: 'bin/busybox',
      add: () =>
        new Promise((resolve, reject) => {
          const sink = pack.entry({ ...base, name: 'bin/busybox', type: 'file', mode: 0o755, size: p.size }, (e) => (e ? reject(e) : resolve()));
          const src = createReadStream(busybox);
          src.on('error', reject);
          src.pipe(asNodeWritable(sink));
        }),
    });
    for (const a of p.applets) files.push({ name: `bin/${a}`, add: () => add({ name: `bin/${a}`, type: 'symlink', mode: 0o777, linkname: 'busybox' }) });
    files.push({ name: 'etc/group', add: () => add({ name: 'etc/group', mode: 0o644 }, GROUP) });
    files.push({ name: 'etc/passwd', add: () => add({ name: 'etc/passwd', mode: 0o644 }, PASSWD) });
    files.push({ name: 'etc/shadow', add: () => add({ name: 'etc/shadow', mode: 0o640 }, SHADOW) });
    files.push({ name: 'etc/hostname', add: () => add({ name: 'etc/hostname', mode: 0o644 }, '') });
    files.push({ name: 'etc/hosts', add: () => add({ name: 'etc/hosts', mode: 0o644 }, '') });
    files.push({ name: 'etc/resolv.conf', add: () => add({ name: 'etc/resolv.conf', mode: 0o644 }, '') });
    files.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    for (const f of files) await f.add();
    pack.finalize();
  };
  build().catch((e: Error) => pack.destroy(e));
  return Readable.from(pack as AsyncIterable<Buffer>);
}

export interface StarterResult {
  id: string;
  tag: string;
}

/** Builds (or rebuilds identically) busybox:latest into the stores and tags it. */
export async function buildBusyboxImage(stores: ImageStores, opts: { busybox?: string; tag?: string } = {}): Promise<StarterResult> {
  const busybox = opts.busybox ?? BUSYBOX_PATH;
  const tag = opts.tag ?? 'busybox:latest';
  if (opts.busybox === undefined) await ensureHostFile(busybox, BUSYBOX_PACKAGE);
  const p = await plan(busybox);
  const layer = await writeLayer(busyboxRootfsTar(busybox, p), stores.content);
  const { sizes } = await unpackImage(stores.snapshots, stores.content, [{ digest: layer.digest, diffId: layer.diffId }]);
  const created = rfc3339Nano(p.mtime);
  const cmdNop = '/bin/sh -c #(nop)  CMD ["sh"]';
  const config: ImageConfig = {
    architecture: hostArchitecture(),
    config: normalizeContainerConfig({ Env: [DEFAULT_PATH_ENV], Cmd: ['sh'] }),
    container_config: normalizeContainerConfig({ Env: [DEFAULT_PATH_ENV], Cmd: ['/bin/sh', '-c', '#(nop) ', 'CMD ["sh"]'] }),
    created,
    history: [
      { created, created_by: `/bin/sh -c #(nop) ADD file:${layer.diffId.slice(7)} in / ` },
      { created, created_by: cmdNop, empty_layer: true },
    ],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  };
  const rec = await stores.images.create({
    config,
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    layerSizes: sizes,
    tags: [tag],
  });
  return { id: rec.id, tag };
}

/** On first start: create busybox:latest when the store has no image at all. */
export async function ensureStarterImage(stores: ImageStores): Promise<StarterResult | null> {
  if ((await stores.images.records()).length) return null;
  return buildBusyboxImage(stores);
}
