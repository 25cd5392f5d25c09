// Brings the short and long syntaxes of a service to one form before files are merged, so that an
// override's `environment: [A=1]` merges with a base's `environment: {B: 2}` and ports/volumes can be
// matched by their unique keys (Compose Specification, "Merge and override").
import { issue, type StackIssue } from './errors.ts';

export type Dict = Record<string, unknown>;

export const isDict = (v: unknown): v is Dict => !!v && typeof v === 'object' && !Array.isArray(v);

/** ["A=1", "B"] or {A: 1, B: null} → {A: "1", B: null}. */
export function keyValues(v: unknown, sep = '='): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  } else if (isDict(v)) {
    for (const [k, val] of Object.entries(v)) out[k] = val === null || val === undefined ? null : String(val);
  }
  return out;
}

export interface PortLong {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: string;
  mode?: string;
  name?: string;
}

function range(s: string): [number, number] | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return null;
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  return b >= a ? [a, b] : null;
}

/** "[ip:][host[-range]:]container[-range][/proto]" → long entries (ranges expanded). */
export function parsePortShort(spec: string): PortLong[] | string {
  let s = spec.trim();
  let protocol = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    protocol = s.slice(slash + 1).toLowerCase();
    s = s.slice(0, slash);
  }
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) return `invalid protocol ${JSON.stringify(protocol)}`;
  let hostIp: string | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(s);
  if (v6) {
    hostIp = v6[1];
    s = v6[2]!;
  }
  const parts = s.split(':');
  if (parts.length > 3) return 'too many colons';
  if (parts.length === 3) {
    if (hostIp !== undefined) return 'too many colons';
    hostIp = parts.shift();
  }
  const container = range(parts.pop()!);
  if (!container) return `invalid container port ${JSON.stringify(spec)}`;
  const hostText = parts[0];
  const host = hostText ? range(hostText) : null;
  if (hostText && !host) return `invalid published port ${JSON.stringify(hostText)}`;
  const n = container[1] - container[0];
  if (host && host[1] - host[0] !== n && host[0] !== host[1]) return 'host and container port ranges differ in size';
  const out: PortLong[] = [];
  for (let i = 0; i <= n; i++) {
    const p: PortLong = { target: container[0] + i, protocol };
    if (host) p.published = String(host[0] === host[1] ? host[0] : host[0] + i);
    if (hostIp) p.host_ip = hostIp;
    out.push(p);
  }
  for (const p of out) if (p.target < 1 || p.target > 65535 || (p.published !== undefined && Number(p.published) > 65535)) return 'port out of range';
  return out;
}

export interface VolumeLong {
  type: 'volume' | 'bind' | 'tmpfs' | string;
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: Dict;
  volume?: Dict;
  tmpfs?: Dict;
}

/** The schema has checked a long-form volume; compose-spec requires its `type`. */
const isVolumeLong = (v: Dict): v is Dict & VolumeLong => typeof v['type'] === 'string';

