// Which filesystem a directory lives on (statfs f_type), named as moby's graphdriver names them.
import { promises as fsp } from 'node:fs';

const MAGIC: Record<number, string> = {
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x58465342: 'xfs',
  0xef53: 'extfs',
  0x01021994: 'tmpfs',
  0x2fc12fc1: 'zfs',
  0x65735546: 'fuse',
  0x6969: 'nfs',
  0x9fa0: 'proc',
  0x858458f6: 'ramfs',
  0x73717368: 'squashfs',
};

export interface BackingFs {
  /** f_type, as statfs reports it. */
  magic: number;
  /** moby's name for it ("extfs", "btrfs", ...), or `<unknown>`. */
  name: string;
}

export async function backingFs(dir: string): Promise<BackingFs> {
  const st = await fsp.statfs(dir);
  const magic = st.type >>> 0;
  return { magic, name: MAGIC[magic] ?? '<unknown>' };
}
