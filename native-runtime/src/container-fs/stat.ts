// PathStat as dockerd answers HEAD/GET /containers/{id}/archive (X-Docker-Container-Path-Stat):
// mode is Go's os.FileMode (permission bits plus Go's type bits, not st_mode's).
import type { PathStat } from '../engine/types.js';
import type { RootStatFields } from '../native/index.js';

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_DEVICE = 2 ** 26;
const GO_MODE_NAMED_PIPE = 2 ** 25;
const GO_MODE_SOCKET = 2 ** 24;
const GO_MODE_SETUID = 2 ** 23;
const GO_MODE_SETGID = 2 ** 22;
const GO_MODE_CHAR_DEVICE = 2 ** 21;
const GO_MODE_STICKY = 2 ** 20;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

export const isDirMode = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;

/** Go's os.FileMode of an st_mode. */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  const type = mode & S_IFMT;
  if (type === S_IFDIR) m += GO_MODE_DIR;
  else if (type === S_IFLNK) m += GO_MODE_SYMLINK;
  else if (type === S_IFIFO) m += GO_MODE_NAMED_PIPE;
  else if (type === S_IFSOCK) m += GO_MODE_SOCKET;
  else if (type === S_IFCHR) m += GO_MODE_DEVICE + GO_MODE_CHAR_DEVICE;
  else if (type === S_IFBLK) m += GO_MODE_DEVICE;
  if (mode & 0o4000) m += GO_MODE_SETUID;
  if (mode & 0o2000) m += GO_MODE_SETGID;
  if (mode & 0o1000) m += GO_MODE_STICKY;
  return m;
}

/** Go's time.Time JSON (RFC3339Nano, trailing zeros trimmed). */
export function goTime(sec: number, nsec: number): string {
  const frac = String(nsec).padStart(9, '0').replace(/0+$/, '');
  const iso = new Date(sec * 1000).toISOString().slice(0, 19);
  return frac ? `${iso}.${frac}Z` : `${iso}Z`;
}

export function pathStat(name: string, st: RootStatFields, linkTarget: string): PathStat {
  return { name, size: st.size, mode: goFileMode(st.mode), mtime: goTime(st.mtimeSec, st.mtimeNsec), linkTarget };
}
