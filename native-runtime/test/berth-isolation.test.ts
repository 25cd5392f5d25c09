// Isolation and hardening of real containers: namespaces, user, hardening defaults, and a static probe
// that calls denied syscalls directly (imported as an image with importImage).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collectJson, makeEnv, sh, runToExit, type TestEnv } from './berth-helpers.ts';

let env: TestEnv;
before(() => {
  env = makeEnv('iso');
});
after(async () => {
  await env.cleanup();
});

const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static void probe(const char *name, long r) { printf("%s %s\n", name, r < 0 ? strerrorname_np(errno) : "OK"); }
int main(void) {
  probe("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
  probe("add_key", syscall(SYS_add_key, "user", "x", "y", 1, -2));
  probe("unshare", syscall(SYS_unshare, CLONE_NEWUSER));
  probe("setns", syscall(SYS_setns, 0, CLONE_NEWNET));
  probe("bpf", syscall(SYS_bpf, 0, 0, 0));
  probe("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
  probe("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, 0, 0));
  return 0;
}
`;

describe('isolation', () => {
  test('own PID 1, host processes invisible, hostname, only lo with NetworkMode none', async () => {
    const r = await sh(env.berth, 'echo pid=$$; ls /proc | grep -E "^[0-9]+$" | tr "\\n" " "; echo; hostname; ls /sys/class/net', {
      Hostname: 'iso-host',
      HostConfig: { NetworkMode: 'none' },
    });
    assert.equal(r.code, 0, r.stderr);
    const [pidLine, procs, host, ...nets] = r.stdout.trim().split('\n');
    assert.equal(pidLine, 'pid=1');
    const pids = procs!.trim().split(' ').map(Number);
    assert.ok(pids.length <= 4, `few processes: ${procs}`);
    assert.ok(!pids.includes(process.pid) || process.pid < 5);
    assert.equal(host, 'iso-host');
    assert.deepEqual(nets, ['lo']);
  });

  test("the default network is Berth's bridge: eth0 and lo, and no default route", async () => {
    const r = await sh(env.berth, 'ls /sys/class/net; echo --; cat /proc/net/route');
    const [links, routes] = r.stdout.split('--\n');
    assert.deepEqual(links!.trim().split('\n').sort(), ['eth0', 'lo']);
    const destinations = routes!.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[1]);
    assert.ok(destinations.length >= 1, 'the subnet route is there');
    assert.ok(!destinations.includes('00000000'), `no default route: ${routes}`);
  });

  test('the process starts with default signal dispositions, so `yes | head` ends (Node ignores SIGPIPE)', async () => {
    for (const Init of [false, true]) {
      const r = await sh(env.berth, 'grep -E "^Sig(Ign|Blk)" /proc/self/status; yes | head -c 5 | wc -c', { HostConfig: { NetworkMode: 'none', Init } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /SigBlk:\s+0000000000000000/);
      assert.match(r.stdout, /SigIgn:\s+0000000000000000/);
      assert.match(r.stdout, /^5$/m);
    }
  });

  test("User '1000:1000', WorkingDir and Env", async () => {
    const r = await sh(env.berth, 'id -u; id -g; pwd; echo $FOO; echo $PATH', {
      User: '1000:1000',
      WorkingDir: '/work/dir',
      Env: ['FOO=bar baz'],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1000', '1000', '/work/dir', 'bar baz', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  });

  // Reference: dockerd 20.10 (runc) in its own netns printed these Groups lines for busybox; Berth left the
  // primary gid out of the supplementary groups (`Groups:` empty for 1000:1000, `10` for root).
  test('supplementary groups hold the primary gid, as in dockerd', async () => {
    const cases: [NonNullable<Parameters<typeof sh>[2]>, string][] = [
      [{}, '0 10'],
      [{ User: '1000:1000' }, '1000'],
      [{ User: '1000' }, '0'],
      [{ User: 'nobody' }, '65534'],
      [{ User: '1000:1000', HostConfig: { GroupAdd: ['5'] } }, '5 1000'],
    ];
    for (const [opts, groups] of cases) {
      const r = await sh(env.berth, 'grep ^Groups: /proc/self/status', opts);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `Groups:\t${groups}`, JSON.stringify(opts));
    }
  });

  // Reference: dockerd 20.10 (runc) in its own netns applies --sysctl inside the container and refuses
  // ones the container has no namespace for; Berth stored HostConfig.Sysctls and applied none (read 0).
  test('Sysctls are written in the container\'s namespaces; /proc/sys stays read-only; others refused', async () => {
    const hostForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const r = await sh(env.berth, 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/core/somaxconn /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max; echo 0 > /proc/sys/net/core/somaxconn || echo ro', {
      HostConfig: { Sysctls: { 'net.ipv4.ip_forward': hostForward.trim() === '1' ? '0' : '1', 'net.core.somaxconn': '1000', 'kernel.shmmax': '1000000', 'fs.mqueue.msg_max': '20' } },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [hostForward.trim() === '1' ? '0' : '1', '1000', '1000000', '20', 'ro']);
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForward, 'the host is untouched');
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ Sysctls: { 'vm.swappiness': '10' } }, /sysctl "vm\.swappiness" is not in a separate kernel namespace/],
      [{ Sysctls: { 'net.ipv4.ip_forward': '1' }, NetworkMode: 'host' }, /sysctl "net\.ipv4\.ip_forward" not allowed in host network namespace/],
      [{ Sysctls: { 'net.ipv4..x': '1' } }, /invalid sysctl name/],
    ];
    for (const [HostConfig, msg] of refused) {
      const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig });
      await assert.rejects(c.start(), (err: Error & { statusCode?: number }) => err.statusCode === 400 && msg.test(err.message));
      await c.remove({ force: true });
    }
  });

  // Reference: dockerd 20.10 with --uts host --ipc host shows the host's hostname and /dev/shm (and keeps
  // /etc/hostname as the container id); Berth stored UTSMode/IpcMode and still made private namespaces.
  test('UTSMode and IpcMode host share the host\'s uts and ipc namespaces and /dev/shm', async () => {
    const marker = `/dev/shm/berth-ipc-host-${process.pid}`;
    fs.writeFileSync(marker, '');
    try {
      const script = `readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc; hostname; ls /dev/shm | grep -c ${path.basename(marker)} || true`;
      const shared = await sh(env.berth, script, { HostConfig: { UTSMode: 'host', IpcMode: 'host' } });
      assert.equal(shared.code, 0, shared.stderr);
      const hostNs = [fs.readlinkSync('/proc/self/ns/uts'), fs.readlinkSync('/proc/self/ns/ipc')];
      assert.deepEqual(shared.stdout.trim().split('\n'), [...hostNs, execFileSync('hostname').toString().trim(), '1']);
      const own = await sh(env.berth, script);
      const lines = own.stdout.trim().split('\n');
      assert.notEqual(lines[0], hostNs[0]);
      assert.notEqual(lines[1], hostNs[1]);
      assert.equal(lines[3], '0');
    } finally {
      fs.rmSync(marker, { force: true });
    }
  });

  test('named users resolve from the image /etc/passwd', async () => {
    const r = await sh(env.berth, 'id', { User: 'nobody' });
    assert.match(r.stdout, /uid=65534\(nobody\) gid=65534\(nogroup\)/);
  });
});

describe('hardening', () => {
  test('Seccomp 2, NoNewPrivs 1, Docker default CapEff', async () => {
    const r = await sh(env.berth, 'grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status');
    assert.match(r.stdout, /^Seccomp:\s+2$/m);
    assert.match(r.stdout, /^NoNewPrivs:\s+1$/m);
    assert.match(r.stdout, /^CapEff:\s+00000000a80425fb$/m);
  });

  test('CapAdd/CapDrop change the set', async () => {
    const r = await sh(env.berth, 'grep ^CapEff: /proc/self/status', { HostConfig: { CapDrop: ['ALL'], CapAdd: ['NET_ADMIN'] } });
    assert.match(r.stdout, /CapEff:\s+0000000000001000/);
  });

  test('unshare, nsenter, mount and /proc/sys writes fail', async () => {
    for (const cmd of ['unshare -U true', 'nsenter -t 1 -m true', 'mount -t tmpfs x /tmp', 'echo evil > /proc/sys/kernel/hostname']) {
      const r = await sh(env.berth, cmd);
      assert.notEqual(r.code, 0, `${cmd} must fail: ${r.stdout}${r.stderr}`);
    }
  });

  test('masked paths are mounts and read empty; read-only paths are read-only', async () => {
    // Paths this kernel lacks (no /proc/kcore here, for one) are skipped, as runc does.
    const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'].filter((p) => fs.existsSync(p));
    const readonly = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq'].filter((p) => fs.existsSync(p));
    assert.ok(masked.length >= 3 && readonly.length >= 2, `host has ${masked} ${readonly}`);
    const reads = masked.map((p) => (p.startsWith('/sys') ? `ls ${p} | wc -l` : `wc -c < ${p}`)).join('; ');
    const r = await sh(env.berth, `cat /proc/self/mountinfo; echo ===; ${reads}; touch /proc/sys/kernel/hostname 2>/dev/null && echo rw || echo ro`);
    const [mountinfo, rest] = r.stdout.split('===\n');
    const mounted = mountinfo!.split('\n').map((l) => ({ at: l.split(' ')[4], opts: l.split(' ')[5] ?? '' }));
    for (const p of masked) assert.ok(mounted.some((m) => m.at === p), `${p} is masked by a mount`);
    for (const p of readonly) assert.ok(mounted.some((m) => m.at === p && m.opts.split(',').includes('ro')), `${p} is mounted read-only`);
    const out = rest!.trim().split('\n');
    assert.deepEqual(out.slice(0, masked.length).map((x) => x.trim()), masked.map(() => '0'));
    assert.equal(out.at(-1), 'ro');
  });

  test('a static probe gets EPERM for denied syscalls', async () => {
    const dir = fs.mkdtempSync('/var/tmp/berth-probe-');
    try {
      fs.writeFileSync(path.join(dir, 'probe.c'), PROBE_C);
      const rootfs = path.join(dir, 'rootfs');
      fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
      execFileSync('gcc', ['-static', '-O1', '-o', path.join(rootfs, 'bin/probe'), path.join(dir, 'probe.c')]);
      fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
      fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
      fs.symlinkSync('busybox', path.join(rootfs, 'bin/sh'));
      fs.mkdirSync(path.join(rootfs, 'etc'));
      fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
      const tar = execFileSync('tar', ['-C', rootfs, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
      const { Readable } = await import('node:stream');
      const progress = await collectJson<{ status?: string; error?: string }>(
        await env.berth.importImage(Readable.from([tar]), { repo: 'probe', tag: 'v1', changes: ['CMD ["/bin/probe"]'] }),
      );
      const last = progress.at(-1)!;
      assert.match(last.status ?? '', /^sha256:[0-9a-f]{64}$/, JSON.stringify(progress));
      const ins = await env.berth.getImage('probe:v1').inspect();
      assert.deepEqual(ins.Config?.Cmd, ['/bin/probe']);
      const r = await runToExit(env.berth, { Image: 'probe:v1' });
      assert.equal(r.code, 0, r.stderr);
      const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
      for (const sc of ['keyctl', 'add_key', 'unshare', 'setns', 'bpf', 'perf_event_open', 'open_by_handle_at']) {
        assert.equal(got[sc], 'EPERM', `${sc}: ${got[sc]}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('ReadonlyRootfs and ShmSize', async () => {
    const r = await sh(env.berth, 'touch /x 2>/dev/null && echo rw || echo ro; df -k /dev/shm | tail -1', { HostConfig: { ReadonlyRootfs: true, ShmSize: 8 * 1024 * 1024 } });
    assert.match(r.stdout, /^ro$/m);
    assert.match(r.stdout, /\s8192\s/);
  });
});
