// Capabilities: Docker's default set ± CapAdd/CapDrop (moby oci/caps TweakCapabilities), or every
// capability with Privileged; then cut to what the engine itself holds (see heldCapabilities).
import fs from 'node:fs';
import { badParameter } from '../errors.js';

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;

/** Every capability the shim knows, in kernel order (CAP_CHOWN = 0 …). */
export const ALL_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

function normalize(list: readonly string[] | null | undefined): string[] {
  const out: string[] = [];
  for (const raw of list ?? []) {
    const c = raw.trim().toUpperCase();
    if (c === 'ALL') {
      out.push('ALL');
      continue;
    }
    const name = c.startsWith('CAP_') ? c : `CAP_${c}`;
    if (!ALL_CAPABILITIES.includes(name)) throw badParameter(`unknown capability: "${name}"`);
    out.push(name);
  }
  return out;
}

export function containerCapabilities(capAdd?: string[] | null, capDrop?: string[] | null): string[] {
  const add = normalize(capAdd);
  const drop = normalize(capDrop);
  let caps: string[];
  if (add.includes('ALL')) caps = [...ALL_CAPABILITIES];
  else if (drop.includes('ALL')) caps = [];
  else caps = [...DEFAULT_CAPABILITIES];
  if (!add.includes('ALL')) for (const c of add) if (!caps.includes(c)) caps.push(c);
  if (!drop.includes('ALL')) caps = caps.filter((c) => !drop.includes(c) || add.includes(c));
  return caps;
}

/**
 * The capabilities this process holds (effective ∩ bounding set, from /proc/self/status). The shim runs
 * with the same set, and capset cannot grant a capability outside it: runc fails the start then; Berth
 * grants the rest and says which were left out, as Podman does.
 */
export function heldCapabilities(status = readStatus()): Set<string> {
  const mask = (key: string): bigint => {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return m ? BigInt(`0x${m[1]}`) : 0n;
  };
  const held = mask('CapEff') & mask('CapBnd');
  return new Set(ALL_CAPABILITIES.filter((_, i) => (held >> BigInt(i)) & 1n));
}

let cachedStatus: string | undefined;
function readStatus(): string {
  cachedStatus ??= fs.readFileSync('/proc/self/status', 'utf8');
  return cachedStatus;
}

export interface ResolvedCapabilities {
  /** Granted to the container's processes (and its execs). */
  caps: string[];
  /** Asked for (directly, through ALL or Privileged) but not held by the engine, so not granted. */
  leftOut: string[];
}

export function resolveCapabilities(
  h: { CapAdd?: string[] | null; CapDrop?: string[] | null; Privileged?: boolean | null },
  held: Set<string> = heldCapabilities(),
): ResolvedCapabilities {
  // Privileged: every capability, whatever CapAdd/CapDrop say (moby's WithCapabilities).
  const wanted = h.Privileged ? [...ALL_CAPABILITIES] : containerCapabilities(h.CapAdd, h.CapDrop);
  return { caps: wanted.filter((c) => held.has(c)), leftOut: wanted.filter((c) => !held.has(c)) };
}

/** The create response's warning for capabilities the engine could not grant. */
export function leftOutWarning(leftOut: string[]): string[] {
  if (!leftOut.length) return [];
  return [`Capabilities not held by the engine were left out: ${leftOut.join(', ')} (the engine's bounding set lacks them)`];
}
