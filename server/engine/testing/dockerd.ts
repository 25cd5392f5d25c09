// A real dockerd for tests, inside its own loopback-only network namespace: `unshare --net`, lo up,
// no bridge, no iptables, containers with --network none. It can reach nothing beyond itself, so its
// registry lookups fail at once instead of leaving the machine. The busybox image is imported from
// the host's static busybox; nothing is pulled.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Engine } from '@berth/runtime/engine';
import { createDockerodeEngine } from '../dockerode-engine.ts';

export interface TestDockerd {
  socket: string;
  engine: Engine;
  stop(): Promise<void>;
}

/** Installs docker.io as root when it is missing; otherwise fails with the reason (never skips). */
export function ensureDockerd(): void {
  if (fs.existsSync('/usr/sbin/dockerd')) return;
  if (process.getuid?.() !== 0) throw new Error("Debian's docker.io is not installed and this is not root: apt-get install -y docker.io");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // The package would start a system dockerd (default bridge, iptables, 172.17/16) on a systemd host:
  // policy-rc.d forbids starting services during the install.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  let r;
  try {
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], { stdio: 'inherit', env });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], { stdio: 'inherit', env });
    }
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
  if (r.status !== 0 || !fs.existsSync('/usr/sbin/dockerd')) throw new Error("docker.io could not be installed with apt-get; the dockerode flow needs Debian's dockerd");
}

/** A busybox rootfs tar (the host's static busybox plus its applet links). */
function busyboxRootfsTar(dir: string): string {
  const root = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  const applets = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') fs.symlinkSync('busybox', path.join(root, 'bin', a));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  const tar = path.join(dir, 'busybox.tar');
  const r = spawnSync('tar', ['-C', root, '-cf', tar, '.']);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return tar;
}

export async function startTestDockerd(dir: string, cgroupParent: string): Promise<TestDockerd> {
  if (!fs.existsSync('/bin/busybox')) throw new Error("busybox-static is not installed: apt-get install -y busybox-static");
  ensureDockerd();
  const socket = path.join(dir, 'docker.sock');
  const args = [
    '--net',
    '--',
    'sh',
    '-c',
    'ip link set lo up && exec "$@"',
    'sh',
    '/usr/sbin/dockerd',
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--exec-opt',
    'native.cgroupdriver=cgroupfs',
    '--cgroup-parent',
    cgroupParent,
    '--storage-driver',
    'vfs',
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--pidfile',
    path.join(dir, 'docker.pid'),
    '-H',
    `unix://${socket}`,
    '--log-level',
    'warn',
  ];
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn('unshare', args, { stdio: ['ignore', log, log], detached: false });
  let exited = false;
  child.once('exit', () => (exited = true));
  const engine = createDockerodeEngine({ socketPath: socket });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`dockerd exited at start: ${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
    try {
      await engine.ping();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`dockerd did not answer in 60 s: ${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
      await delay(200);
    }
  }
  const progress = await engine.importImage(fs.createReadStream(busyboxRootfsTar(dir)), { repo: 'busybox', tag: 'latest', changes: ['CMD ["sh"]'] });
  for await (const _ of progress) void _;

  return {
    socket,
    engine,
    async stop() {
      for (const c of await engine.listContainers({ all: true }).catch(() => [])) {
        await engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
      if (!exited) {
        child.kill('SIGTERM');
        const until = Date.now() + 20_000;
        while (!exited && Date.now() < until) await delay(100);
        if (!exited) child.kill('SIGKILL');
      }
      // dockerd's own mounts under the data root go with it; anything left is unmounted before removal.
      spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]);
      for (const ctl of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
        const base = path.join('/sys/fs/cgroup', ctl, cgroupParent);
        if (!fs.existsSync(base)) continue;
        try {
          for (const sub of fs.readdirSync(base, { withFileTypes: true })) if (sub.isDirectory()) fs.rmdirSync(path.join(base, sub.name));
          fs.rmdirSync(base);
        } catch {
          /* busy cgroups stay; the kernel refuses to remove them while used */
        }
      }
    },
  };
}
