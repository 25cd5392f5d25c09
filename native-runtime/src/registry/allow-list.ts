// Registry policy: which registries may be contacted, which may use plain HTTP, and the mirrors of
// docker.io. Every decision here is made from the host *string* alone: no DNS lookup, no socket.
// A refusal is an EngineError 403 whose message contains "not allowed".
import { forbidden } from '../errors.js';

export interface RegistryPolicyOptions {
  /** Hosts (`host` or `host:port`; `*.example.com`; `*` for all) that may be contacted. Unset: all. */
  allow?: string[];
  /** Hosts that may be reached over plain HTTP (or HTTPS without verification). Loopback always may. */
  insecure?: string[];
  /** Mirror base URLs for docker.io, tried in order before docker.io itself. */
  mirrors?: string[];
  /** Loopback only (BERTH_OFFLINE=1). */
  offline?: boolean;
}

export const DOCKER_HUB = 'docker.io';
/** Where docker.io's registry API actually lives. */
export const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';

/** host[:port] split without any lookup; IPv6 in brackets. */
export function splitHostPort(hostPort: string): { host: string; port?: number } {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(hostPort);
  if (v6) return v6[2] ? { host: v6[1]!.toLowerCase(), port: Number(v6[2]) } : { host: v6[1]!.toLowerCase() };
  const i = hostPort.lastIndexOf(':');
  if (i > -1 && /^\d+$/.test(hostPort.slice(i + 1))) return { host: hostPort.slice(0, i).toLowerCase(), port: Number(hostPort.slice(i + 1)) };
  return { host: hostPort.toLowerCase() };
}

/** True for localhost, 127.0.0.0/8 and ::1, judged from the literal text only. */
export function isLoopbackHost(hostPort: string): boolean {
  const { host } = splitHostPort(hostPort);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return host.split('.').every((p) => Number(p) <= 255);
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

function matches(pattern: string, hostPort: string): boolean {
  const p = pattern.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (!p) return false;
  if (p === '*') return true;
  const target = splitHostPort(hostPort);
  const pat = splitHostPort(p);
  if (pat.port !== undefined && pat.port !== target.port) return false;
  if (pat.host.startsWith('*.')) return target.host.endsWith(pat.host.slice(1));
  return pat.host === target.host;
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

export class RegistryPolicy {
  readonly allow: string[] | undefined;
  readonly insecure: string[];
  readonly mirrors: string[];
  readonly offline: boolean;

  constructor(opts: RegistryPolicyOptions = {}) {
    this.allow = opts.allow;
    this.insecure = opts.insecure ?? [];
    this.mirrors = opts.mirrors ?? [];
    this.offline = opts.offline ?? false;
  }

  /**
   * Options win over the environment for allow/insecure/mirrors; BERTH_OFFLINE=1 always applies.
   * Env: BERTH_REGISTRY_ALLOW, BERTH_INSECURE_REGISTRIES, BERTH_REGISTRY_MIRRORS (comma separated).
   */
  static fromEnv(opts: RegistryPolicyOptions = {}, env: NodeJS.ProcessEnv = process.env): RegistryPolicy {
    const offlineEnv = env['BERTH_OFFLINE'];
    const offline = opts.offline === true || (offlineEnv !== undefined && offlineEnv !== '' && offlineEnv !== '0' && offlineEnv.toLowerCase() !== 'false');
    const o: RegistryPolicyOptions = {
      insecure: opts.insecure ?? list(env['BERTH_INSECURE_REGISTRIES']) ?? [],
      mirrors: opts.mirrors ?? list(env['BERTH_REGISTRY_MIRRORS']) ?? [],
      offline,
    };
    const allow = opts.allow ?? list(env['BERTH_REGISTRY_ALLOW']);
    if (allow !== undefined) o.allow = allow;
    return new RegistryPolicy(o);
  }

  /** Whether `host` (a reference's domain, `docker.io` for Hub) may be contacted. */
  allows(hostPort: string): boolean {
    if (this.offline) return isLoopbackHost(hostPort);
    if (this.allow === undefined) return true;
    if (isLoopbackHost(hostPort) && this.allow.some((a) => a.trim() === 'loopback')) return true;
    const candidates = hostPort === DOCKER_HUB ? [DOCKER_HUB, DOCKER_HUB_ENDPOINT, 'index.docker.io'] : [hostPort];
    return this.allow.some((a) => candidates.some((c) => matches(a, c)));
  }

  /** Throws EngineError 403 unless `host` may be contacted. Synchronous: nothing has happened yet. */
  check(hostPort: string): void {
    if (this.allows(hostPort)) return;
    const why = this.offline ? 'offline mode' : 'not in the registry allow-list';
    throw forbidden(`registry ${hostPort} is not allowed (${why})`);
  }

  /** Plain HTTP (or unverified TLS) is permitted only for loopback and insecure-listed registries. */
  isInsecure(hostPort: string): boolean {
    return isLoopbackHost(hostPort) || this.insecure.some((p) => matches(p, hostPort));
  }

  /** Mirror base URLs for `domain` that this policy lets us contact (only docker.io has mirrors). */
  mirrorsFor(domain: string): URL[] {
    if (domain !== DOCKER_HUB) return [];
    const out: URL[] = [];
    for (const m of this.mirrors) {
      let u: URL;
      try {
        u = new URL(/^[a-z]+:\/\//i.test(m) ? m : `https://${m}`);
      } catch {
        continue;
      }
      if (!this.allows(u.host)) continue;
      if (u.protocol === 'http:' && !this.isInsecure(u.host)) continue;
      out.push(u);
    }
    return out;
  }
}
