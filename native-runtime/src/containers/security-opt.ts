// HostConfig.SecurityOpt, parsed as moby's parseSecurityOpt does (daemon/daemon_unix.go), plus what
// Privileged implies. Berth's process-level settings come out of it: seccomp on or off, no_new_privs.
import { badParameter } from '../errors.js';
import { compileSeccompProfile, flatFilter, parseSeccompProfile, type SeccompProfile } from './seccomp-profile.js';

export interface SecuritySettings {
  /**
   * The default filter (seccomp.cc, Docker's default profile with its capability rules), none, or a
   * custom profile (`profile`, compiled by seccomp-profile.ts).
   */
  seccomp: 'default' | 'unconfined' | 'custom';
  profile?: SeccompProfile;
  noNewPrivileges: boolean;
  /** `writable-cgroups=true`: /sys/fs/cgroup is mounted read-write. */
  writableCgroups: boolean;
  /** Accepted options that Berth cannot apply (AppArmor, SELinux labels). */
  warnings: string[];
}

// Go's strconv.ParseBool.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseBool(opt: string, v: string): boolean {
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw badParameter(`invalid --security-opt 2: "${opt}"`);
}

/**
 * Berth keeps no_new_privs on unless `no-new-privileges=false` says otherwise (dockerd's default is off;
 * Berth's design is stricter). Privileged turns seccomp off, as dockerd does, whatever seccomp= says.
 */
export function securitySettings(opts: readonly string[] | null | undefined, privileged = false): SecuritySettings {
  const s: SecuritySettings = { seccomp: 'default', noNewPrivileges: true, writableCgroups: false, warnings: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      s.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      s.warnings.push('SELinux is not supported by Berth: security option "disable" has no effect');
      continue;
    }
    // `key:value` is the pre-17.04 spelling dockerd still accepts.
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw badParameter(`invalid --security-opt 1: "${opt}"`);
    const i = opt.indexOf(sep);
    const k = opt.slice(0, i);
    const v = opt.slice(i + 1);
    switch (k) {
      case 'seccomp':
        if (v === 'unconfined') s.seccomp = 'unconfined';
        else if (v === '' || v === 'builtin') s.seccomp = 'default';
        else {
          // The docker CLI sends the profile file's JSON here (it reads the file itself).
          s.seccomp = 'custom';
          s.profile = parseSeccompProfile(v);
        }
        break;
      case 'no-new-privileges':
        s.noNewPrivileges = parseBool(opt, v);
        break;
      case 'writable-cgroups':
        s.writableCgroups = parseBool(opt, v);
        break;
      case 'apparmor':
        s.warnings.push(`AppArmor is not supported by Berth: security option "${opt}" has no effect`);
        break;
      case 'label':
        s.warnings.push(`SELinux is not supported by Berth: security option "${opt}" has no effect`);
        break;
      default:
        throw badParameter(`invalid --security-opt 2: "${opt}"`);
    }
  }
  if (privileged) {
    s.seccomp = 'unconfined';
    delete s.profile;
  }
  return s;
}

/** The shim's seccomp fields: the built-in filter, none, or a custom profile compiled for `caps`. */
export function shimSeccomp(s: SecuritySettings, caps: readonly string[]): { seccomp: boolean; seccompFilter?: number[] } {
  if (s.seccomp === 'custom' && s.profile) return { seccomp: true, seccompFilter: flatFilter(compileSeccompProfile(s.profile, caps)) };
  return { seccomp: s.seccomp === 'default' };
}
