// Docker's runtime defaults on real containers (issue 16, items 8, 10 and 12): capabilities open the
// syscalls Docker's default seccomp profile opens for them, seccomp=unconfined, --privileged and
// --cap-add ALL on a host whose bounding set lacks a capability, /sys/fs/cgroup, /.dockerenv and the
// init layer in `export`. dockerd (moby profiles/seccomp/default.json, daemon/initlayer, runc's cgroup
// mount) is the reference throughout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ALL_CAPABILITIES, heldCapabilities } from '../src/containers/capabilities.ts';
import type { ContainerHandle } from '../src/engine/engine.ts';
import type { ContainerCreateBody } from '../src/engine/types.ts';
import { collectJson, makeEnv, runToExit, sh, type TestEnv } from './berth-helpers.ts';
import { detectCgroups } from '../src/cgroups/detect.ts';

let env: TestEnv;
let probeDir: string;

// Each line: "<call> OK" or "<call> <errno name>".
const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static void probe(const char *name, long r) { printf("%s %s\n", name, r < 0 ? strerrorname_np(errno) : "OK"); }
int main(void) {
  pid_t child = fork();
  if (child == 0) { pause(); _exit(0); }
  long r = ptrace(PTRACE_ATTACH, child, 0, 0);
  probe("ptrace", r);
  if (r == 0) waitpid(child, 0, 0);
  kill(child, SIGKILL);
  waitpid(child, 0, 0);
  probe("kcmp", syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0, 0));
  probe("mount", mount("tmpfs", "/mnt", "tmpfs", 0, 0));
  probe("unshare", unshare(CLONE_NEWNS));
  probe("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
  probe("reboot", syscall(SYS_reboot, 0, 0, 0, 0));
  return 0;
}
`;

async function importRootfs(name: string, rootfs: string, cmd: string[]): Promise<void> {
  const tar = execFileSync('tar', ['-C', rootfs, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  const progress = await collectJson<{ status?: string }>(
    await env.berth.importImage(Readable.from([tar]), { repo: name, tag: 'v1', changes: [`CMD ${JSON.stringify(cmd)}`] }),
  );
  assert.match(progress.at(-1)?.status ?? '', /^sha256:/, JSON.stringify(progress));
}

before(async () => {
  env = makeEnv('defaults');
  probeDir = fs.mkdtempSync('/var/tmp/berth-caps-probe-');
  fs.writeFileSync(path.join(probeDir, 'probe.c'), PROBE_C);
  const rootfs = path.join(probeDir, 'rootfs');
  for (const d of ['bin', 'mnt', 'etc']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  execFileSync('gcc', ['-static', '-O1', '-o', path.join(rootfs, 'bin/probe'), path.join(probeDir, 'probe.c')]);
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(rootfs, 'bin/sh'));
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  await importRootfs('capsprobe', rootfs, ['/bin/probe']);
});
after(async () => {
  await env.cleanup();
  fs.rmSync(probeDir, { recursive: true, force: true });
});

async function probe(body: Partial<ContainerCreateBody> = {}): Promise<Record<string, string>> {
  const r = await runToExit(env.berth, { Image: 'capsprobe:v1', HostConfig: { NetworkMode: 'none', ...body.HostConfig }, ...body });
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

describe('seccomp follows the capabilities (Docker default profile)', () => {
  test('default: ptrace allowed (as Docker on kernel >= 4.8); kcmp, mount, unshare, keyctl, reboot refused', async () => {
    const got = await probe();
    assert.equal(got.ptrace, 'OK');
    for (const sc of ['kcmp', 'mount', 'unshare', 'keyctl', 'reboot']) assert.equal(got[sc], 'EPERM', `${sc}: ${got[sc]}`);
  });

  test('--cap-add SYS_ADMIN: mount and unshare work', async () => {
    const got = await probe({ HostConfig: { CapAdd: ['SYS_ADMIN'] } });
    assert.equal(got.mount, 'OK');
    assert.equal(got.unshare, 'OK');
    assert.equal(got.kcmp, 'EPERM');
    assert.equal(got.keyctl, 'EPERM', 'keyctl is never opened by a capability');
    const r = await sh(env.berth, 'mkdir -p /mnt && mount -t tmpfs x /mnt && grep " /mnt " /proc/mounts', { HostConfig: { NetworkMode: 'none', CapAdd: ['SYS_ADMIN'] } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^x \/mnt tmpfs/);
  });

  test('--cap-add SYS_PTRACE: kcmp and ptrace work; SYS_BOOT opens reboot', async () => {
    const got = await probe({ HostConfig: { CapAdd: ['SYS_PTRACE'] } });
    assert.equal(got.ptrace, 'OK');
    assert.equal(got.kcmp, 'OK');
    assert.equal(got.mount, 'EPERM');
    // reboot(0, 0, ...) is refused by the kernel for its bad magic (EINVAL), no longer by the filter.
    const boot = await probe({ HostConfig: { CapAdd: ['SYS_BOOT'] } });
    assert.equal(boot.reboot, 'EINVAL');
  });

  test('--security-opt seccomp=unconfined: no filter, a blocked syscall gets through', async () => {
    const got = await probe({ HostConfig: { SecurityOpt: ['seccomp=unconfined'] } });
    assert.notEqual(got.keyctl, 'EPERM');
    const r = await sh(env.berth, 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status', { HostConfig: { NetworkMode: 'none', SecurityOpt: ['seccomp=unconfined'] } });
    assert.match(r.stdout, /^Seccomp:\s+0$/m);
    assert.match(r.stdout, /^NoNewPrivs:\s+1$/m);
  });

  test('security options: no-new-privileges=false, apparmor and label accepted with a warning, bad ones are 400', async () => {
    const r = await sh(env.berth, 'grep ^NoNewPrivs: /proc/self/status', { HostConfig: { NetworkMode: 'none', SecurityOpt: ['no-new-privileges=false'] } });
    assert.match(r.stdout, /^NoNewPrivs:\s+0$/m);
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: ['apparmor=docker-default', 'label=disable'] } } as ContainerCreateBody);
    const warnings = warningsOf(c);
    await c.remove({ force: true });
    assert.ok(warnings.some((w) => /AppArmor is not supported/.test(w)), JSON.stringify(warnings));
    assert.ok(warnings.some((w) => /SELinux is not supported/.test(w)), JSON.stringify(warnings));
    // A custom profile is supported now (docker-cli-runtime-defaults.test.ts); a broken one is a 400.
    for (const bad of ['seccomp={"defaultAction":"SCMP_ACT_MAYBE"}', 'seccomp={not json', 'nonsense', 'foo=bar', 'no-new-privileges=maybe']) {
      await assert.rejects(
        env.berth.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: [bad] } } as ContainerCreateBody),
        (e: { statusCode?: number; message: string }) => e.statusCode === 400 && /security-opt|seccomp/.test(e.message),
        bad,
      );
    }
  });
});

describe('--cap-add ALL and --privileged on a host whose bounding set lacks a capability', () => {
  const held = heldCapabilities();
  const missing = ALL_CAPABILITIES.filter((c) => !held.has(c));
  const heldMask = ALL_CAPABILITIES.reduce((m, c, i) => (held.has(c) ? m | (1n << BigInt(i)) : m), 0n).toString(16).padStart(16, '0');

  test('--cap-add ALL starts with every held capability; the left-out ones are named in Warnings', async () => {
    const res = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'grep ^CapEff: /proc/self/status'], HostConfig: { NetworkMode: 'none', CapAdd: ['ALL'] } } as ContainerCreateBody);
    for (const c of missing) assert.ok(warningsOf(res).some((w) => w.includes(c)), `${c} named in ${JSON.stringify(warningsOf(res))}`);
    const r = await runContainer(res.id);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`CapEff:\\s+${heldMask}`));
  });

  test('--privileged: all held capabilities, no seccomp, host devices, writable /sys, nothing masked, all devices allowed', async () => {
    const script = [
      'grep -E "^(CapEff|Seccomp):" /proc/self/status',
      'ls /dev/loop0 /dev/loop-control',
      'grep -E " /sys sysfs " /proc/mounts',
      'grep -cE " /proc/(kcore|keys|timer_list|sys) " /proc/mounts || true',
      'cat /sys/fs/cgroup/devices/devices.list 2>/dev/null || echo no-devices-cgroup',
      'head -c 1 /dev/loop0 >/dev/null && echo loop-readable',
    ].join('; ');
    const res = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', script], HostConfig: { NetworkMode: 'none', Privileged: true } } as ContainerCreateBody);
    for (const c of missing) assert.ok(warningsOf(res).some((w) => w.includes(c)), `${c} named in ${JSON.stringify(warningsOf(res))}`);
    const ins = await env.berth.getContainer(res.id).inspect();
    assert.equal(ins.HostConfig.Privileged, true);
    assert.equal(ins.HostConfig.MaskedPaths, null, 'as dockerd shows a privileged container');
    const r = await runContainer(res.id);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`CapEff:\\s+${heldMask}`));
    assert.match(r.stdout, /^Seccomp:\s+0$/m);
    assert.match(r.stdout, /^\/dev\/loop0$/m);
    assert.match(r.stdout, /^sysfs \/sys sysfs rw,/m);
    assert.match(r.stdout, /^0$/m, 'no masked or read-only /proc paths');
    if (!r.stdout.includes('no-devices-cgroup')) assert.match(r.stdout, /^a \*:\* rwm$/m);
    assert.match(r.stdout, /^loop-readable$/m);
  });

  test("an exec in a privileged container is privileged too; in a SYS_ADMIN container it may mount", async () => {
    for (const [HostConfig, want] of [
      [{ Privileged: true }, /^Seccomp:\s+0$/m],
      [{ CapAdd: ['SYS_ADMIN'] }, /^mounted$/m],
    ] as const) {
      const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none', ...HostConfig } } as ContainerCreateBody);
      try {
        await c.start();
        const x = await c.exec({ Cmd: ['sh', '-c', 'grep ^Seccomp: /proc/self/status; mkdir -p /mnt && mount -t tmpfs t /mnt && echo mounted'], AttachStdout: true, AttachStderr: true });
        const chunks: Buffer[] = [];
        for await (const ch of await x.start({})) chunks.push(ch as Buffer);
        const { demux } = await import('../src/logs/format.ts');
        assert.match(demux(Buffer.concat(chunks)).stdout.toString(), want);
      } finally {
        await c.remove({ force: true });
      }
    }
  });

  test('without --privileged a host device is neither there nor openable', async () => {
    const r = await sh(env.berth, 'ls /dev/loop0 2>&1; mknod /dev/l0 b 7 0 && head -c 1 /dev/l0 >/dev/null && echo opened', { HostConfig: { NetworkMode: 'none' } });
    assert.doesNotMatch(r.stdout, /^\/dev\/loop0$/m);
    assert.doesNotMatch(r.stdout, /opened/);
  });
});

describe('/sys/fs/cgroup and the init layer', () => {
  test("/sys/fs/cgroup shows the container's own groups, read-only: memory.limit_in_bytes is the limit", async () => {
    const r = await sh(env.berth, 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; grep " /sys/fs/cgroup" /proc/mounts; echo 1 > /sys/fs/cgroup/pids/pids.max && echo writable', {
      HostConfig: { NetworkMode: 'none', Memory: 64 * 1024 * 1024, PidsLimit: 77 },
    });
    const [mem, pids] = r.stdout.split('\n');
    assert.equal(mem, String(64 * 1024 * 1024));
    assert.equal(pids, '77');
    assert.match(r.stdout, /^tmpfs \/sys\/fs\/cgroup tmpfs ro,/m);
    assert.match(r.stdout, /^\S+ \/sys\/fs\/cgroup\/memory cgroup ro,/m);
    assert.doesNotMatch(r.stdout, /writable/);
    const w = await sh(env.berth, 'grep " /sys/fs/cgroup/memory " /proc/mounts', { HostConfig: { NetworkMode: 'none', SecurityOpt: ['writable-cgroups=true'] } });
    assert.match(w.stdout, /^\S+ \/sys\/fs\/cgroup\/memory cgroup rw,/m);
  });

  test('v1: the name=systemd hierarchy is mounted at /sys/fs/cgroup/systemd, the container in its own group', { skip: !detectCgroups().v1Systemd }, async () => {
    // dockerd (runc's cgroupfs manager) places the container in name=systemd too and binds its group there.
    const r = await sh(env.berth, 'grep name=systemd /proc/self/cgroup; grep " /sys/fs/cgroup/systemd " /proc/mounts; wc -l < /sys/fs/cgroup/systemd/cgroup.procs', { HostConfig: { NetworkMode: 'none' } });
    const [line, mount, procs] = r.stdout.split('\n');
    assert.match(line!, /^\d+:name=systemd:\/.+\/[0-9a-f]{64}$/);
    assert.match(mount!, /^\S+ \/sys\/fs\/cgroup\/systemd cgroup ro,.*name=systemd/);
    assert.ok(Number(procs) >= 1, r.stdout);
  });

  test('/.dockerenv exists (an empty file of the init layer)', async () => {
    const r = await sh(env.berth, 'stat -c "%s %a %F" /.dockerenv; readlink /etc/mtab', { HostConfig: { NetworkMode: 'none' } });
    assert.equal(r.stdout, '0 755 regular empty file\n/proc/mounts\n');
  });

  test("export has the init layer's entries and not the container's mounts' contents", async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo hi > /made'], HostConfig: { NetworkMode: 'none' } } as ContainerCreateBody);
    try {
      await c.start();
      await c.wait();
      const chunks: Buffer[] = [];
      for await (const ch of await c.export()) chunks.push(ch as Buffer);
      const list = execFileSync('tar', ['-tvf', '-'], { input: Buffer.concat(chunks) }).toString();
      const names = list.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(5).join(' ').replace(/^\.\//, '').replace(/\/$/, '').replace(/ -> .*/, ''));
      for (const n of ['.dockerenv', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'etc/mtab', 'dev', 'dev/console', 'dev/pts', 'dev/shm', 'proc', 'sys', 'made']) {
        assert.ok(names.includes(n), `${n} in the export:\n${list}`);
      }
      const hosts = list.split('\n').find((l) => / \.?\/?etc\/hosts$/.test(l))!;
      assert.match(hosts, /^-\S+ \S+\s+0 /, `empty /etc/hosts: ${hosts}`);
      assert.match((await c.inspect()).GraphDriver.Data?.['LowerDir'] ?? '', /^\/\S+\/init:/, 'the init layer heads LowerDir, as dockerd lists <id>-init');
      // The init layer is not a change of the container (as dockerd's diff).
      const changes = (await c.changes()) ?? [];
      assert.ok(!changes.some((ch) => ch.Path === '/.dockerenv'), JSON.stringify(changes));
    } finally {
      await c.remove({ force: true });
    }
  });
});

/** The create response's Warnings (the Berth handle carries them). */
function warningsOf(h: ContainerHandle): string[] {
  return (h as ContainerHandle & { warnings?: string[] }).warnings ?? [];
}

async function runContainer(id: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = env.berth.getContainer(id);
  const waited = c.wait({ condition: 'next-exit' });
  await c.start();
  const { StatusCode } = await waited;
  const { demux } = await import('../src/logs/format.ts');
  const d = demux((await c.logs({ stdout: true, stderr: true })) as Buffer);
  await c.remove({ force: true });
  return { code: StatusCode, stdout: d.stdout.toString(), stderr: d.stderr.toString() };
}
