// Which cgroup layout does this host have? Read from /proc/self/mountinfo rather than guessing paths:
// cpu and cpuacct are separate mounts on some hosts and one "cpu,cpuacct" mount on others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupV1Driver, V1_CONTROLLERS, type V1Controller } from './v1.js';
import { CgroupV2Driver } from './v2.js';
import type { CgroupDriver } from './types.js';

export interface CgroupLayout {
  /** v1: v1 controllers only; hybrid: v1 controllers plus a v2 tree (unused for limits); v2: unified. */
  mode: 'v1' | 'hybrid' | 'v2';
  v1: Partial<Record<V1Controller, string>>;
  /** Mount point of the cgroup2 tree, if any. */
  v2Root?: string;
  /** v1: the `name=systemd` hierarchy (no controller), which runc also places containers in. */
  v1Systemd?: string;
}

/** Parses mountinfo text (defaults to /proc/self/mountinfo). */
export function detectCgroups(mountinfo?: string): CgroupLayout {
  const text = mountinfo ?? fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const v1: Partial<Record<V1Controller, string>> = {};
  let v2Root: string | undefined;
  let v1Systemd: string | undefined;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    const mountPoint = unescape(left[4] ?? '');
    if (fstype === 'cgroup2') {
      // Prefer the canonical mount if there are several.
      if (v2Root === undefined || mountPoint === '/sys/fs/cgroup') v2Root = mountPoint;
    } else if (fstype === 'cgroup') {
      for (const opt of (superOpts ?? '').split(',')) {
        if (opt === 'name=systemd') v1Systemd ??= mountPoint;
        if ((V1_CONTROLLERS as readonly string[]).includes(opt) && !v1[opt as V1Controller]) {
          v1[opt as V1Controller] = mountPoint;
        }
      }
    }
  }
  const hasV1 = Object.keys(v1).length > 0;
  const mode = hasV1 ? (v2Root ? 'hybrid' : 'v1') : 'v2';
  return { mode, v1, ...(v2Root === undefined ? {} : { v2Root }), ...(hasV1 && v1Systemd ? { v1Systemd } : {}) };
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export interface CgroupDriverOptions {
  parent?: string;
  layout?: CgroupLayout;
}

/** The driver for this host: v1 when any v1 controller is mounted (hybrid limits live in v1). */
export function createCgroupDriver(opts: CgroupDriverOptions = {}): CgroupDriver {
  const layout = opts.layout ?? detectCgroups();
  const parent = opts.parent ?? 'berth';
  if (layout.mode === 'v2') {
    if (!layout.v2Root) throw new Error('no cgroup filesystem mounted');
    // A pure-v2 host with controllers in cgroup.controllers at the root.
    if (!fs.existsSync(path.join(layout.v2Root, 'cgroup.controllers'))) throw new Error(`${layout.v2Root} is not a cgroup2 root`);
    return new CgroupV2Driver({ root: layout.v2Root, parent });
  }
  return new CgroupV1Driver({ mounts: layout.v1, parent, ...(layout.v1Systemd ? { systemd: layout.v1Systemd } : {}) });
}
