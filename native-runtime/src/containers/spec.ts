// Builds shim.json (docs/runtime.md, "Shim protocol") for a container about to start.
import path from 'node:path';
import type { ExecProcess } from '../exec/process.js';
import type { OverlayMounts } from '../snapshots/types.js';
import { containerCapabilities } from './capabilities.js';
import { MASKED_PATHS, READONLY_PATHS, DEFAULT_SHM_SIZE, mergeEnv, netNamespace } from './config-merge.js';
import type { EtcFiles } from './etc-files.js';
import type { ContainerConfigFile } from './record.js';
import { layerDirs, readRootfsFile } from './rootfs-files.js';
import { resolveUlimits, type Rlimit } from './ulimits.js';
import { parseRamSize } from './units.js';
import { resolveUser } from './user.js';
import type { ShimPort, StartNetwork } from '../networks/index.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ShimMount {
  source: string;
  destination: string;
  type: string;
  options: string[];
}

export interface ShimSpec {
  id: string;
  /** `volatile`: overlay's option that skips every sync of the upper dir (AutoRemove containers). */
  overlay: OverlayMounts & { volatile?: boolean };
  rootfsPropagation: string;
  readonlyRootfs: boolean;
  /** The exec spec's process (exec/process.ts), plus a tini-like init with `--init`. */
  process: ExecProcess & { init: boolean };
  hostname: string;
  namespaces: { net: 'new' | 'host' };
  cgroups: string[];
  mounts: ShimMount[];
  shmSize: number;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp: boolean;
  log: { path: string; maxSize: number; maxFiles: number };
  exitFile: string;
  pidFile: string;
  /** The shim serves attach/resize here (docs/runtime.md, "Attach protocol"). */
  attachSocket?: string;
  /** The process execs once the first attach client has connected (attachments made before the start). */
  waitForAttach?: boolean;
  consoleSize?: [number, number];
  /** Published ports and the container's veth (docs/runtime.md; src/networks). */
  ports?: ShimPort[];
  network?: StartNetwork['network'];
}

export interface SpecInputs {
  cfg: ContainerConfigFile;
  overlay: OverlayMounts;
  etc: EtcFiles;
  cgroupPaths: string[];
  logPath: string;
  exitFile: string;
  pidFile: string;
  attachSocket?: string;
  /** Volume, bind and tmpfs mounts (src/volumes), after the /etc files. */
  mounts?: ShimMount[];
  /** The network part of the start (src/networks): namespace, veth, ports. */
  net?: StartNetwork;
}

export function logRotation(cfg: ContainerConfigFile): { maxSize: number; maxFiles: number } {
  const c = cfg.hostConfig.LogConfig?.Config ?? {};
  const maxSize = c['max-size'] ? parseRamSize(c['max-size']) : 0;
  const maxFiles = c['max-file'] ? Number(c['max-file']) : 1;
  return { maxSize, maxFiles };
}

export async function buildShimSpec(inp: SpecInputs): Promise<ShimSpec> {
  const { cfg } = inp;
  const c = cfg.config;
  const h = cfg.hostConfig;
  const layers = layerDirs(inp.overlay);
  const user = resolveUser(c.User, await readRootfsFile(layers, '/etc/passwd'), await readRootfsFile(layers, '/etc/group'), h.GroupAdd ?? []);
  // Daemon-provided variables first, then the container's own (moby's CreateDaemonEnvironment).
  let env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${c.Hostname}`];
  if (c.Tty) env.push('TERM=xterm');
  env = mergeEnv(env, c.Env ?? []);
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  const mounts: ShimMount[] = [
    { source: inp.etc.resolvConf, destination: '/etc/resolv.conf', type: 'bind', options: ['rbind', 'rprivate'] },
    { source: inp.etc.hostname, destination: '/etc/hostname', type: 'bind', options: ['rbind', 'rprivate'] },
    { source: inp.etc.hosts, destination: '/etc/hosts', type: 'bind', options: ['rbind', 'rprivate'] },
    ...(inp.mounts ?? []),
  ];
  return {
    id: cfg.id,
    overlay: volatileOverlay(inp.overlay, h.AutoRemove),
    rootfsPropagation: 'private',
    readonlyRootfs: h.ReadonlyRootfs,
    process: {
      args: [cfg.path, ...cfg.args],
      env,
      cwd: c.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      terminal: c.Tty,
      openStdin: c.OpenStdin,
      stdinOnce: c.StdinOnce,
      noNewPrivileges: true,
      capabilities: containerCapabilities(h.CapAdd, h.CapDrop),
      rlimits: resolveUlimits(h.Ulimits),
      init: h.Init === true,
    },
    hostname: c.Hostname,
    namespaces: { net: inp.net?.namespace ?? netNamespace(h.NetworkMode) },
    cgroups: inp.cgroupPaths,
    mounts,
    shmSize: h.ShmSize || DEFAULT_SHM_SIZE,
    maskedPaths: MASKED_PATHS,
    readonlyPaths: READONLY_PATHS,
    seccomp: true,
    log: { path: inp.logPath, ...logRotation(cfg) },
    exitFile: inp.exitFile,
    pidFile: inp.pidFile,
    ...(inp.attachSocket ? { attachSocket: inp.attachSocket } : {}),
    ...(inp.net?.ports.length ? { ports: inp.net.ports } : {}),
    ...(inp.net?.network ? { network: inp.net.network } : {}),
    ...(c.Tty && h.ConsoleSize && h.ConsoleSize[0] > 0 && h.ConsoleSize[1] > 0 ? { consoleSize: [h.ConsoleSize[0], h.ConsoleSize[1]] as [number, number] } : {}),
  };
}

/** The attach socket of a container's shim: `$BERTH_RUN/<12-char id>/attach.sock`. */
export function attachSocketPath(run: string, id: string): string {
  return path.join(shimRunDir(run, id), 'attach.sock');
}

export function shimRunDir(run: string, id: string): string {
  return path.join(run, id.slice(0, 12));
}

/**
 * An AutoRemove container's upper dir is thrown away at exit, so it is mounted `volatile`, as Podman
 * mounts `--rm` containers: the kernel then skips the sync of the whole upper filesystem at unmount
 * (2-4 ms on every exit here) and fsyncs inside the container. The shim clears overlay's
 * "mounted volatile before" marker first (see overlay.cc).
 */
export function volatileOverlay(o: OverlayMounts, autoRemove: boolean | undefined): OverlayMounts & { volatile?: boolean } {
  return autoRemove && o.upper && o.work ? { ...o, volatile: true } : o;
}
