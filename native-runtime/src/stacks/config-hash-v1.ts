// The config hash docker-compose 1.29 puts on a container (com.docker.compose.config-hash) and compares
// on `up`: sha256 of Python's json.dumps(sort_keys, separators=(',', ':')) of Service.config_dict() —
// the service dict after 1.29's own loading (type conversions, short syntaxes parsed into its
// namedtuples, which JSON writes as arrays, MountSpec as a dict), plus networks, secrets and the image
// id. Berth writes the same value, so the CLI and Berth never recreate each other's unchanged containers.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

type Dict = Record<string, unknown>;
/** A plain mapping (as YAML gives), not one of the value classes below. */
export const isDict = (v: unknown): v is Dict => !!v && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** A value Python holds as a float: json.dumps writes it with repr (1.0, 1e-07), unlike JSON.stringify. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A ServicePort 1.29 has parsed already (a merge of files parses them): (target, published, protocol, mode, external_ip). */
export class ParsedPort {
  constructor(readonly tuple: unknown[]) {}
}

/** Python's float repr: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const digits = mant.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || '0'}`;
}

/** json.dumps(v, sort_keys=True, separators=(',', ':')) with ensure_ascii, as compose's json_hash. */
export function pythonJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(',')}]`;
  const d = v as Dict;
  return `{${Object.keys(d)
    .sort()
    .map((k) => `${pythonJson(k)}:${pythonJson(d[k])}`)
    .join(',')}}`;
}

/** What the project gives the hash beyond the service dict itself. */
export interface V1Context {
  workingDir: string;
  /** The project's variables (its .env): bare `environment:` names and build args take their values from here. */
  vars: Record<string, string>;
  /** env_file values, merged in order (the service's own `environment:` overrides them). */
  envFileValues: Record<string, string>;
  /** Compose network key → engine name. */
  networkNames: Record<string, string>;
  /** Compose volume key → engine name. */
  volumeNames: Record<string, string>;
  /** Top-level secrets: name → absolute file (undefined when not from a file); external ones are left out. */
  secretFiles: Record<string, { file?: string; external: boolean }>;
}

/** config_dict() without image_id: known once the files are loaded; the image id comes at deploy. */
export type V1ConfigBase = Dict;

// ---- 1.29's value conversions (interpolation.py ConversionMap, applied to every value at these paths).

function toBoolean(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.toLowerCase();
  if (['y', 'yes', 'true', 'on'].includes(s)) return true;
  if (['n', 'no', 'false', 'off'].includes(s)) return false;
  return v;
}

function toInt(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  const n = /^0[0-9]+$/.test(s) ? parseInt(s.slice(1), 8) : /^0[xX][0-9a-fA-F]+$/.test(s) ? parseInt(s, 16) : /^0[oO][0-7]+$/.test(s) ? parseInt(s.slice(2), 8) : /^[-+]?\d+$/.test(s) ? Number(s) : NaN;
  return Number.isNaN(n) ? v : n;
}

function toFloat(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const n = Number(v.trim());
  return v.trim() && Number.isFinite(n) ? new PyFloat(n) : v;
}

/** Python's '{}'.format(x) of a YAML scalar. */
export function pyStr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  return String(v);
}

function toStr(v: unknown): unknown {
  return typeof v === 'boolean' || typeof v === 'number' ? pyStr(v) : v;
}

/** docker-py's parse_bytes: b/k/m/g (binary), a trailing b after a unit dropped. */
function parseBytes(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (!v.length) return 0;
  let s = v;
  if (/[a-zA-Z]/.test(s.slice(-2, -1)) && /[a-zA-Z]/.test(s.slice(-1)) && /b/i.test(s.slice(-1))) s = s.slice(0, -1);
  const units: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  let suffix = s.slice(-1).toLowerCase();
  let digits = s.slice(0, -1);
  if (/\d/.test(suffix)) [digits, suffix] = [s, 'b'];
  const n = Number(digits);
  return units[suffix] && digits.trim() && Number.isFinite(n) ? Math.trunc(n * units[suffix]!) : v;
}

const NANO = 1.0 / 1000.0 / 1000.0 / 1000.0;
const DURATION_PARTS: [RegExp, number][] = [
  [/^([\d.]+)h/, 60 * 60],
  [/^([\d.]+)m(?!s)/, 60],
  [/^([\d.]+)s/, 1],
  [/^([\d.]+)ms/, 1.0 / 1000],
  [/^([\d.]+)(?:us|µs)/, 1.0 / 1000.0 / 1000],
  [/^([\d.]+)ns/, NANO],
];

/** compose's timeparse (Go-like, units in fixed order) then int(seconds / 1e-9), float for float. */
function nanoseconds(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  let rest = v.trim();
  if (!rest) return null;
  let total = 0;
  for (const [re, mult] of DURATION_PARTS) {
    const m = re.exec(rest);
    if (!m) continue;
    const n = /^\d+$/.test(m[1]!) ? parseInt(m[1]!, 10) : Number(m[1]);
    if (Number.isNaN(n)) return null;
    total += mult * n;
    rest = rest.slice(m[0].length);
  }
  return rest ? null : Math.trunc(total / NANO);
}

// ---- Paths (os.path.normpath / abspath / expanduser on a POSIX host).

function normpath(p: string): string {
  if (!p) return '.';
  const lead = p.startsWith('//') && !p.startsWith('///') ? 2 : p.startsWith('/') ? 1 : 0;
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (!c || c === '.') continue;
    if (c !== '..' || (!lead && !parts.length) || parts.at(-1) === '..') parts.push(c);
    else if (parts.length) parts.pop();
  }
  return '/'.repeat(lead) + parts.join('/') || '.';
}

const expanduser = (p: string) => (p === '~' || p.startsWith('~/') ? os.homedir() + p.slice(1) : p);
const expandPath = (wd: string, p: string) => normpath(path.isAbsolute(expanduser(p)) ? expanduser(p) : path.join(wd, expanduser(p)));
const URL_PREFIXES = ['http://', 'https://', 'git://', 'github.com/', 'git@'];

// ---- Per-key normalisation, as compose/config/config.py and compose/project.py leave the service dict.

function keyValue(item: string, missing: string | null): [string, string | null] {
  const i = item.indexOf('=');
  return i < 0 ? [item, missing] : [item.slice(0, i), item.slice(i + 1)];
}

export function dictOrList(v: unknown, missing: string | null): Dict {
  if (Array.isArray(v)) return Object.fromEntries(v.map((e) => keyValue(pyStr(e), missing)));
  return isDict(v) ? { ...v } : {};
}

function mapValues(d: Dict, f: (v: unknown) => unknown): Dict {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, f(v)]));
}

const PORT_SPEC = /^((\[?([a-fA-F\d.:]+)\]?:)?(\d*)(-(\d+))?:)?(\d+)(-(\d+))?(\/(udp|tcp|sctp))?$/;

/** ServicePort(target, published, protocol, mode, external_ip), which JSON writes as an array. */
export function servicePorts(spec: unknown): unknown[][] {
  if (spec instanceof ParsedPort) return [spec.tuple];
  if (isDict(spec)) {
    const target = toInt(spec['target']);
    const published = toInt(spec['published']);
    return [[target ? Number(target) : (target ?? null), published && !(typeof published === 'string' && published.includes('-')) ? Number(published) : (published ?? null), spec['protocol'] ?? null, spec['mode'] ?? null, null]];
  }
  const m = PORT_SPEC.exec(pyStr(spec));
  if (!m) return [[pyStr(spec), null, null, null, null]]; // 1.29 refuses it; Berth needs only a stable value
  const [host, ext, extEnd, int, intEnd, proto] = [m[3], m[4], m[6], m[7]!, m[9], m[11]];
  const range = (a: string, b: string | undefined) => (b ? Array.from({ length: Number(b) - Number(a) + 1 }, (_, i) => String(Number(a) + i)) : [a]);
  const internal = range(int, intEnd);
  const external: (string | null)[] = !ext ? internal.map(() => null) : internal.length === 1 ? [extEnd ? `${ext}-${extEnd}` : ext] : range(ext, extEnd);
  return internal.map((t, i) => {
    const pub = external[i] ?? null;
    const published = pub === null ? null : pub.includes('-') ? pub : Number(pub);
    return [Number(t), published, proto ?? null, null, host ?? null];
  });
}

function volumeEntry(v: unknown, ctx: V1Context): unknown {
  if (isDict(v)) {
    const m: Dict = { ...v };
    if (m['type'] === 'bind' && typeof m['source'] === 'string' && /^[.~]/.test(m['source'])) m['source'] = expandPath(ctx.workingDir, m['source']);
    if (typeof m['source'] === 'string' && m['source']) m['source'] = normpath(m['source']);
    if (m['type'] === 'volume' && typeof m['source'] === 'string' && m['source']) m['source'] = ctx.volumeNames[m['source']] ?? m['source'];
    if (isDict(m['tmpfs']) && m['tmpfs']['size'] !== undefined) m['tmpfs'] = { ...m['tmpfs'], size: parseBytes(m['tmpfs']['size']) };
    m['read_only'] = toBoolean(m['read_only']);
    if (isDict(m['volume']) && m['volume']['nocopy'] !== undefined) m['volume'] = { ...m['volume'], nocopy: toBoolean(m['volume']['nocopy']) };
    // MountSpec.repr(): the truthy fields, and the options of its type when not empty.
    const out: Dict = {};
    for (const f of ['type', 'source', 'target', 'read_only', 'consistency']) if (m[f]) out[f] = m[f];
    const opts = m[String(m['type'])];
    if (isDict(opts) && Object.keys(opts).length) out[String(m['type'])] = opts;
    return out;
  }
  // Short syntax: resolve_volume_path, then VolumeSpec(external, internal, mode).
  let s = String(v);
  const i = s.indexOf(':');
  if (i >= 0) {
    let host = s.slice(0, i);
    let container = s.slice(i + 1);
    let mode: string | null = null;
    const j = container.lastIndexOf(':');
    if (j >= 0) [container, mode] = [container.slice(0, j), container.slice(j + 1)];
    if (host.startsWith('.')) host = expandPath(ctx.workingDir, host);
    host = expanduser(host);
    s = `${host}:${container}${mode ? `:${mode}` : ''}`;
  }
  const parts = s.split(':');
  if (parts.length === 1) return [null, normpath(parts[0]!), 'rw'];
  let external = normpath(parts[0]!);
  if (!/^[./~]/.test(external)) external = ctx.volumeNames[external] ?? external;
  return [external, normpath(parts[1]!), parts[2] ?? 'rw'];
}

function restartSpec(v: unknown): unknown {
  if (!v) return null;
  const parts = String(v).split(':');
  return { Name: parts[0], MaximumRetryCount: parts.length > 1 ? parseInt(parts[1]!, 10) : 0 };
}

function convertDeployRestart(condition: unknown): string {
  return ({ any: 'always', none: 'no', 'on-failure': 'on-failure' } as Record<string, string>)[String(condition ?? 'any')] ?? String(condition);
}

/**
 * Service.config_dict() of docker-compose 1.29 without image_id, from the service as written in its
 * file (after interpolation).
 */
export function v1ConfigBase(written: Dict, ctx: V1Context): V1ConfigBase {
  const s: Dict = { ...written };
  // Conversions of values (ConversionMap).
  if (s['cpus'] !== undefined) s['cpus'] = toFloat(s['cpus']);
  for (const k of ['privileged', 'read_only', 'stdin_open', 'tty', 'oom_kill_disable']) if (s[k] !== undefined) s[k] = toBoolean(s[k]);
  for (const k of ['scale', 'mem_swappiness', 'oom_score_adj', 'cpu_count']) if (s[k] !== undefined) s[k] = toInt(s[k]);
  if (isDict(s['ulimits'])) s['ulimits'] = mapValues(s['ulimits'], (u) => (isDict(u) ? mapValues(u, toInt) : toInt(u)));

  // process_service.
  if (s['build'] !== undefined) {
    const b: Dict = typeof s['build'] === 'string' ? { context: s['build'] } : isDict(s['build']) ? { ...s['build'] } : {};
    if (typeof b['context'] === 'string' && !URL_PREFIXES.some((p) => (b['context'] as string).startsWith(p))) b['context'] = expandPath(ctx.workingDir, b['context']);
    if (b['labels'] !== undefined) b['labels'] = mapValues(dictOrList(b['labels'], ''), toStr);
    s['build'] = b;
  }
  if (s['sysctls'] !== undefined) s['sysctls'] = mapValues(dictOrList(s['sysctls'], ''), (v) => pyStr(v ?? ''));
  if (s['labels'] !== undefined) s['labels'] = mapValues(dictOrList(s['labels'], ''), toStr);
  if (Array.isArray(s['depends_on'])) s['depends_on'] = Object.fromEntries(s['depends_on'].map((d) => [String(d), { condition: 'service_started' }]));
  for (const k of ['dns', 'dns_search', 'tmpfs']) if (typeof s[k] === 'string') s[k] = [s[k]];
  if (isDict(s['healthcheck'])) {
    const hc: Dict = { ...s['healthcheck'] };
    if (hc['retries'] !== undefined) hc['retries'] = toInt(hc['retries']);
    if ('disable' in hc) {
      delete hc['disable'];
      hc['test'] = ['NONE'];
    }
    for (const f of ['interval', 'timeout', 'start_period']) if (f in hc && typeof hc[f] !== 'number') hc[f] = nanoseconds(hc[f]);
    s['healthcheck'] = hc;
  }
  if (Array.isArray(s['ports'])) s['ports'] = s['ports'].flatMap(servicePorts);
  if (Array.isArray(s['security_opt']) && s['security_opt'].length) s['security_opt'] = s['security_opt'].map((o) => [o, null]);

  // finalize_service.
  if (s['environment'] !== undefined || s['env_file'] !== undefined) {
    const env: Dict = { ...ctx.envFileValues };
    const own = Array.isArray(s['environment']) ? Object.fromEntries(s['environment'].map((e) => keyValue(String(e), null))) : isDict(s['environment']) ? s['environment'] : {};
    for (const [k, v] of Object.entries(own)) env[k] = v ?? ctx.vars[k] ?? null;
    s['environment'] = env;
    delete s['env_file'];
  }
  s['volumes'] = (Array.isArray(s['volumes']) ? s['volumes'] : []).map((v) => volumeEntry(v, ctx));
  if (s['restart'] !== undefined) s['restart'] = restartSpec(s['restart']);
  // normalize_build: args resolved from the variables, then every value a string ('' for none).
  if (isDict(s['build']) && s['build']['args'] !== undefined) {
    const args = dictOrList(s['build']['args'], null);
    s['build'] = { ...s['build'], args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, pyStr(v ?? ctx.vars[k] ?? '')])) };
  }
  delete s['extends'];

  // Project.from_config: networks, links, modes and secrets leave the options; deploy becomes options.
  const networkMode = s['network_mode'];
  const nets: Dict = {};
  if (networkMode === undefined) {
    const declared = Array.isArray(s['networks']) ? Object.fromEntries(s['networks'].map((n) => [String(n), null])) : isDict(s['networks']) ? s['networks'] : { default: null };
    for (const [k, def] of Object.entries(declared)) nets[ctx.networkNames[k] ?? k] = def ?? {};
  }
  delete s['networks'];
  const links = (Array.isArray(s['links']) ? s['links'] : []).map((l) => {
    const [svc, alias] = String(l).split(/:(.*)/s);
    return [svc, alias ?? null];
  });
  delete s['links'];
  const ipc = s['ipc'] ?? null;
  delete s['ipc'];
  delete s['pid'];
  let net: unknown;
  if (typeof networkMode === 'string' && networkMode) net = networkMode.startsWith('service:') ? networkMode.slice('service:'.length) : networkMode;
  else {
    const byPriority = Object.entries(nets).sort(([a, x], [b, y]) => {
      const pa = Number((x as Dict)['priority'] ?? 0);
      const pb = Number((y as Dict)['priority'] ?? 0);
      return pb - pa || (a < b ? -1 : a > b ? 1 : 0);
    });
    net = byPriority[0]?.[0] ?? 'none';
  }
  delete s['network_mode'];
  const volumesFrom = (Array.isArray(s['volumes_from']) ? s['volumes_from'] : []).flatMap((v) => {
    const parts = String(v).split(':');
    if (parts[0] === 'container') return [];
    return [[parts[0], parts[1] ?? 'rw']];
  });
  delete s['volumes_from'];
  const secrets = (Array.isArray(s['secrets']) ? s['secrets'] : []).flatMap((x) => {
    const d: Dict = isDict(x) ? x : { source: x };
    const top = ctx.secretFiles[String(d['source'])];
    if (!top || top.external) return [];
    const mode = toInt(d['mode']);
    return [{ secret: [d['source'] ?? null, d['target'] ?? null, d['uid'] ?? null, d['gid'] ?? null, mode ?? null, d['name'] ?? null], file: top.file ?? null }];
  });
  delete s['secrets'];
  delete s['scale'];
  delete s['configs'];
  delete s['credential_spec'];
  s['device_requests'] = null;
  const deploy = s['deploy'];
  if (isDict(deploy)) {
    if (isDict(deploy['restart_policy'])) s['restart'] = { Name: convertDeployRestart(deploy['restart_policy']['condition']), MaximumRetryCount: toInt(deploy['restart_policy']['max_attempts'] ?? 0) };
    const res = isDict(deploy['resources']) ? deploy['resources'] : {};
    if (isDict(res['limits'])) {
      s['mem_limit'] = res['limits']['memory'] ?? null;
      if (res['limits']['cpus'] !== undefined) s['cpus'] = new PyFloat(Number(res['limits']['cpus']));
    }
    if (isDict(res['reservations'])) s['mem_reservation'] = res['reservations']['memory'] ?? null;
  }
  delete s['deploy'];
  s['platform'] = s['platform'] ?? null;
  return { options: s, links, net, ipc_mode: ipc, networks: nets, secrets, volumes_from: volumesFrom };
}

/** The config hash compose 1.29 computes for a service whose image has id `imageId` (null: no such image). */
export function v1ConfigHash(base: V1ConfigBase, imageId: string | null): string {
  return createHash('sha256').update(pythonJson({ ...base, image_id: imageId }), 'utf8').digest('hex');
}
