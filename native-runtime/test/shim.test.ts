// End-to-end tests of berth-shim and the addon, as root, against a busybox rootfs.
// Run: node --import tsx --test native-runtime/test/shim.test.ts (from the repository root).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import {
  getxattr,
  lockFile,
  mknod,
  MNT_DETACH,
  mount,
  mountOverlay,
  MS_NODEV,
  MS_NOSUID,
  NativeCallError,
  S_IFIFO,
  setxattr,
  ShimStartError,
  shimPath,
  spawnShim,
  umount,
  unlockFile,
} from '../src/native/index.ts';

const INDEX_TS = fileURLToPath(new URL('../src/native/index.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Docker's default capability set: CapEff 00000000a80425fb.
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const MASKED = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/acpi', '/proc/scsi', '/sys/firmware'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static void probe(const char *name, long r) {
  if (r == 0 && strcmp(name, "clone_newns") == 0 && getpid() != 1) _exit(0);
  printf("%s %s\n", name, r < 0 ? strerrorname_np(errno) : "OK");
}
int main(void) {
  probe("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
  probe("add_key", syscall(SYS_add_key, "user", "x", "y", 1, -2));
  probe("request_key", syscall(SYS_request_key, "user", "x", 0, 0));
  probe("unshare", syscall(SYS_unshare, CLONE_NEWUSER));
  probe("setns", syscall(SYS_setns, 0, CLONE_NEWNET));
  probe("bpf", syscall(SYS_bpf, 0, 0, 0));
  probe("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
  probe("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, 0, 0));
  probe("clone_newns", syscall(SYS_clone, CLONE_NEWNS | 17, 0, 0, 0, 0));
  return 0;
}
`;

interface LogRecord {
  ts: bigint;
  stream: number;
  data: Buffer;
}

function readLog(file: string): LogRecord[] {
  const buf = fs.readFileSync(file);
  const out: LogRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    assert.ok(off + 16 <= buf.length, 'truncated record header');
    const len = buf.readUInt32LE(off + 12);
    assert.equal(buf.readUIntLE(off + 9, 3), 0, 'reserved bytes are zero');
    out.push({ ts: buf.readBigUInt64LE(off), stream: buf[off + 8]!, data: buf.subarray(off + 16, off + 16 + len) });
    off += 16 + len;
  }
  assert.equal(off, buf.length, 'log ends on a record boundary');
  return out;
}

function text(records: LogRecord[], stream: number): string {
  return Buffer.concat(records.filter((r) => r.stream === stream).map((r) => r.data)).toString();
}

async function waitFor<T>(fn: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface ExitFile {
  exitCode: number;
  signal: number;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  logDropped: number;
}

let tmp = '';
let lowerName = 'lower';
let counter = 0;
const shims: number[] = [];
const cgroupsToRemove: string[] = [];

interface Container {
  dir: string;
  config: string;
  log: string;
  exitFile: string;
  pidFile: string;
}

function makeContainer(process: Record<string, unknown>, extra: Record<string, unknown> = {}): Container {
  const dir = path.join(tmp, `c${++counter}`);
  for (const d of ['upper', 'work', 'run', 'log']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const c: Container = {
    dir,
    config: path.join(dir, 'run', 'shim.json'),
    log: path.join(dir, 'log', 'container.log'),
    exitFile: path.join(dir, 'exit.json'),
    pidFile: path.join(dir, 'run', 'shim.pid'),
  };
  const config = {
    id: 'f'.repeat(64),
    overlay: { cwd: tmp, lower: [lowerName], upper: path.join(dir, 'upper'), work: path.join(dir, 'work') },
    rootfsPropagation: 'private',
    readonlyRootfs: false,
    process: {
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
      uid: 0,
      gid: 0,
      additionalGids: [],
      terminal: false,
      noNewPrivileges: true,
      capabilities: DOCKER_CAPS,
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
      init: false,
      ...process,
    },
    hostname: 'berthtest',
    namespaces: { net: 'new' },
    cgroups: [],
    mounts: [],
    shmSize: 64 * 1024 * 1024,
    maskedPaths: MASKED,
    readonlyPaths: READONLY,
    seccomp: true,
    log: { path: c.log, maxSize: 0, maxFiles: 1 },
    exitFile: c.exitFile,
    pidFile: c.pidFile,
    ...extra,
  };
  fs.writeFileSync(c.config, JSON.stringify(config));
  return c;
}

async function start(c: Container) {
  const started = await spawnShim(c.config);
  shims.push(started.shimPid);
  return started;
}

async function waitExit(c: Container, timeoutMs = 20000): Promise<ExitFile> {
  const raw = await waitFor(() => (fs.existsSync(c.exitFile) ? fs.readFileSync(c.exitFile, 'utf8') : undefined), timeoutMs, 'exit.json');
  return JSON.parse(raw) as ExitFile;
}

/** Runs a container to completion; returns its exit file and stdout/stderr. */
async function run(process: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const c = makeContainer(process, extra);
  const started = await start(c);
  const exit = await waitExit(c);
  const records = readLog(c.log);
  return { c, started, exit, records, stdout: text(records, 1), stderr: text(records, 2) };
}

const sh = (script: string, more: Record<string, unknown> = {}) => ({ args: ['sh', '-c', script], ...more });

before(() => {
  assert.equal(process.getuid?.(), 0, 'these tests need root');
  tmp = fs.mkdtempSync('/var/tmp/berth-shim-test-');
  const lower = path.join(tmp, lowerName);
  for (const d of ['bin', 'etc', 'root', 'tmp', 'home/user']) fs.mkdirSync(path.join(lower, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(lower, 'bin/busybox'));
  fs.chmodSync(path.join(lower, 'bin/busybox'), 0o755);
  for (const applet of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n')) {
    if (applet && applet !== 'busybox') fs.symlinkSync('busybox', path.join(lower, 'bin', applet));
  }
  fs.writeFileSync(path.join(lower, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n');
  fs.writeFileSync(path.join(lower, 'etc/group'), 'root:x:0:\ntty:x:5:\nuser:x:1000:\n');
  fs.chmodSync(path.join(lower, 'tmp'), 0o1777);
  const probeSrc = path.join(tmp, 'probe.c');
  fs.writeFileSync(probeSrc, PROBE_C);
  execFileSync('gcc', ['-static', '-O2', '-o', path.join(lower, 'bin/probe'), probeSrc]);
});

after(() => {
  for (const pid of shims) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const cg of cgroupsToRemove) {
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(cg);
        break;
      } catch {
        execFileSync('sleep', ['0.1']);
      }
    }
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('berth-shim', () => {
  test('isolates pid, uts, net, user, workdir and env', async () => {
    const r = await run(
      sh(
        'echo "cmdline=$(tr "\\0" " " < /proc/1/cmdline)"; echo "procs=$(ps -o pid | tail -n +2 | wc -l)"; ' +
          'echo "host=$(hostname)"; echo "ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" ,)"; ' +
          'echo "id=$(id -u):$(id -g):$(id -G)"; echo "pwd=$PWD"; echo "foo=$FOO"; echo "nofile=$(ulimit -n)"',
        { uid: 1000, gid: 1000, additionalGids: [5], cwd: '/work/dir', env: ['PATH=/bin', 'FOO=bar baz'] },
      ),
    );
    assert.equal(r.exit.exitCode, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.match(out.cmdline!, /^sh -c /);
    assert.ok(Number(out.procs) <= 6, `few processes, got ${out.procs}`);
    assert.equal(out.host, 'berthtest');
    assert.equal(out.ifaces, 'lo,');
    assert.equal(out.id, '1000:1000:1000 5');
    assert.equal(out.pwd, '/work/dir');
    assert.equal(out.foo, 'bar baz');
    assert.equal(out.nofile, '1024');
    assert.ok(!fs.existsSync(r.c.pidFile), 'pid file removed after exit');
  });

  test('namespaces.net: host shares the host network, a path joins a namespace', async () => {
    const host = await run(sh('tail -n +3 /proc/net/dev | wc -l'), { namespaces: { net: 'host' } });
    const hostIfaces = fs.readFileSync('/proc/net/dev', 'utf8').trim().split('\n').length - 2;
    assert.equal(Number(host.stdout.trim()), hostIfaces);

    const owner = makeContainer({ args: ['sleep', '100'] });
    const started = await start(owner);
    try {
      const inode = fs.statSync(`/proc/${started.pid}/ns/net`).ino;
      const joined = await run(sh('stat -L -c %i /proc/self/ns/net'), { namespaces: { net: `/proc/${started.pid}/ns/net` } });
      assert.equal(Number(joined.stdout.trim()), inode);
    } finally {
      process.kill(started.pid, 'SIGKILL');
      await waitExit(owner);
    }
  });

  test('drops privileges: capabilities, no_new_privs, seccomp, masked and read-only paths', async () => {
    const r = await run(
      sh(
        'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; ' +
          'unshare -U true 2>/dev/null && echo unshare=ok || echo unshare=fail; ' +
          'nsenter -t 1 -m true 2>/dev/null && echo nsenter=ok || echo nsenter=fail; ' +
          'mount -t tmpfs x /tmp 2>/dev/null && echo mount=ok || echo mount=fail; ' +
          '(echo evil > /proc/sys/kernel/hostname) 2>/dev/null && echo sysctl=ok || echo sysctl=fail; ' +
          'echo "keys=$(wc -c < /proc/keys) timers=$(wc -c < /proc/timer_list) acpi=$(ls -A /proc/acpi | wc -l)"; ' +
          'cut -d" " -f5 /proc/self/mountinfo | grep -E "^/proc/(acpi|keys|sys|timer_list)$" | sort | tr "\\n" ,; echo; ' +
          'probe',
      ),
    );
    assert.equal(r.exit.exitCode, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^CapEff:\t00000000a80425fb$/m);
    assert.match(out, /^CapPrm:\t00000000a80425fb$/m);
    assert.match(out, /^CapBnd:\t00000000a80425fb$/m);
    // Empty inheritable set, as Docker >= 20.10 (CVE-2022-24769).
    assert.match(out, /^CapInh:\t0000000000000000$/m);
    assert.match(out, /^CapAmb:\t0000000000000000$/m);
    assert.match(out, /^NoNewPrivs:\t1$/m);
    assert.match(out, /^Seccomp:\t2$/m);
    for (const what of ['unshare', 'nsenter', 'mount', 'sysctl']) assert.match(out, new RegExp(`^${what}=fail$`, 'm'));
    assert.match(out, /^keys=0 timers=0 acpi=0$/m);
    assert.match(out, /^\/proc\/acpi,\/proc\/keys,\/proc\/sys,\/proc\/timer_list,$/m);
    for (const call of ['keyctl', 'add_key', 'request_key', 'unshare', 'setns', 'bpf', 'perf_event_open', 'open_by_handle_at', 'clone_newns'])
      assert.match(out, new RegExp(`^${call} EPERM$`, 'm'), `${call} must fail with EPERM:\n${out}`);
  });

  test('non-root user gets no effective capabilities', async () => {
    const r = await run(sh('grep -E "^Cap(Eff|Bnd):" /proc/self/status', { uid: 1000, gid: 1000 }));
    assert.match(r.stdout, /^CapEff:\t0000000000000000$/m);
    assert.match(r.stdout, /^CapBnd:\t00000000a80425fb$/m);
  });

  test('read-only rootfs, bind and tmpfs mounts', async () => {
    const vol = path.join(tmp, 'vol');
    fs.mkdirSync(vol, { recursive: true });
    fs.writeFileSync(path.join(vol, 'hello'), 'from host\n');
    const r = await run(
      sh('cat /data/hello; (touch /x) 2>/dev/null && echo root=rw || echo root=ro; (touch /data/y) 2>/dev/null && echo data=rw || echo data=ro; touch /scratch/z && echo scratch=rw; df /dev/shm | tail -1'),
      {
        readonlyRootfs: true,
        mounts: [
          { source: vol, destination: '/data', type: 'bind', options: ['rbind', 'ro'] },
          { source: 'tmpfs', destination: '/scratch', type: 'tmpfs', options: ['nosuid', 'size=1m'] },
        ],
        shmSize: 8 * 1024 * 1024,
      },
    );
    assert.equal(r.exit.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^from host/);
    assert.match(r.stdout, /^root=ro$/m);
    assert.match(r.stdout, /^data=ro$/m);
    assert.match(r.stdout, /^scratch=rw$/m);
    assert.match(r.stdout, /\s8192\s/);
  });

  test('log records keep streams apart with increasing timestamps', async () => {
    const r = await run(sh('for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.01; done'));
    assert.equal(r.stdout, 'out1\nout2\nout3\n');
    assert.equal(r.stderr, 'err1\nerr2\nerr3\n');
    for (let i = 1; i < r.records.length; i++) assert.ok(r.records[i]!.ts > r.records[i - 1]!.ts, 'timestamps increase');
    const now = BigInt(Date.now()) * 1_000_000n;
    assert.ok(r.records[0]!.ts > now - 60_000_000_000n && r.records[0]!.ts <= now, 'timestamp is ns since the epoch');
  });

  test('rotation keeps at most maxFiles files', async () => {
    const c = makeContainer(sh('i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done'));
    const cfg = JSON.parse(fs.readFileSync(c.config, 'utf8'));
    cfg.log = { path: c.log, maxSize: 1024, maxFiles: 3 };
    fs.writeFileSync(c.config, JSON.stringify(cfg));
    await start(c);
    const exit = await waitExit(c);
    assert.equal(exit.exitCode, 0);
    const files = fs.readdirSync(path.dirname(c.log)).sort();
    assert.deepEqual(files, ['container.log', 'container.log.1', 'container.log.2']);
    for (const f of files) {
      assert.ok(fs.statSync(path.join(path.dirname(c.log), f)).size <= 1024, `${f} within maxSize`);
      readLog(path.join(path.dirname(c.log), f));
    }
    // Chunks bigger than a file are split, so a line may straddle two files: read them oldest first.
    const all = ['container.log.2', 'container.log.1', 'container.log'].map((f) => text(readLog(path.join(path.dirname(c.log), f)), 1)).join('');
    assert.match(all, /line-199-x+\n$/);
  });

  test('a full log disk drops records instead of blocking the container', async () => {
    const logfs = path.join(tmp, 'logfs');
    fs.mkdirSync(logfs);
    mount('tmpfs', logfs, 'tmpfs', MS_NOSUID | MS_NODEV, 'size=32k');
    try {
      const c = makeContainer(sh('i=0; while [ $i -lt 300 ]; do head -c 1000 /dev/zero | tr "\\0" x; echo; i=$((i+1)); done; echo done'));
      const cfg = JSON.parse(fs.readFileSync(c.config, 'utf8'));
      cfg.log = { path: path.join(logfs, 'container.log'), maxSize: 0, maxFiles: 1 };
      fs.writeFileSync(c.config, JSON.stringify(cfg));
      await start(c);
      const exit = await waitExit(c);
      assert.equal(exit.exitCode, 0);
      assert.ok(exit.logDropped > 0, 'records were dropped');
      const records = readLog(path.join(logfs, 'container.log'));  // still parseable
      assert.ok(records.length > 0);
    } finally {
      umount(logfs, MNT_DETACH);
    }
  });

  test('exit codes: exit 3 and SIGKILL', async () => {
    const r = await run(sh('exit 3'));
    assert.equal(r.exit.exitCode, 3);
    assert.equal(r.exit.signal, 0);
    assert.equal(r.exit.oomKilled, false);
    assert.ok(Date.parse(r.exit.finishedAt) >= Date.parse(r.exit.startedAt));

    const c = makeContainer({ args: ['sleep', '100'] });
    const started = await start(c);
    const [shimPid, initPid] = fs.readFileSync(c.pidFile, 'utf8').trim().split(' ').map(Number);
    assert.equal(shimPid, started.shimPid);
    assert.equal(initPid, started.pid);
    process.kill(started.pid, 'SIGKILL');
    const exit = await waitExit(c);
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.signal, 9);
  });

  test('init: true reaps and forwards signals', async () => {
    const r = await run(sh('sleep 0 & echo "me=$$"; wait; exit 5', { init: true }));
    assert.equal(r.exit.exitCode, 5);
    assert.doesNotMatch(r.stdout, /^me=1$/m);

    const c = makeContainer({ args: ['sleep', '100'], init: true });
    const started = await start(c);
    process.kill(started.pid, 'SIGTERM');  // forwarded to sleep, which dies of it
    const exit = await waitExit(c);
    assert.equal(exit.exitCode, 128 + 15);
  });

  test('terminal: output of a pty is logged as stdout', async () => {
    const r = await run(sh('tty; echo to-stderr >&2', { terminal: true }));
    assert.equal(r.exit.exitCode, 0);
    assert.match(r.stdout, /\/dev\/pts\/0\r?\n/);
    assert.match(r.stdout, /to-stderr/);
    assert.equal(r.stderr, '');
  });

  test('start errors are reported with stage and errno', async () => {
    const c = makeContainer({ args: ['no-such-command'] });
    await assert.rejects(spawnShim(c.config), (e: unknown) => {
      assert.ok(e instanceof ShimStartError);
      assert.equal(e.stage, 'exec');
      assert.equal(e.errno, 2);
      assert.match(e.message, /no-such-command/);
      return true;
    });
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"id": "x",}');
    await assert.rejects(spawnShim(bad), (e: unknown) => e instanceof ShimStartError && e.stage === 'config');
  });

  test('memory cgroup v1: OOM kill is recorded', async (t) => {
    const mem = '/sys/fs/cgroup/memory';
    if (!fs.existsSync(path.join(mem, 'memory.limit_in_bytes'))) return t.skip('no cgroup v1 memory controller');
    const cg = path.join(mem, `berth-test-${Math.random().toString(16).slice(2, 10)}`);
    fs.mkdirSync(cg);
    cgroupsToRemove.push(cg);
    fs.writeFileSync(path.join(cg, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    if (fs.existsSync(path.join(cg, 'memory.memsw.limit_in_bytes')))
      fs.writeFileSync(path.join(cg, 'memory.memsw.limit_in_bytes'), String(64 * 1024 * 1024));
    // tail keeps a whole "line" of /dev/zero in memory: it grows until the OOM killer takes it.
    const r = await run({ args: ['tail', '/dev/zero'] }, { cgroups: [cg] });
    assert.equal(r.exit.oomKilled, true);
    assert.equal(r.exit.exitCode, 137);
    assert.equal(r.exit.signal, 9);
  });

  test('cgroupMount v2: a cgroup namespace rooted at the group and a read-only cgroup2 at /sys/fs/cgroup', async (t) => {
    // dockerd on a v2 host: cgroupns "private" and the namespace's view mounted read-only. This host may be
    // hybrid; its unified tree (no controllers) is a real cgroup2 hierarchy all the same.
    const v2 = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(' - cgroup2 '));
    if (!v2) return t.skip('no cgroup2 hierarchy mounted');
    const cg = path.join(v2.split(' ')[4]!, `berth-test-${Math.random().toString(16).slice(2, 10)}`);
    fs.mkdirSync(cg);
    cgroupsToRemove.push(cg);
    const r = await run(sh('grep "^0::" /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/mounts; cat /sys/fs/cgroup/cgroup.procs | wc -l; mkdir /sys/fs/cgroup/x 2>/dev/null && echo writable || true'), {
      cgroups: [cg],
      cgroupMount: { version: 2, readonly: true },
    });
    assert.equal(r.exit.exitCode, 0, r.stdout + r.stderr);
    const [self, mount, procs, ...rest] = r.stdout.trim().split('\n');
    assert.equal(self, '0::/', 'the namespace is rooted at the container group');
    assert.match(mount!, /^cgroup2 \/sys\/fs\/cgroup cgroup2 ro,/);
    assert.ok(Number(procs) >= 2, `the group's processes are listed: ${procs}`);
    assert.deepEqual(rest, []);
  });

  test('the shim survives its spawner and stays small', async () => {
    const c = makeContainer({ args: ['sleep', '1.5'] });
    const script = path.join(tmp, 'spawner.mts');
    fs.writeFileSync(
      script,
      `import { spawnShim } from ${JSON.stringify(INDEX_TS)};\n` +
        `const s = await spawnShim(${JSON.stringify(c.config)});\n` +
        `process.stdout.write(JSON.stringify(s) + '\\n');\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    const spawner = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    spawner.stdout.on('data', (d) => (out += d));
    const started = await waitFor(() => (out.includes('\n') ? (JSON.parse(out) as { shimPid: number; pid: number }) : undefined), 20000, 'spawner');
    shims.push(started.shimPid);
    spawner.kill('SIGKILL');
    await new Promise((r) => spawner.once('exit', r));
    assert.ok(alive(started.shimPid), 'shim alive after its spawner died');
    assert.ok(alive(started.pid), 'container alive after its spawner died');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${started.shimPid}/status`, 'utf8'))![1]);
    assert.ok(rss <= 2048, `shim RSS ${rss} kB <= 2 MB`);
    const exit = await waitExit(c);
    assert.equal(exit.exitCode, 0);
  });
});

