// A container's /etc/hosts (and resolv.conf) are bind-mounted into it, so an update rewrites the same
// inode in place (a rename would not be seen inside).
import { promises as fsp } from 'node:fs';

export async function rewriteInPlace(file: string, text: string): Promise<void> {
  const fh = await fsp.open(file, 'r+').catch(() => null);
  if (!fh) return; // the container's directory is gone (removed meanwhile)
  try {
    await fh.truncate(0);
    await fh.write(text, 0, 'utf8');
  } finally {
    await fh.close();
  }
}