/** "src:dst[:mode]" or "dst" → long form. A source starting with . / or ~ is a bind mount. */
export function parseVolumeShort(spec: string): VolumeLong | string {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) return `invalid volume spec ${JSON.stringify(spec)}`;
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  const [source, target, mode = ''] = parts as [string, string, string?];
  if (!target.startsWith('/')) return `the mount target of ${JSON.stringify(spec)} must be an absolute path`;
  const modes = mode ? mode.split(',') : [];
  for (const m of modes) if (!['ro', 'rw', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'].includes(m)) return `invalid mode ${JSON.stringify(m)} in ${JSON.stringify(spec)}`;
  const bind = /^[./~]/.test(source);
  const v: VolumeLong = { type: bind ? 'bind' : 'volume', source, target };
  if (modes.includes('ro')) v.read_only = true;
  const prop = modes.find((m) => /^r?(shared|slave|private)$/.test(m));
  if (bind && prop) v.bind = { propagation: prop };
  if (bind) v.bind = { ...(v.bind ?? {}), create_host_path: true };
  if (!bind && modes.includes('nocopy')) v.volume = { nocopy: true };
  return v;
}

export interface DeviceLong {
  source: string;
  target: string;
  permissions: string;
}

const DEVICE_MODE = /^[rwm]{1,3}$/;
// moby's deviceCgroupRuleRegex, which the engine applies at create.
const CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/**
 * A `devices:` entry (Compose Specification; compose-go's transformDeviceMapping): the short
 * "HOST_PATH[:CONTAINER_PATH[:CGROUP_PERMISSIONS]]" (target defaults to the source, permissions to rwm)
 * or the long {source, target, permissions}; paths absolute, permissions of r, w, m.
 */
export function parseDevice(entry: unknown): DeviceLong | string {
  let d: DeviceLong;
  if (isDict(entry)) {
    const source = String(entry['source'] ?? '');
    d = { source, target: String(entry['target'] ?? source), permissions: String(entry['permissions'] ?? 'rwm') };
  } else {
    const spec = String(entry);
    const parts = spec.split(':');
    if (parts.length > 3) return `confusing device mapping, please use long syntax: ${spec}`;
    const [source = '', target, permissions = 'rwm'] = parts;
    d = { source, target: target || source, permissions };
  }
  // "vendor.com/class=name" asks the runtime for a CDI device, which Berth has no registry of.
  if (/^[^/]+\/[^=]+=/.test(d.source)) return `CDI device names (${d.source}) are not supported by Berth; name the device node, e.g. /dev/dri/renderD128`;
  if (!d.source.startsWith('/')) return `the device ${JSON.stringify(d.source)} must be an absolute path on the host`;
  if (!d.target.startsWith('/')) return `the device target ${JSON.stringify(d.target)} must be an absolute path in the container`;
  if (!DEVICE_MODE.test(d.permissions) || new Set(d.permissions).size !== d.permissions.length) return `invalid device permissions ${JSON.stringify(d.permissions)}: use r, w and m (e.g. rwm)`;
  return d;
}

/** Canonical form of one service as written in one file. Problems are returned as issues at `where`. */
export function canonicalService(svc: Dict, where: (path: (string | number)[], message: string) => StackIssue): { value: Dict; issues: StackIssue[] } {
  const issues: StackIssue[] = [];
  const out: Dict = { ...svc };
  for (const key of ['environment', 'labels', 'annotations', 'sysctls', 'extra_hosts']) {
    if (out[key] !== undefined) out[key] = keyValues(out[key], key === 'extra_hosts' && Array.isArray(out[key]) && String((out[key] as unknown[])[0] ?? '').includes('=') ? '=' : key === 'extra_hosts' ? ':' : '=');
  }
  if (typeof out['build'] === 'string') out['build'] = { context: out['build'] };
  if (isDict(out['build']) && out['build']['args'] !== undefined) out['build'] = { ...out['build'], args: keyValues(out['build']['args']) };
  if (typeof out['extends'] === 'string') out['extends'] = { service: out['extends'] };
  if (typeof out['env_file'] === 'string') out['env_file'] = [out['env_file']];
  if (Array.isArray(out['env_file'])) out['env_file'] = out['env_file'].map((e) => (typeof e === 'string' ? { path: e, required: true } : e));
  for (const key of ['dns', 'dns_search', 'tmpfs']) if (typeof out[key] === 'string') out[key] = [out[key]];
  if (Array.isArray(out['depends_on'])) out['depends_on'] = Object.fromEntries(out['depends_on'].map((d) => [String(d), { condition: 'service_started', required: true }]));
  if (Array.isArray(out['networks'])) out['networks'] = Object.fromEntries(out['networks'].map((n) => [String(n), null]));
  if (Array.isArray(out['ports'])) {
    const ports: PortLong[] = [];
    out['ports'].forEach((p, i) => {
      if (isDict(p)) ports.push({ protocol: 'tcp', ...p, target: Number(p['target']), ...(p['published'] !== undefined ? { published: String(p['published']) } : {}) } as PortLong);
      else {
        const r = parsePortShort(String(p));
        if (typeof r === 'string') issues.push(where(['ports', i], r));
        else ports.push(...r);
      }
    });
    out['ports'] = ports;
  }
  if (Array.isArray(out['expose'])) out['expose'] = out['expose'].map(String);
  if (Array.isArray(out['volumes'])) {
    const vols: VolumeLong[] = [];
    out['volumes'].forEach((v, i) => {
      if (isDict(v)) {
        if (isVolumeLong(v)) vols.push(v);
        else issues.push(where(['volumes', i], 'a volume in long syntax needs a type'));
      }
      else {
        const r = parseVolumeShort(String(v));
        if (typeof r === 'string') issues.push(where(['volumes', i], r));
        else vols.push(r);
      }
    });
    out['volumes'] = vols;
  }
  for (const key of ['secrets', 'configs']) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((s) => (typeof s === 'string' ? { source: s } : s));
  }
  if (Array.isArray(out['devices'])) {
    const devices: DeviceLong[] = [];
    out['devices'].forEach((d, i) => {
      const r = parseDevice(d);
      if (typeof r === 'string') issues.push(where(['devices', i], r));
      else devices.push(r);
    });
    out['devices'] = devices;
  }
  if (Array.isArray(out['device_cgroup_rules'])) {
    out['device_cgroup_rules'].forEach((r, i) => {
      if (!CGROUP_RULE.test(String(r))) issues.push(where(['device_cgroup_rules', i], `invalid device cgroup rule ${JSON.stringify(r)}: use "<a|b|c> <major|*>:<minor|*> <rwm>", e.g. "c 1:3 rwm"`));
    });
  }
  return { value: out, issues };
}

export { issue };
