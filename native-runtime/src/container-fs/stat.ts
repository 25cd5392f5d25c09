// PathStat as dockerd answers HEAD/GET /containers/{id}/archive (X-Docker-Container-Path-Stat):
// mode is Go's os.FileMode (permission bits plus Go's type bits, not st_mode's).
import type { Stats } from 'node:fs';
import type { PathStat } from '../engine/types.js';

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_DEVICE = 2 ** 26;
const GO_MODE_NAMED_PIPE = 2 ** 25;
const GO_MODE_SOCKET = 2 ** 24;
const GO_MODE_SETUID = 2 ** 23;
const GO_MODE_SETGID = 2 ** 22;
const GO_MODE_CHAR_DEVICE = 2 ** 21;
const GO_MODE_STICKY = 2 ** 20;

export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_MODE_DIR;
  else if (st.isSymbolicLink()) m += GO_MODE_SYMLINK;
  else if (st.isFIFO()) m += GO_MODE_NAMED_PIPE;
  else if (st.isSocket()) m += GO_MODE_SOCKET;
  else if (st.isCharacterDevice()) m += GO_MODE_DEVICE + GO_MODE_CHAR_DEVICE;
  else if (st.isBlockDevice()) m += GO_MODE_DEVICE;
  if (st.mode & 0o4000) m += GO_MODE_SETUID;
  if (st.mode & 0o2000) m += GO_MODE_SETGID;
  if (st.mode & 0o1000) m += GO_MODE_STICKY;
  return m;
}

/** Go's time.Time JSON (RFC3339Nano, trailing zeros trimmed) from a stat's mtime. */
export function goTime(st: Stats): string {
  const ns = BigInt(Math.round(st.mtimeMs * 1e6));
  const sec = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const iso = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return frac ? `${iso}.${frac}Z` : `${iso}Z`;
}

export function pathStat(name: string, st: Stats, linkTarget: string): PathStat {
  return { name, size: st.size, mode: goFileMode(st), mtime: goTime(st), linkTarget };
}
