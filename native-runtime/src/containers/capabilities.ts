// Capabilities: Docker's default set ± CapAdd/CapDrop (moby oci/caps TweakCapabilities).
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
