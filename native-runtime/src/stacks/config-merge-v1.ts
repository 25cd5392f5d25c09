// docker-compose 1.29's merge of one service across files (`-f a.yml -f b.yml`, COMPOSE_FILE):
// compose/config/config.py merge_service_dicts. Its results differ from the Compose Specification's
// merge (lists sorted and de-duplicated, volumes ordered by container path, ports by target, keys it
// does not know dropped), and they are what 1.29 hashes, so config-hash-v1.ts is fed this merge.
import { dictOrList, isDict, ParsedPort, pyStr, servicePorts } from './config-hash-v1.ts';

type Dict = Record<string, unknown>;

// The service keys 1.29 carries through a merge (ALLOWED_KEYS); any other key is dropped by it.
const SCALARS = [
  'cap_add', 'cap_drop', 'cgroup_parent', 'command', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period',
  'cpu_rt_runtime', 'cpu_shares', 'cpus', 'cpuset', 'detach', 'device_cgroup_rules', 'devices', 'dns', 'dns_search', 'dns_opt',
  'domainname', 'entrypoint', 'env_file', 'environment', 'extra_hosts', 'group_add', 'hostname', 'healthcheck', 'image', 'ipc',
  'isolation', 'labels', 'links', 'mac_address', 'mem_limit', 'mem_reservation', 'memswap_limit', 'mem_swappiness', 'net',
  'oom_score_adj', 'oom_kill_disable', 'pid', 'ports', 'privileged', 'read_only', 'restart', 'runtime', 'secrets', 'security_opt',
  'shm_size', 'pids_limit', 'stdin_open', 'stop_signal', 'sysctls', 'tty', 'user', 'userns_mode', 'volume_driver', 'volumes',
  'volumes_from', 'working_dir', 'blkio_config', 'build', 'container_name', 'credential_spec', 'dockerfile', 'init', 'log_driver',
  'log_opt', 'logging', 'network_mode', 'platform', 'profiles', 'scale', 'stop_grace_period',
];

const has = (d: Dict, k: string) => Object.prototype.hasOwnProperty.call(d, k);
const toList = (v: unknown): unknown[] => (v === null || v === undefined ? [] : typeof v === 'string' ? [v] : Array.isArray(v) ? v : [v]);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** sorted(set(str(x) for x in base + override)) */
function uniqueSorted(a: unknown, b: unknown): string[] {
  return [...new Set([...toList(a), ...toList(b)].map(pyStr))].sort(cmp);
}

function splitEnv(item: string): [string, string | null] {
  const i = item.indexOf('=');
  return i < 0 ? [item, null] : [item.slice(0, i), item.slice(i + 1)];
}

const parseEnvironment = (v: unknown): Dict => (Array.isArray(v) ? Object.fromEntries(v.map((e) => splitEnv(pyStr(e)))) : isDict(v) ? { ...v } : {});
const parseLabels = (v: unknown): Dict => (v ? dictOrList(v, '') : {});
const parseFlat = (v: unknown): Dict => (isDict(v) ? { ...v } : {});
const parseDependsOn = (v: unknown): Dict => (Array.isArray(v) ? Object.fromEntries(v.map((d) => [pyStr(d), { condition: 'service_started' }])) : isDict(v) ? { ...v } : {});
function parseExtraHosts(v: unknown): Dict {
  if (isDict(v)) return { ...v };
  if (!Array.isArray(v)) return {};
  return Object.fromEntries(
    v.map((line) => {
      const s = pyStr(line);
      const i = s.indexOf(':');
      return [s.slice(0, i).trim(), s.slice(i + 1).trim()];
    }),
  );
}

class Merge {
  readonly out: Dict = {};
  constructor(
    readonly base: Dict,
    readonly override: Dict,
  ) {}
  needs(k: string): boolean {
    return has(this.base, k) || has(this.override, k);
  }
  field(k: string, f: (a: unknown, b: unknown) => unknown, dflt?: unknown): void {
    if (this.needs(k)) this.out[k] = f(has(this.base, k) ? this.base[k] : dflt, has(this.override, k) ? this.override[k] : dflt);
  }
  mapping(k: string, parse: (v: unknown) => Dict = (m) => (isDict(m) ? { ...m } : {})): void {
    if (this.needs(k)) this.out[k] = { ...parse(this.base[k]), ...parse(this.override[k]) };
  }
  scalar(k: string): void {
    if (this.needs(k)) this.out[k] = has(this.override, k) ? this.override[k] : this.base[k];
  }
  /** merge_sequence: items keyed by their merge field, later files winning; sorted as tuples; written with repr(). */
  sequence(k: string, parse: (v: unknown) => { key: string; sort: string[]; repr: unknown }): void {
    if (!this.needs(k)) return;
    const merged = new Map<string, { sort: string[]; repr: unknown }>();
    for (const item of [...toList(this.base[k]), ...toList(this.override[k])]) {
      const p = parse(item);
      merged.set(p.key, p);
    }
    this.out[k] = [...merged.values()].sort((a, b) => cmp(a.sort.join('\0'), b.sort.join('\0'))).map((p) => p.repr);
  }
}

