// Exec instances: create (validated, recorded in memory), start (berth-shim in exec mode, see
// docs/runtime.md "Exec mode"), resize, inspect. The shim waits for the first attach before it execs,
// so no output is lost; the attach also carries the exit code. Exit files live in $BERTH_RUN.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import type { ContainerRecord } from '../containers/record.js';
import { shimRunDir } from '../containers/spec.js';
import type { ExecCreateOptions, ExecInspect, ExecStartOptions } from '../engine/types.js';
import { badParameter, conflict, EngineError, internal, noSuchExec } from '../errors.js';
import { attachShim, ShimStartError, spawnExecShim, type ShimAttachment } from '../native/index.js';
import { randomId } from '../util/ids.js';
import { execProcess } from './process.js';
import { attachmentStream, resizeOnce } from '../native/attach-stream.js';
import { securitySettings, shimSeccomp } from '../containers/security-opt.js';

const ExecCreateSchema = z.looseObject({
  Cmd: z.array(z.string()).min(1, 'No exec command specified'),
  Env: z.array(z.string()).nullish(),
  User: z.string().nullish(),
  WorkingDir: z.string().nullish(),
  Tty: z.boolean().nullish(),
  AttachStdin: z.boolean().nullish(),
  AttachStdout: z.boolean().nullish(),
  AttachStderr: z.boolean().nullish(),
  Privileged: z.boolean().nullish(),
  DetachKeys: z.string().nullish(),
  ConsoleSize: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).nullish(),
});

export interface ExecDeps {
  run: string;
  /** The container record, by id or name (throws 404). */
  container(idOrName: string): ContainerRecord;
  cgroupPaths(id: string): string[];
  emit(rec: ContainerRecord, action: string, extra?: Record<string, string>): void;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  opts: ExecCreateOptions;
  started: boolean;
  running: boolean;
  exitCode: number | null;
  pid: number;
  shimPid: number;
  finishedAt?: number;
  finishing?: boolean;
  sock?: string;
  /** The attachment that tracks the exit (the caller's stream, or an internal one). */
  attachment?: ShimAttachment;
  exited: Promise<number>;
  resolveExit: (code: number) => void;
}

const KEEP_EXITED_MS = 5 * 60_000;

/** Docker's errors for exec into a container that cannot take one. */
export function assertExecutable(rec: ContainerRecord): void {
  if (rec.state.status === 'paused') throw conflict(`Container ${rec.cfg.id} is paused, unpause the container before exec`);
  if (rec.state.status !== 'running') throw conflict(`Container ${rec.cfg.id} is not running`);
}

