// --device and --device-cgroup-rule (HostConfig.Devices, DeviceCgroupRules), as dockerd resolves them
// (moby's oci.DevicesFromPath and runc's DeviceFromPath): each host path is stat'ed; a device node is
// recreated in the container with the host's major/minor, mode and owner (the shim, rootfs.cc), and the
// devices cgroup allows it with the mapping's permissions. A directory adds every device node under it.
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceMapping } from '../engine/types.js';

/** A node the shim creates: `path` inside the container; `hostPath` is bound instead where mknod is refused. */
export interface DeviceNode {
  path: string;
  hostPath: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  /** Permission bits (mode & 0o7777), as runc's FileMode. */
  fileMode: number;
  uid: number;
  gid: number;
}

export interface ResolvedDevices {
  nodes: DeviceNode[];
  /** Extra devices.allow rules ("c 1:3 rwm"): one per node, then the DeviceCgroupRules. */
  rules: string[];
}

// moby's deviceCgroupRuleRegex.
const CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;
const PERMISSIONS = /^[rwm]{0,3}$/;
// A directory walk stops here, and the rules are bounded: the devices cgroup (v2: one BPF program of
// at most 1000 rules, native/addon/device_filter.cc) and the shim's config grow with every node.
const MAX_NODES = 512;
const MAX_RULES = 900;

// Go's syscall.Errno texts, which dockerd's messages carry.
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EPERM: 'operation not permitted',
};

export class DeviceError extends Error {}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code && ERRNO_TEXT[err.code]) || err.message;
}

/** Linux's dev_t split (glibc's major()/minor()). */
function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** runc's DeviceFromPath: lstat, block or character node, or null ("not a device node"). */
function nodeAt(hostPath: string, inContainer: string): DeviceNode | null {
  const st = fs.lstatSync(hostPath, { bigint: true });
  const type = st.isBlockDevice() ? 'b' : st.isCharacterDevice() ? 'c' : null;
  if (!type) return null;
  return { path: inContainer, hostPath, type, ...splitDev(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

function walk(dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // filepath.Walk's errors are ignored by moby here too
  }
  for (const e of entries) {
    if (out.length >= MAX_NODES) return;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isCharacterDevice() || e.isBlockDevice()) out.push(p);
  }
}

/** One --device mapping: its node, or every node under a directory. Throws dockerd's message. */
export function devicesFromPath(m: DeviceMapping): DeviceNode[] {
  const onHost = m.PathOnHost;
  const inContainer = m.PathInContainer || onHost;
  if (!path.isAbsolute(inContainer)) throw new DeviceError(`${inContainer} is not an absolute path`);
  // The node is made under the container's root: no component may climb out of it.
  if (inContainer.split('/').includes('..')) throw new DeviceError(`${inContainer}: a device path in the container may not contain ".."`);
  // moby follows a symlink given as the path itself (e.g. /dev/disk/by-id/...), not ones below it.
  let resolved = onHost;
  try {
    if (fs.lstatSync(onHost).isSymbolicLink()) resolved = fs.realpathSync(onHost);
  } catch {
    /* the lstat below reports it */
  }
  let cause: string;
  try {
    const n = nodeAt(resolved, inContainer);
    if (n) return [n];
    cause = 'not a device node';
  } catch (e) {
    throw new DeviceError(`error gathering device information while adding custom device "${onHost}": ${errnoText(e)}`);
  }
  if (fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) {
    const found: string[] = [];
    walk(resolved, found);
    const nodes: DeviceNode[] = [];
    for (const p of found) {
      try {
        const n = nodeAt(p, inContainer + p.slice(resolved.length));
        if (n) nodes.push(n);
      } catch {
        /* gone meanwhile: ignored, as moby's walk */
      }
    }
    if (nodes.length) return nodes;
  }
  throw new DeviceError(`error gathering device information while adding custom device "${onHost}": ${cause}`);
}

/** Checks the fields the API takes (a 400 at create), before any host path is looked at. */
export function checkDeviceOptions(devices: readonly DeviceMapping[] | null | undefined, rules: readonly string[] | null | undefined): void {
  for (const d of devices ?? []) {
    if (!d.PathOnHost) throw new DeviceError('PathOnHost must not be empty');
    if (!PERMISSIONS.test(d.CgroupPermissions ?? '')) throw new DeviceError(`invalid device mode: ${d.CgroupPermissions}`);
  }
  for (const r of rules ?? []) if (!CGROUP_RULE.test(r)) throw new DeviceError(`invalid device cgroup rule format: '${r}'`);
}

/** Every mapping and rule of a HostConfig, resolved against the host's /dev now. */
export function resolveDevices(devices: readonly DeviceMapping[] | null | undefined, cgroupRules: readonly string[] | null | undefined): ResolvedDevices {
  checkDeviceOptions(devices, cgroupRules);
  const nodes: DeviceNode[] = [];
  const rules: string[] = [];
  for (const d of devices ?? []) {
    const perms = d.CgroupPermissions || 'rwm';
    for (const n of devicesFromPath(d)) {
      nodes.push(n);
      rules.push(`${n.type} ${n.major}:${n.minor} ${perms}`);
    }
  }
  rules.push(...(cgroupRules ?? []));
  if (rules.length > MAX_RULES) throw new DeviceError(`too many devices: ${rules.length} device cgroup rules (at most ${MAX_RULES})`);
  return { nodes, rules };
}