function secretItem(v: unknown): { key: string; sort: string[]; repr: unknown } {
  const d: Dict = isDict(v) ? v : { source: v };
  const repr = Object.fromEntries(['source', 'target', 'uid', 'gid', 'mode', 'name'].filter((f) => d[f] !== undefined && d[f] !== null).map((f) => [f, d[f]]));
  return { key: pyStr(d['source']), sort: [pyStr(d['source'])], repr };
}

/** merge_path_mappings: by container path, later files winning, ordered by container path. */
function pathMappings(base: unknown, override: unknown): unknown[] {
  const byTarget = new Map<string, unknown>();
  for (const v of [...toList(base), ...toList(override)]) {
    if (isDict(v)) {
      byTarget.set(pyStr(v['target']), v);
      continue;
    }
    const s = pyStr(v);
    const i = s.indexOf(':');
    if (i < 0) {
      byTarget.set(s, s);
      continue;
    }
    const host = s.slice(0, i);
    let container = s.slice(i + 1);
    let mode = '';
    const j = container.lastIndexOf(':');
    if (j >= 0) [container, mode] = [container.slice(0, j), container.slice(j + 1)];
    byTarget.set(container, `${host}:${container}${mode ? `:${mode}` : ''}`);
  }
  return [...byTarget.entries()].sort(([a], [b]) => cmp(a, b)).map(([, v]) => v);
}

function mergeNetworks(base: unknown, override: unknown): Dict {
  const asDict = (v: unknown): Dict => (Array.isArray(v) ? Object.fromEntries(v.map((n) => [pyStr(n), {}])) : isDict(v) ? v : {});
  const [b, o] = [asDict(base), asDict(override)];
  const out: Dict = {};
  for (const name of new Set([...Object.keys(b), ...Object.keys(o)])) {
    const md = new Merge(isDict(b[name]) ? b[name] : {}, isDict(o[name]) ? o[name] : {});
    md.field('aliases', uniqueSorted, []);
    md.field('link_local_ips', uniqueSorted, []);
    for (const k of ['priority', 'ipv4_address', 'ipv6_address']) md.scalar(k);
    out[name] = md.out;
  }
  return out;
}

function mergeLogging(base: unknown, override: unknown): Dict {
  const [b, o] = [isDict(base) ? base : {}, isDict(override) ? override : {}];
  const md = new Merge(b, o);
  md.scalar('driver');
  if (md.out['driver'] === b['driver'] || b['driver'] === undefined || b['driver'] === null) md.mapping('options');
  else if (o['options']) md.out['options'] = o['options'];
  return md.out;
}

function mergeDeploy(base: unknown, override: unknown): Dict {
  const md = new Merge(isDict(base) ? base : {}, isDict(override) ? override : {});
  for (const k of ['mode', 'endpoint_mode', 'replicas']) md.scalar(k);
  md.mapping('labels', parseLabels);
  for (const k of ['update_config', 'rollback_config', 'restart_policy']) md.mapping(k);
  if (md.needs('resources')) {
    const r = new Merge(isDict(md.base['resources']) ? md.base['resources'] : {}, isDict(md.override['resources']) ? md.override['resources'] : {});
    r.mapping('limits');
    r.field(
      'reservations',
      (a, b) => {
        const m = new Merge(isDict(a) ? a : {}, isDict(b) ? b : {});
        m.scalar('cpus');
        m.scalar('memory');
        return m.out;
      },
      {},
    );
    md.out['resources'] = r.out;
  }
  return md.out;
}

