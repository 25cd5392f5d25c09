// The debian:bookworm starter image, made with `debootstrap --variant=minbase` (needs a Debian mirror,
// so it is never run by the tests). The rootfs becomes one layer, as the official image has one.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ImageStores } from '../images/open.js';
import { rfc3339Nano } from '../images/time.js';
import { hostArchitecture, normalizeContainerConfig, type ImageConfig } from '../images/types.js';
import { diffDirectory } from '../layers/diff.js';
import { writeLayer } from '../layers/write.js';
import { unpackImage } from '../snapshots/unpack.js';
import { DEFAULT_PATH_ENV, type StarterResult } from './busybox.js';
import { ensureHostFile } from './host-packages.js';

const run = promisify(execFile);

export interface DebianOptions {
  suite?: string;
  mirror?: string;
  tag?: string;
  /** Scratch directory for the rootfs; removed afterwards. */
  workDir?: string;
  onLog?: (line: string) => void;
}

export async function buildDebianImage(stores: ImageStores, opts: DebianOptions = {}): Promise<StarterResult> {
  const suite = opts.suite ?? 'bookworm';
  const tag = opts.tag ?? `debian:${suite}`;
  await ensureHostFile('/usr/sbin/debootstrap', 'debootstrap');
  const scratch = await fsp.mkdtemp(path.join(opts.workDir ?? os.tmpdir(), 'berth-debootstrap-'));
  const rootfs = path.join(scratch, 'rootfs');
  try {
    opts.onLog?.(`debootstrap --variant=minbase ${suite} ${rootfs}`);
    const args = ['--variant=minbase', suite, rootfs];
    if (opts.mirror) args.push(opts.mirror);
    await run('/usr/sbin/debootstrap', args, { maxBuffer: 256 << 20 });
    // As the official image: no apt lists, no host-specific files baked in.
    await fsp.rm(path.join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    await fsp.mkdir(path.join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    await fsp.rm(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    await fsp.mkdir(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    for (const f of ['etc/hostname', 'etc/resolv.conf', 'etc/hosts']) await fsp.writeFile(path.join(rootfs, f), '');
    // The runtime provides /dev, and the layer writer keeps device nodes (as Docker's does): debootstrap's
    // go, its directories and symlinks stay.
    for (const e of await fsp.readdir(path.join(rootfs, 'dev'), { withFileTypes: true, recursive: true })) {
      if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO() || e.isSocket()) await fsp.rm(path.join(e.parentPath, e.name));
    }
    const layer = await writeLayer(diffDirectory(rootfs), stores.content);
    const { sizes } = await unpackImage(stores.snapshots, stores.content, [{ digest: layer.digest, diffId: layer.diffId }]);
    const created = rfc3339Nano();
    const config: ImageConfig = {
      architecture: hostArchitecture(),
      config: normalizeContainerConfig({ Env: [DEFAULT_PATH_ENV], Cmd: ['bash'] }),
      container_config: normalizeContainerConfig({ Env: [DEFAULT_PATH_ENV], Cmd: ['/bin/sh', '-c', '#(nop) ', 'CMD ["bash"]'] }),
      created,
      history: [
        { created, created_by: `/bin/sh -c #(nop) ADD file:${layer.diffId.slice(7)} in / ` },
        { created, created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
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
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}