export class ExecManager {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly d: ExecDeps) {}

  get(id: string): ExecRecord {
    const r = this.execs.get(id);
    if (!r) throw noSuchExec(id);
    return r;
  }

  /** Exec IDs of a container, for inspect's ExecIDs (null when there are none, as Docker). */
  idsOf(containerId: string): string[] | null {
    const ids = [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
    return ids.length ? ids : null;
  }

  create(containerIdOrName: string, body: ExecCreateOptions): string {
    const parsed = ExecCreateSchema.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw badParameter(i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message);
    }
    const rec = this.d.container(containerIdOrName);
    assertExecutable(rec);
    this.gc();
    const id = randomId();
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    this.execs.set(id, { id, containerId: rec.cfg.id, opts: { ...body }, started: false, running: false, exitCode: null, pid: 0, shimPid: 0, exited, resolveExit });
    this.d.emit(rec, `exec_create: ${body.Cmd.join(' ')}`, { execID: id });
    return id;
  }

  /**
   * Starts the process. Detach: resolves once it runs (the returned stream is already ended).
   * Otherwise the stream carries its output (mux-framed unless Tty) and takes stdin.
   */
  async start(id: string, opts: ExecStartOptions = {}): Promise<Duplex> {
    const x = this.get(id);
    if (x.running) throw conflict(`Error: Exec command ${id} is already running`);
    if (x.started) throw conflict(`Error: Exec command ${id} has already run`);
    const rec = this.d.container(x.containerId);
    assertExecutable(rec);
    x.started = true;
    const o = x.opts;
    const runDir = shimRunDir(this.d.run, rec.cfg.id);
    const short = id.slice(0, 12);
    const sock = path.join(runDir, `x-${short}.sock`);
    const exitFile = path.join(runDir, `x-${short}.exit.json`);
    const configFile = path.join(runDir, `x-${short}.json`);
    const size = opts.ConsoleSize ?? o.ConsoleSize;
    const proc = await execProcess(rec, o);
    const cfg = {
      pid: rec.state.pid,
      // cgroup: on v2 the container has its own cgroup namespace (containers/cgroup-mount.ts).
      namespaces: [...(rec.cfg.userns ? ['user'] : []), 'ipc', 'uts', 'net', 'cgroup', 'pid', 'mnt'],
      cgroups: this.d.cgroupPaths(rec.cfg.id),
      process: proc,
      attachSocket: sock,
      exitFile,
      waitForAttach: true,
      // The container's seccomp setting, opened for the exec's capabilities: with Privileged (moby's
      // execSetPlatformOpt) those are all, and the filter stays on, as under dockerd (runc exec keeps the
      // container's filter; checked against dockerd 20.10: Seccomp 2 in `docker exec --privileged`).
      ...shimSeccomp(securitySettings(rec.cfg.hostConfig.SecurityOpt, rec.cfg.hostConfig.Privileged), proc.capabilities),
      ...(o.Tty && size && size[0] > 0 && size[1] > 0 ? { consoleSize: size } : {}),
    };
    let started;
    try {
      await fsp.mkdir(runDir, { recursive: true, mode: 0o700 });
      await fsp.writeFile(configFile, JSON.stringify(cfg), { mode: 0o600 });
      started = await spawnExecShim(configFile);
    } catch (e) {
      x.running = false;
      x.exitCode = 126;
      x.resolveExit(126);
      await fsp.rm(configFile, { force: true });
      if (e instanceof EngineError) throw e;
      if (e instanceof ShimStartError) {
        const code = e.stage === 'exec' && e.errno === 3 ? 409 : e.errno === 2 || e.stage === 'cwd' || e.stage === 'user' ? 400 : 500;
        throw new EngineError(code, code === 409 ? `Container ${rec.cfg.id} is not running` : `OCI runtime exec failed: ${e.message}`, { cause: e });
      }
      throw internal(`exec ${id.slice(0, 12)}: ${(e as Error).message}`, e);
    }
    await fsp.rm(configFile, { force: true });
    Object.assign(x, { running: true, pid: started.pid, shimPid: started.shimPid, sock });
    this.d.emit(rec, `exec_start: ${o.Cmd.join(' ')}`, { execID: id });
    const finish = (code: number): void => void this.finished(x, rec, code, exitFile);
    const detach = opts.Detach === true;
    const a = await attachShim(sock, {
      stdin: !detach && !!o.AttachStdin,
      stdout: !detach && o.AttachStdout !== false,
      stderr: !detach && o.AttachStderr !== false,
    });
    x.attachment = a;
    a.on('exit', finish);
    a.on('close', () => {
      if (x.running) void this.trackAfterDetach(x, finish);
    });
    const stream = attachmentStream(a, { tty: !!o.Tty });
    if (detach) stream.resume();
    return stream;
  }

  /** The caller detached before the exit: follow it with an output-less client, or the exit file. */
  private async trackAfterDetach(x: ExecRecord, finish: (code: number) => void): Promise<void> {
    try {
      const a = await attachShim(x.sock!, { stdin: false, stdout: false, stderr: false });
      x.attachment = a;
      a.on('exit', finish);
      a.on('close', () => {
        if (x.running) finish(-1);
      });
    } catch {
      finish(-1); // the shim is gone: the exit file says how it ended
    }
  }

  private async finished(x: ExecRecord, rec: ContainerRecord, code: number, exitFile: string): Promise<void> {
    if (!x.running || x.finishing) return;
    x.finishing = true;
    let exitCode = code;
    try {
      const f = JSON.parse(await fsp.readFile(exitFile, 'utf8')) as { exitCode: number };
      exitCode = f.exitCode;
    } catch {
      if (exitCode < 0) exitCode = 126;
    }
    await fsp.rm(exitFile, { force: true });
    // Running and ExitCode change together, so inspect never shows "not running, no exit code".
    x.exitCode = exitCode;
    x.running = false;
    x.finishedAt = Date.now();
    this.d.emit(rec, 'exec_die', { execID: x.id, exitCode: String(exitCode) });
    x.resolveExit(exitCode);
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    const x = this.get(id);
    if (!x.running || !x.sock) throw conflict(`Exec ${id} is not running`);
    if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) throw badParameter('resize: h and w must be positive integers');
    // On the caller's own connection when there is one, so the resize is ordered with its input.
    if (x.attachment && !x.attachment.socket.destroyed) {
      x.attachment.resize(h, w);
      return;
    }
    await resizeOnce(x.sock, h, w);
  }

  inspect(id: string): ExecInspect {
    const x = this.get(id);
    const o = x.opts;
    return {
      ID: x.id,
      Running: x.running,
      ExitCode: x.exitCode,
      ProcessConfig: { tty: !!o.Tty, entrypoint: o.Cmd[0]!, arguments: o.Cmd.slice(1), privileged: !!o.Privileged, user: o.User ?? '' } as ExecInspect['ProcessConfig'],
      OpenStdin: !!o.AttachStdin,
      OpenStderr: !!o.AttachStderr,
      OpenStdout: !!o.AttachStdout,
      CanRemove: false,
      ContainerID: x.containerId,
      DetachKeys: o.DetachKeys ?? '',
      Pid: x.pid,
    };
  }

  /** Kills a running exec (health check timeout): SIGKILL to its process. */
  kill(id: string): void {
    const x = this.execs.get(id);
    if (!x?.running || !x.pid) return;
    try {
      process.kill(x.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  /** The container exited: its exec processes died with its pid namespace. */
  containerExited(containerId: string): void {
    for (const x of this.execs.values()) {
      if (x.containerId === containerId && x.running) x.attachment?.close();
    }
  }

  forget(id: string): void {
    this.execs.delete(id);
  }

  /** Drops exited execs after a while, as dockerd's exec store does. */
  private gc(): void {
    const now = Date.now();
    for (const [id, x] of this.execs) if (x.finishedAt && now - x.finishedAt > KEEP_EXITED_MS) this.execs.delete(id);
  }
}
