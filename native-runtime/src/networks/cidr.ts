// IPv4 arithmetic for subnets: parse "a.b.c.d/n", overlap checks, and host addresses in a subnet.
import { badParameter } from '../errors.js';

export interface Subnet {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw badParameter(`invalid IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw badParameter(`invalid IPv4 address: ${ip}`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

export function parseSubnet(cidr: string): Subnet {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m || Number(m[2]) > 32) throw badParameter(`invalid subnet ${cidr}: want a.b.c.d/n (IPv4)`);
  const prefix = Number(m[2]);
  return { base: (ipToInt(m[1]!) & mask(prefix)) >>> 0, prefix };
}

export function subnetText(s: Subnet): string {
  return `${intToIp(s.base)}/${s.prefix}`;
}

export function size(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function contains(s: Subnet, ip: string): boolean {
  return ((ipToInt(ip) & mask(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** The first usable host address (Docker's default gateway). */
export function firstHost(s: Subnet): string {
  return intToIp(s.base + 1);
}

/** Usable host addresses, excluding the network and broadcast addresses. */
export function* hosts(s: Subnet): Generator<string> {
  const n = size(s);
  for (let i = 1; i < n - 1; i++) yield intToIp(s.base + i);
}

/** Docker's MAC for an IPv4 endpoint: 02:42 followed by the address bytes. */
export function macFor(ip: string): string {
  const n = ipToInt(ip);
  return ['02', '42', ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