describe('addon', () => {
  test('shimPath points at the built shim', () => {
    assert.ok(fs.statSync(shimPath()).mode & 0o111);
  });

  test('lockFile is exclusive and unlockFile releases it', () => {
    const file = path.join(tmp, 'berth.lock');
    const fd = lockFile(file);
    assert.throws(() => lockFile(file), (e: unknown) => e instanceof NativeCallError && e.errno === os.constants.errno.EWOULDBLOCK);
    unlockFile(fd);
    unlockFile(lockFile(file));
  });

  test('mknod, setxattr, getxattr', () => {
    const fifo = path.join(tmp, 'fifo');
    mknod(fifo, S_IFIFO | 0o600, 0, 0);
    assert.ok(fs.statSync(fifo).isFIFO());
    const f = path.join(tmp, 'xattr');
    fs.writeFileSync(f, '');
    assert.equal(getxattr(f, 'user.berth'), null);
    setxattr(f, 'trusted.overlay.opaque', Buffer.from('y'));
    assert.deepEqual(getxattr(f, 'trusted.overlay.opaque'), Buffer.from('y'));
    assert.throws(() => getxattr(path.join(tmp, 'missing'), 'user.x'), (e: unknown) => e instanceof NativeCallError && e.errno === 2);
  });

  test('mountOverlay handles lower chains longer than a page', () => {
    const base = path.join(tmp, 'ovl');
    const lowers: string[] = [];
    for (let i = 0; i < 60; i++) {
      const name = `layer-${String(i).padStart(3, '0')}-${'x'.repeat(60)}`;
      fs.mkdirSync(path.join(base, name), { recursive: true });
      fs.writeFileSync(path.join(base, name, `f${i}`), String(i));
      lowers.push(name);
    }
    const target = path.join(tmp, 'ovl-mnt');
    for (const d of ['upper', 'work', 'ovl-mnt']) fs.mkdirSync(path.join(tmp, d === 'ovl-mnt' ? d : `ovl-${d}`), { recursive: true });
    assert.ok(lowers.map((l) => path.join(base, l)).join(':').length > 4096);
    const cwd = process.cwd();
    mountOverlay({ cwd: base, lower: lowers, upper: path.join(tmp, 'ovl-upper'), work: path.join(tmp, 'ovl-work'), target });
    try {
      assert.equal(fs.readFileSync(path.join(target, 'f0'), 'utf8'), '0');
      assert.equal(fs.readFileSync(path.join(target, 'f59'), 'utf8'), '59');
      assert.equal(process.cwd(), cwd, 'the server process never chdirs');
    } finally {
      umount(target);
    }
    // The fallback for kernels without "lowerdir+": the shim chdirs in its own process.
    const fifty = lowers.slice(0, 50);  // fits in a page relative to base, not as absolute paths
    assert.ok(fifty.join(':').length < 4000 && fifty.map((l) => path.join(base, l)).join(':').length > 4096);
    execFileSync(shimPath(), ['mount-overlay', JSON.stringify({ cwd: base, lower: fifty, target, readonly: true })]);
    try {
      assert.equal(fs.readFileSync(path.join(target, 'f42'), 'utf8'), '42');
    } finally {
      umount(target);
    }
    assert.throws(() => mountOverlay({ cwd: base, lower: ['a,b'], target }), (e: unknown) => e instanceof NativeCallError && e.errno === 22);
  });
});
