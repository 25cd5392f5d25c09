// Shifts the owners of a fresh volume's files into a container's range, so its root owns what it was
// given (dockerd chowns a remapped volume the same way). Ids already outside 0..size-1 stay as they are.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContainerIdRange } from './allocator.js';

export async function shiftOwners(dir: string, r: Pick<ContainerIdRange, 'uid' | 'gid' | 'size'>): Promise<void> {
  const shift = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p);
    const uid = st.uid < r.size ? st.uid + r.uid : st.uid;
    const gid = st.gid < r.size ? st.gid + r.gid : st.gid;
    if (uid !== st.uid || gid !== st.gid) {
      await fsp.lchown(p, uid, gid);
      // chown clears set-id bits on files; the image's modes are what the container should see.
      if (!st.isSymbolicLink() && st.mode & 0o6000) await fsp.chmod(p, st.mode & 0o7777);
    }
    if (st.isDirectory()) for (const name of await fsp.readdir(p)) await shift(path.join(p, name));
  };
  await shift(dir);
}
