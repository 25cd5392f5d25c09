// HostConfig.Sysctls → the shim's "sysctls" ("key=value", written under the container's /proc/sys before
// it turns read-only). Only sysctls of a namespace the container owns are allowed, as runc's validator:
// the ipc ones and fs.mqueue.* (Berth always makes an ipc namespace), net.* unless the network is the
// host's, and the uts ones (kernel.hostname/domainname). The texts are runc's.
import { badParameter } from '../errors.js';

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const UTS_SYSCTLS = new Set(['kernel.domainname', 'kernel.hostname']);
/** Dotted names only: each part becomes a path component under /proc/sys, so nothing may climb out. */
const KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_:@+-]+)+$/;

export function shimSysctls(sysctls: Record<string, string>, net: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(sysctls)) {
    if (!KEY.test(key)) throw badParameter(`invalid sysctl name ${JSON.stringify(key)}`);
    if (value.includes('\n') || value.includes('\0')) throw badParameter(`invalid value for sysctl "${key}"`);
    if (key.startsWith('net.')) {
      if (net === 'host') throw badParameter(`sysctl "${key}" not allowed in host network namespace`);
    } else if (!IPC_SYSCTLS.has(key) && !key.startsWith('fs.mqueue.') && !UTS_SYSCTLS.has(key)) {
      throw badParameter(`sysctl "${key}" is not in a separate kernel namespace`);
    }
    out.push(`${key}=${value}`);
  }
  return out;
}
