// /etc/hosts lines for the peers on a container's networks. The files are bind-mounted into running
// containers, so an update rewrites the same inode in place (a rename would not be seen inside).
import { promises as fsp } from 'node:fs';

export interface HostsPeer {
  ip: string;
  names: string[];
}

export function peerLines(peers: HostsPeer[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of peers) {
    const line = `${p.ip}\t${[...new Set(p.names)].join(' ')}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(line);
  }
  return out;
}

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
