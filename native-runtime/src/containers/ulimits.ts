// HostConfig.Ulimits → shim rlimits. The server has no CAP_SYS_RESOURCE, so a hard limit above the
// current one would fail inside the shim; refuse it here with a clear 400 instead.
import * as fs from 'node:fs';
import { badParameter } from '../errors.js';
import type { Ulimit } from '../engine/types.js';

export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

const NAMES: Record<string, [rlimit: string, procLabel: string]> = {
  core: ['RLIMIT_CORE', 'Max core file size'],
  cpu: ['RLIMIT_CPU', 'Max cpu time'],
  data: ['RLIMIT_DATA', 'Max data size'],
  fsize: ['RLIMIT_FSIZE', 'Max file size'],
  locks: ['RLIMIT_LOCKS', 'Max file locks'],
  memlock: ['RLIMIT_MEMLOCK', 'Max locked memory'],
  msgqueue: ['RLIMIT_MSGQUEUE', 'Max msgqueue size'],
  nice: ['RLIMIT_NICE', 'Max nice priority'],
  nofile: ['RLIMIT_NOFILE', 'Max open files'],
  nproc: ['RLIMIT_NPROC', 'Max processes'],
  rss: ['RLIMIT_RSS', 'Max resident set'],
  rtprio: ['RLIMIT_RTPRIO', 'Max realtime priority'],
  rttime: ['RLIMIT_RTTIME', 'Max realtime timeout'],
  sigpending: ['RLIMIT_SIGPENDING', 'Max pending signals'],
  stack: ['RLIMIT_STACK', 'Max stack size'],
  as: ['RLIMIT_AS', 'Max address space'],
};

/** Current hard limit of this process for a /proc/self/limits label; Infinity for "unlimited". */
function currentHard(label: string): number {
  const text = fs.readFileSync('/proc/self/limits', 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(label));
  if (!line) return Infinity;
  const cols = line.slice(label.length).trim().split(/\s+/);
  return cols[1] === 'unlimited' ? Infinity : Number(cols[1]);
}

export function resolveUlimits(list: Ulimit[] | null | undefined): Rlimit[] {
  const out: Rlimit[] = [];
  for (const u of list ?? []) {
    const entry = NAMES[u.Name.toLowerCase()];
    if (!entry) throw badParameter(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw badParameter(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    const max = currentHard(entry[1]);
    const hard = u.Hard < 0 ? max : u.Hard;
    const soft = u.Soft < 0 ? hard : u.Soft;
    if (hard > max) {
      throw badParameter(`ulimit ${u.Name}: hard limit ${u.Hard} is above the current hard limit ${max}; Berth cannot raise it`);
    }
    // Unlimited is RLIM_INFINITY; JSON cannot carry it as a number past 2^53, so use the largest exact value.
    const cap = (n: number) => (Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER);
    out.push({ type: entry[0], soft: cap(soft), hard: cap(hard) });
  }
  return out;
}
