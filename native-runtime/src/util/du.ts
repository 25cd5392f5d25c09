// Disk usage the way Docker reports DiffSize: file sizes, each inode once, directories not counted.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
export interface Usage {
  /** Bytes of file content, counted once per inode (as Docker's DiffSize). */
  size: number;
  inodes: number;
}

export async function diskUsage(dir: string): Promise<Usage> {
  const seen = new Set<bigint>();
  let size = 0;
  let inodes = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = await fsp.lstat(p, { bigint: true });
      if (seen.has(st.ino)) continue;
      seen.add(st.ino);
      inodes++;
      if (st.isDirectory()) await walk(p);
      else size += Number(st.size);
    }
  };
  await walk(dir);
  return { size, inodes };
}