function mergeBuild(base: Dict, override: Dict): Dict {
  const asDict = (v: unknown): Dict => (typeof v === 'string' ? { context: v } : isDict(v) ? v : {});
  const md = new Merge(asDict(base['build']), asDict(override['build']));
  for (const k of ['context', 'dockerfile', 'network', 'target', 'shm_size', 'isolation']) md.scalar(k);
  md.mapping('args', parseEnvironment);
  md.field('cache_from', uniqueSorted, []);
  md.mapping('labels', parseLabels);
  md.mapping('extra_hosts', parseExtraHosts);
  return md.out;
}

/** merge_service_dicts(base, override) of compose 1.29 (file format 2 and later). */
export function mergeServiceV1(base: Dict, override: Dict): Dict {
  const md = new Merge(base, override);
  md.mapping('environment', parseEnvironment);
  md.mapping('labels', parseLabels);
  md.mapping('ulimits', parseFlat);
  md.mapping('sysctls', parseLabels);
  md.mapping('depends_on', parseDependsOn);
  md.mapping('storage_opt', parseFlat);
  md.sequence('links', (v) => {
    const [target, alias] = pyStr(v).split(/:(.*)/s) as [string, string | undefined];
    const a = alias || target;
    return { key: a, sort: [target, a], repr: target === a ? target : `${target}:${a}` };
  });
  md.sequence('secrets', secretItem);
  md.sequence('configs', secretItem);
  md.sequence('security_opt', (v) => ({ key: pyStr(v), sort: [pyStr(v)], repr: pyStr(v) }));
  md.mapping('extra_hosts', parseExtraHosts);
  md.field('networks', mergeNetworks, {});
  for (const k of ['volumes', 'devices']) md.field(k, pathMappings);
  for (const k of ['cap_add', 'cap_drop', 'expose', 'external_links', 'volumes_from', 'device_cgroup_rules', 'profiles']) md.field(k, uniqueSorted, []);
  for (const k of ['dns', 'dns_search', 'env_file', 'tmpfs']) md.field(k, (a, b) => [...toList(a), ...toList(b)]);
  md.field('logging', mergeLogging, {});
  if (md.needs('ports')) {
    // ServicePorts keyed by (target, published, external_ip, protocol), ordered by target.
    const ports = new Map<string, unknown[]>();
    for (const p of [...toList(base['ports']), ...toList(override['ports'])].flatMap(servicePorts)) ports.set(JSON.stringify([p[0], p[1], p[4], p[2]]), p);
    md.out['ports'] = [...ports.values()].sort((a, b) => Number(a[0] ?? 0) - Number(b[0] ?? 0)).map((t) => new ParsedPort(t));
  }
  md.field('healthcheck', (a, b) => (isDict(b) && b['disabled'] === true ? b : { ...(isDict(a) ? a : {}), ...(isDict(b) ? b : {}) }), {});
  md.field('deploy', mergeDeploy, {});
  for (const k of SCALARS) if (!has(md.out, k)) md.scalar(k);
  if (md.needs('build')) md.out['build'] = mergeBuild(base, override);
  return md.out;
}

/**
 * A service as 1.29 has it before its own processing: merged across the files in order (`extends`
 * carried from the last file that has it), then `extends` resolved against the first file's own
 * service (as 1.29 does; recursively). Null for an `extends` of another file or a cycle.
 */
export function writtenServiceV1(files: { name: string; services: Dict }[], service: string): Dict | null {
  const inFile = (f: { services: Dict }, name: string): Dict | undefined => (isDict(f.services[name]) ? (f.services[name] as Dict) : undefined);
  const [first, ...rest] = files;
  if (!first) return null;
  let merged = inFile(first, service) ?? {};
  let ext = merged['extends'];
  for (const f of rest) {
    const o = inFile(f, service) ?? {};
    merged = mergeServiceV1(merged, o);
    if (o['extends'] !== undefined) ext = o['extends'];
  }
  const resolve = (svc: Dict, extendsValue: unknown, chain: string[]): Dict | null => {
    if (extendsValue === undefined) return svc;
    const e: Dict = isDict(extendsValue) ? extendsValue : { service: extendsValue };
    const baseName = pyStr(e['service']);
    if ((e['file'] !== undefined && e['file'] !== first.name) || chain.includes(baseName)) return null;
    const base = inFile(first, baseName);
    if (!base) return null;
    const resolvedBase = resolve(base, base['extends'], [...chain, baseName]);
    return resolvedBase && mergeServiceV1(resolvedBase, svc);
  };
  return resolve(merged, ext, [service]);
}
