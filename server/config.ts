import path from 'node:path';
import { z } from 'zod';

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BERTH_ROOT: z.string().min(1).default('/var/lib/berth'),
  BERTH_RUN: z.string().min(1).default('/run/berth'),
  BERTH_CGROUP_PARENT: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/).default('berth'),
  DATABASE_URL: z.string().optional(),
  TLS_CERT: z.string().optional(),
  TLS_KEY: z.string().optional(),
  NODE_ENV: z.string().optional(),
  /** Extra Host names the dashboard answers to (comma-separated; `.example.com` allows its subdomains). */
  BERTH_ALLOWED_HOSTS: z.string().default(''),
});

export interface ServerConfig {
  host: string;
  port: number;
  root: string;
  run: string;
  cgroupParent: string;
  databaseFile: string;
  tls: { cert: string; key: string } | null;
  dev: boolean;
  /** Host names beyond loopback and HOST that requests may name (DNS rebinding defence). */
  allowedHosts: string[];
}

/** Reads the environment once, at the boundary; the rest of the server takes a ServerConfig. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const parsed = envSchema.parse(env);
  if ((parsed.TLS_CERT && !parsed.TLS_KEY) || (!parsed.TLS_CERT && parsed.TLS_KEY)) {
    throw new Error('TLS_CERT and TLS_KEY must be set together');
  }
  const root = path.resolve(parsed.BERTH_ROOT);
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    root,
    run: path.resolve(parsed.BERTH_RUN),
    cgroupParent: parsed.BERTH_CGROUP_PARENT,
    databaseFile: databaseFileFromUrl(parsed.DATABASE_URL) ?? path.join(root, 'dashboard.db'),
    tls: parsed.TLS_CERT && parsed.TLS_KEY ? { cert: parsed.TLS_CERT, key: parsed.TLS_KEY } : null,
    dev: parsed.NODE_ENV !== 'production',
    allowedHosts: parseAllowedHosts(parsed.BERTH_ALLOWED_HOSTS),
  };
}

const HOST_NAME = /^\.?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$|^\[[0-9a-f:.]+\]$|^[0-9a-f:.]+$/;

/** `a.example, .corp.example` → lower-case names; anything that is not a host name is refused at start. */
export function parseAllowedHosts(list: string): string[] {
  const names = list.split(',').map((n) => n.trim().toLowerCase()).filter(Boolean);
  for (const n of names) {
    if (!HOST_NAME.test(n)) throw new Error(`BERTH_ALLOWED_HOSTS: ${JSON.stringify(n)} is not a host name (no scheme, port or path)`);
  }
  return names;
}

function databaseFileFromUrl(url: string | undefined): string | null {
  if (!url) return null;
  if (!url.startsWith('file:')) throw new Error(`DATABASE_URL must be a SQLite file: URL, got ${url}`);
  return path.resolve(url.slice('file:'.length));
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}
