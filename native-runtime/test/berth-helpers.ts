// Shared set-up for the Berth facade tests: a temp root under /var/tmp (on disk, so blkio limits
// apply), a unique cgroup parent, and a cleanup that leaves nothing behind.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Berth } from '../src/index.ts';
import type { ContainerCreateBody } from '../src/engine/types.ts';
import { demux } from '../src/logs/format.ts';
import { detectCgroups } from '../src/cgroups/detect.ts';

export interface TestEnv {
  root: string;
  run: string;
  cgroupParent: string;
  berth: Berth;
  open(opts?: { readOnly?: boolean }): Berth;
  cleanup(): Promise<void>;
}

export function makeEnv(tag: string): TestEnv {
  const root = fs.mkdtempSync('/var/tmp/berth-t-');
  const run = path.join(root, 'run');
  const cgroupParent = `berth-test-${tag}-${randomBytes(3).toString('hex')}`;
  const opened: Berth[] = [];
  const open = (opts: { readOnly?: boolean } = {}) => {
    const b = new Berth({ root, run, cgroupParent, ...opts });
    opened.push(b);
    return b;
  };
  const berth = open();
  return {
    root,
    run,
    cgroupParent,
    berth,
    open,
    async cleanup() {
      const b = new Berth({ root, run, cgroupParent });
      for (const x of opened) await x.close().catch(() => {});
      try {
        for (const c of await b.listContainers({ all: true })) await b.getContainer(c.Id).remove({ force: true }).catch(() => {});
      } catch {
        /* the root may be locked by a killed child; the kernel released it */
      }
      await b.close();
      removeCgroupParent(cgroupParent);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function removeCgroupParent(parent: string): void {
  const layout = detectCgroups();
  for (const mount of new Set([...Object.values(layout.v1), ...(layout.v1Systemd ? [layout.v1Systemd] : [])])) {
    const dir = path.join(mount!, parent);
    if (!fs.existsSync(dir)) continue;
    for (const child of fs.readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) fs.rmdirSync(path.join(dir, child.name), {});
    fs.rmdirSync(dir);
  }
}

export interface RunResult {
  id: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** create + start + wait + logs; the container is removed afterwards unless keep. */
export async function runToExit(b: Berth, body: Partial<ContainerCreateBody>, opts: { keep?: boolean } = {}): Promise<RunResult> {
  const c = await b.createContainer({ Image: 'busybox', ...body } as ContainerCreateBody);
  const waited = c.wait({ condition: 'next-exit' });
  await c.start();
  const { StatusCode } = await waited;
  const logs = (await c.logs({ stdout: true, stderr: true })) as Buffer;
  const d = demux(logs);
  if (!opts.keep) await c.remove({ force: true });
  return { id: c.id, code: StatusCode, stdout: d.stdout.toString(), stderr: d.stderr.toString() };
}

export async function sh(b: Berth, script: string, body: Partial<ContainerCreateBody> = {}): Promise<RunResult> {
  return runToExit(b, { Cmd: ['sh', '-c', script], ...body });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Collects newline-delimited JSON from a stream until it ends. */
export async function collectJson<T = Record<string, unknown>>(s: NodeJS.ReadableStream): Promise<T[]> {
  let text = '';
  for await (const chunk of s) text += chunk.toString();
  return text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** Host path of a v1 controller's group for a pid, from /proc/<pid>/cgroup. */
export function cgroupDirOf(pid: number, controller: string): string {
  const layout = detectCgroups();
  const mount = (layout.v1 as Record<string, string | undefined>)[controller];
  if (!mount) throw new Error(`controller ${controller} is not mounted`);
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, ctrls, p] = line.split(':');
    if (ctrls?.split(',').includes(controller)) return path.join(mount, p!);
  }
  throw new Error(`pid ${pid} has no ${controller} cgroup`);
}
