// What the shim mounts at /sys/fs/cgroup (its `cgroupMount`), as dockerd does: on v1 each hierarchy's
// container directory, bound read-only under its own name; on v2 a cgroup namespace and a cgroup2 mount.
import path from 'node:path';

export interface CgroupMount {
  version: 1 | 2;
  readonly: boolean;
  /** v1: the name under /sys/fs/cgroup ("memory", "cpu,cpuacct") and the container's directory. */
  hierarchies?: { name: string; source: string }[];
}

/**
 * `paths` are the container's group directories (CgroupDriver.paths): `<mount point>/<parent>/<id>` on v1,
 * one directory on v2. The name of a v1 hierarchy is the base name of its mount point, as on the host.
 */
export function cgroupMount(driver: { version: 1 | 2; parent: string }, id: string, paths: string[], readonly: boolean): CgroupMount {
  if (driver.version === 2) return { version: 2, readonly };
  const suffix = `/${path.join(driver.parent, id)}`;
  const seen = new Set<string>();
  const hierarchies: { name: string; source: string }[] = [];
  for (const source of paths) {
    if (!source.endsWith(suffix)) continue;
    const name = path.basename(source.slice(0, -suffix.length));
    if (!name || seen.has(name)) continue;
    seen.add(name);
    hierarchies.push({ name, source });
  }
  return { version: 1, readonly, hierarchies };
}
