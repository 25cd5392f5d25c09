// Device ids of the pseudo filesystems mounted in a running container (/proc, /sys, devpts, ...): a
// `docker cp` of a tree stores their mount points but never walks into them (they are not files of
// the container).
import { promises as fsp } from 'node:fs';

const PSEUDO = new Set(['proc', 'sysfs', 'devtmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2']);

/** st_dev values (glibc's makedev encoding, as the addon's stat reports them) from pid's mountinfo. */
export async function pseudoDevices(pid: number): Promise<number[]> {
  const out = new Set<number>();
  const text = await fsp.readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0]!;
    if (!PSEUDO.has(fstype)) continue;
    const [maj, min] = (line.split(' ')[2] ?? '').split(':').map(Number);
    if (maj === undefined || min === undefined || Number.isNaN(maj) || Number.isNaN(min)) continue;
    out.add((maj & 0xfff) * 256 + (min & 0xff) + (min & ~0xff) * 4096);
  }
  return [...out];
}
