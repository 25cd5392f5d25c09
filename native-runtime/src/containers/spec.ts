// Builds shim.json (docs/runtime.md, "Shim protocol") for a container about to start.
import path from 'node:path';
import type { OverlayMounts } from '../snapshots/types.js';
import { resolveCapabilities } from './capabilities.js';
import { DeviceError, resolveDevices, type DeviceNode } from './devices.js';
import { internal } from '../errors.js';
import { cgroupMount, type CgroupMount } from './cgroup-mount.js';
import { MASKED_PATHS, READONLY_PATHS, DEFAULT_SHM_SIZE, mergeEnv, netNamespace } from './config-merge.js';
import type { EtcFiles } from '../networks/etc-files.js';
import type { ContainerConfigFile } from './record.js';
import { layerDirs, readRootfsFile } from './rootfs-files.js';
import { resolveUlimits } from './ulimits.js';
import { parseRamSize } from './units.js';
import type { ProcessSpec } from './process-spec.js';
import { resolveUser } from './user.js';
import { securitySettings, shimSeccomp } from './security-opt.js';
import type { ShimPort, StartNetwork } from '../networks/index.js';
import { shimUserns, type ShimUserns } from '../userns/index.js';
import { shimSysctls } from './sysctls.js';
import { hostNamespaces } from './host-namespaces.js';

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
  overlay?: OverlayMounts & { volatile?: boolean };
  /** btrfs/vfs: the rootfs is this directory, bound (containerd's Mount); `overlay` is then absent. */
  rootfs?: { type: 'bind'; source: string; options: string[] };
  rootfsPropagation: string;
  readonlyRootfs: boolean;
  /** The exec spec's process (exec/process.ts), plus a tini-like init with `--init`. */
  process: ProcessSpec & { init: boolean };
  hostname: string;
  /** uts/ipc "host": Docker's --uts host / --ipc host (no new namespace; the host's /dev/shm). */
  namespaces: { net: 'new' | 'host'; uts?: 'host'; ipc?: 'host' };
  cgroups: string[];
  mounts: ShimMount[];
  shmSize: number;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** HostConfig.Sysctls as "key=value" (containers/sysctls.ts), written before /proc/sys turns read-only. */
  sysctls?: string[];
  seccomp: boolean;
  /** A custom profile's compiled filter (seccomp-profile.ts), installed instead of the built-in one. */
  seccompFilter?: number[];
  /** --privileged for the filesystem: the host's device nodes in /dev and a writable /sys. */
  privileged: boolean;
  /** The container's own cgroup tree at /sys/fs/cgroup. */
  cgroupMount?: CgroupMount;
  /** --device: nodes made in the container (native/shim/rootfs.cc); the devices cgroup allows them. */
  devices?: DeviceNode[];
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
  /** The embedded DNS server in the shim (user-defined networks; native/shim/dns.h). */
  dns?: StartNetwork['dns'];
  /** A user namespace with these maps; the rootfs then arrives through idmapped mounts (native/shim/userns.h). */
  userns?: ShimUserns;
}

export interface SpecInputs {
  cfg: ContainerConfigFile;
  overlay: OverlayMounts;
  etc: EtcFiles;
  cgroupPaths: string[];
  /** The cgroup driver in use; with it, /sys/fs/cgroup shows the container's groups. */
  cgroupDriver?: { version: 1 | 2; parent: string };
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
  const sec = securitySettings(h.SecurityOpt, h.Privileged);
  // Resolved at each start, as dockerd: the host's node numbers are read now (a 500 if one is gone).
  let devices: DeviceNode[];
  try {
    devices = resolveDevices(h.Devices, h.DeviceCgroupRules).nodes;
  } catch (e) {
    throw e instanceof DeviceError ? internal(e.message, e) : e;
  }
  const caps = resolveCapabilities(h).caps;
  const mounts: ShimMount[] = [
    { source: inp.etc.resolvConf, destination: '/etc/resolv.conf', type: 'bind', options: ['rbind', 'rprivate'] },
    { source: inp.etc.hostname, destination: '/etc/hostname', type: 'bind', options: ['rbind', 'rprivate'] },
    { source: inp.etc.hosts, destination: '/etc/hosts', type: 'bind', options: ['rbind', 'rprivate'] },
    ...(inp.mounts ?? []),
  ];
  return {
    id: cfg.id,
    ...(inp.overlay.rootfs
      ? { rootfs: { type: 'bind' as const, source: inp.overlay.rootfs, options: ['rbind'] } }
      : { overlay: volatileOverlay(inp.overlay, h.AutoRemove) }),
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
      noNewPrivileges: sec.noNewPrivileges,
      capabilities: caps,
      rlimits: resolveUlimits(h.Ulimits),
      init: h.Init === true,
    },
    hostname: h.UTSMode === 'host' ? '' : c.Hostname,
    namespaces: { net: inp.net?.namespace ?? netNamespace(h.NetworkMode), ...hostNamespaces(h, !!cfg.userns) },
    cgroups: inp.cgroupPaths,
    mounts,
    shmSize: h.ShmSize || DEFAULT_SHM_SIZE,
    // Privileged: nothing masked or read-only in /proc and /sys (moby's WithMaskedPaths/WithReadonlyPaths).
    maskedPaths: h.Privileged ? [] : (h.MaskedPaths ?? MASKED_PATHS),
    readonlyPaths: h.Privileged ? [] : (h.ReadonlyPaths ?? READONLY_PATHS),
    ...(h.Sysctls && Object.keys(h.Sysctls).length ? { sysctls: shimSysctls(h.Sysctls, inp.net?.namespace ?? netNamespace(h.NetworkMode)) } : {}),
    ...shimSeccomp(sec, caps),
    privileged: h.Privileged === true,
    ...(devices.length ? { devices } : {}),
    ...(inp.cgroupDriver
      ? { cgroupMount: cgroupMount(inp.cgroupDriver, cfg.id, inp.cgroupPaths, !(h.Privileged || sec.writableCgroups)) }
      : {}),
    log: { path: inp.logPath, ...logRotation(cfg) },
    exitFile: inp.exitFile,
    pidFile: inp.pidFile,
    ...(inp.attachSocket ? { attachSocket: inp.attachSocket } : {}),
    ...(inp.net?.ports.length ? { ports: inp.net.ports } : {}),
    ...(inp.net?.network ? { network: inp.net.network } : {}),
    ...(inp.net?.dns ? { dns: inp.net.dns } : {}),
    ...(cfg.userns ? { userns: shimUserns(cfg.userns, !!cfg.usernsLowers) } : {}),
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
