import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import type { ServerConfig } from '../config.ts';

/** What a request must name to be served: the Host names this instance answers to. */
export interface SitePolicy {
  /** The listen address (HOST); a wildcard one answers on every local interface. */
  listenHost: string;
  /** BERTH_ALLOWED_HOSTS: exact names, or `.suffix` for a domain's subdomains. */
  allowedHosts: readonly string[];
}

export function sitePolicyOf(config: Pick<ServerConfig, 'host' | 'allowedHosts'>): SitePolicy {
  return { listenHost: config.host, allowedHosts: config.allowedHosts };
}

export type SiteVerdict = { ok: true } | { ok: false; status: 421 | 403; check: 'host' | 'origin'; reason: string };

// host[:port] or [v6][:port]; no userinfo, path or anything URL() would quietly reinterpret.
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?$/;

/** The lower-case host name of a Host header value (brackets stripped), or null when it is malformed. */
export function hostnameOf(hostHeader: string | undefined): string | null {
  const m = hostHeader ? HOST_HEADER.exec(hostHeader) : null;
  return m ? m[1]!.replace(/^\[|\]$/g, '').toLowerCase() : null;
}

const bare = (h: string): string => h.replace(/^\[|\]$/g, '').toLowerCase();

/** localhost, 127.0.0.0/8 and ::1 (also as v4-mapped): names no DNS answer can point elsewhere. */
export function isLoopbackName(name: string): boolean {
  const h = bare(name);
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

const isWildcard = (h: string): boolean => ['0.0.0.0', '::', ''].includes(bare(h));

function isLocalAddress(ip: string): boolean {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (bare(a.address) === ip) return true;
  }
  return false;
}

/**
 * DNS rebinding defence: a page of attacker.example that rebinds its name to this machine still sends
 * `Host: attacker.example`. Only the loopback names, the listen address (every local address and the
 * machine's name when it is a wildcard) and BERTH_ALLOWED_HOSTS are served.
 */
export function hostAllowed(hostname: string, policy: SitePolicy): boolean {
  const h = bare(hostname);
  if (isLoopbackName(h)) return true;
  if (!isWildcard(policy.listenHost) && h === bare(policy.listenHost)) return true;
  for (const a of policy.allowedHosts) {
    const name = bare(a);
    if (name.startsWith('.') ? h.endsWith(name) || h === name.slice(1) : h === name) return true;
  }
  if (isWildcard(policy.listenHost)) return h === os.hostname().toLowerCase() || (net.isIP(h) !== 0 && isLocalAddress(h));
  return false;
}

/**
 * Cross-site check for every request, whatever its method: an `Origin` must name this very host, and a
 * request without one must not be marked `Sec-Fetch-Site: cross-site` or `same-site` (a page on another
 * port of this host is same-site: SameSite cookies do not separate ports). No Origin and no
 * Sec-Fetch-Site is a non-browser client (docker CLI, curl), which carries no ambient cookies.
 */
export function originAllowed(req: IncomingMessage): { ok: true } | { ok: false; reason: string } {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return { ok: false, reason: `Sec-Fetch-Site: ${site}` };
  const origin = req.headers.origin;
  if (origin === undefined) return { ok: true };
  const host = req.headers.host?.toLowerCase();
  let originHost: string | null = null;
  try {
    originHost = origin === 'null' ? null : new URL(origin).host.toLowerCase();
  } catch {
    originHost = null;
  }
  if (!host || originHost !== host) return { ok: false, reason: `Origin ${JSON.stringify(origin)} is not ${host ?? 'this host'}` };
  return { ok: true };
}

/** Host first (421: this server is not the one the client meant), then Origin (403). */
export function checkRequestSite(req: IncomingMessage, policy: SitePolicy): SiteVerdict {
  const name = hostnameOf(req.headers.host);
  if (name === null || !hostAllowed(name, policy)) {
    return { ok: false, status: 421, check: 'host', reason: `Host ${JSON.stringify(req.headers.host ?? '')} is not a name this server answers to` };
  }
  const o = originAllowed(req);
  return o.ok ? o : { ok: false, status: 403, check: 'origin', reason: o.reason };
}

/** The client address, as the socket sees it (no proxy headers are trusted). */
export function clientIp(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? 'unknown';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'] as const;

/**
 * A browser on this very machine: a loopback peer that names a loopback Host and was not relayed by a
 * proxy (a proxy on this machine is a loopback peer too, and it may rewrite Host to 127.0.0.1).
 */
export function isLocalBrowserRequest(req: IncomingMessage): boolean {
  const name = hostnameOf(req.headers.host);
  return isLoopbackName(clientIp(req)) && name !== null && isLoopbackName(name) && FORWARDING_HEADERS.every((h) => req.headers[h] === undefined);
}
