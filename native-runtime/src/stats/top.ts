// Container top, as dockerd does it (daemon/top_unix.go): run the host's `ps` with ps_args (default
// "-ef"), find the PID column, keep the rows whose pid is in the container's cgroup. The last column
// takes the rest of the line (CMD has spaces).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ContainerTop } from '../engine/types.js';
import { badParameter, internal } from '../errors.js';

const run = promisify(execFile);

export function parsePs(output: string, pids: Set<number>): ContainerTop {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw internal(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/).filter(Boolean);
    if (f.length === 0) continue;
    const pid = Number(f[pidIndex]);
    if (!pids.has(pid)) continue;
    processes.push(f.length > titles.length ? [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')] : f);
  }
  return { Titles: titles, Processes: processes };
}

export async function top(pids: number[], psArgs = '-ef'): Promise<ContainerTop> {
  const args = psArgs.trim() ? psArgs.trim().split(/\s+/) : ['-ef'];
  // dockerd refuses args that drop the other users' processes from the listing's logic the same way:
  // anything is allowed, but the PID column must be there.
  let out: string;
  try {
    out = (await run('ps', args, { maxBuffer: 64 << 20 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw badParameter(`Error running ps: ${(err.stderr || err.message).trim()}`);
  }
  return parsePs(out, new Set(pids));
}
