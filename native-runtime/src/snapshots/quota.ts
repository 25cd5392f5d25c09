// --storage-opt size=: a limit on a container's writable layer, where the filesystem can enforce one,
// as dockerd allows it: btrfs (a qgroup on the container's subvolume) and overlay over xfs mounted with
// project quotas (the upper dir gets a project of its own). Anything else is refused before create.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BTRFS_CLI } from './btrfs.js';
import { backingFs } from './backing-fs.js';
import type { Snapshotter } from './types.js';

const run = promisify(execFile);
const XFS_QUOTA = '/usr/sbin/xfs_quota';

/** The size limit asked for, in bytes, or undefined; throws (with a message for a 400) when it cannot be. */
export async function storageOptSize(snaps: Snapshotter, opts: Record<string, string> | undefined, parse: (s: string) => number): Promise<number | undefined> {
  const entries = Object.entries(opts ?? {});
  if (!entries.length) return undefined;
  let size: number | undefined;
  for (const [k, v] of entries) {
    if (k.toLowerCase() !== 'size') throw new Error(`Unknown option ${k}`);
    size = parse(v);
    if (!(size > 0)) throw new Error(`--storage-opt size=${v}: the size must be positive`);
  }
  if (snaps.driver === 'btrfs') {
    if (!fs.existsSync(BTRFS_CLI)) throw new Error(`--storage-opt size= on btrfs needs ${BTRFS_CLI} for its qgroups (Debian package btrfs-progs)`);
    return size;
  }
  if (snaps.driver === 'overlay' && (await backingFs(snaps.root)).name === 'xfs' && (await xfsMount(snaps.root))?.prjquota) return size;
  // dockerd's words for overlay2; vfs and overlay elsewhere have nothing that enforces a size here.
  throw new Error(
    snaps.driver === 'overlay'
      ? "--storage-opt is supported only for overlay over xfs with 'pquota' mount option"
      : `--storage-opt is not supported by the ${snaps.driver} storage driver (use btrfs, or overlay over xfs with 'pquota')`,
  );
}

/** Applies the limit to active snapshot `key` (a container's layer). */
export async function limitSnapshotSize(snaps: Snapshotter, key: string, bytes: number): Promise<void> {
  const dir = await snaps.fsPath(key);
  if (snaps.driver === 'btrfs') {
    // Quotas are switched on once per filesystem; then the subvolume's own qgroup 0/<id> gets the limit.
    await cli(BTRFS_CLI, 'quota', 'enable', dir);
    await cli(BTRFS_CLI, 'qgroup', 'limit', String(bytes), dir);
    return;
  }
  const mnt = await xfsMount(snaps.root);
  if (!mnt) throw new Error(`no xfs mount found for ${snaps.root}`);
  // A project id per layer, kept in its record directory: high, random ids stay clear of the admin's own.
  const id = 0x40000000 + Math.floor(Math.random() * 0x3fffffff);
  fs.writeFileSync(path.join(path.dirname(dir), 'project-id'), String(id));
  await cli(XFS_QUOTA, '-x', '-c', `project -s -p ${dir} ${id}`, mnt.target);
  await cli(XFS_QUOTA, '-x', '-c', `limit -p bhard=${bytes} ${id}`, mnt.target);
}

async function cli(cmd: string, ...args: string[]): Promise<void> {
  try {
    await run(cmd, args, { maxBuffer: 1 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${path.basename(cmd)} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** The mount holding dir (the longest mount point that prefixes it) and whether it has project quotas. */
async function xfsMount(dir: string): Promise<{ target: string; prjquota: boolean } | null> {
  const real = fs.realpathSync(dir);
  let best: { target: string; prjquota: boolean } | null = null;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const target = f[4]?.replace(/\\040/g, ' ');
    const sep = f.indexOf('-');
    if (!target || sep < 0 || f[sep + 1] !== 'xfs') continue;
    if (real !== target && !real.startsWith(target.endsWith('/') ? target : `${target}/`)) continue;
    if (best && best.target.length >= target.length) continue;
    const superOpts = f[sep + 3] ?? '';
    best = { target, prjquota: /(^|,)(prjquota|pquota)(,|$)/.test(superOpts) };
  }
  return best;
}
