// The real docker CLI against Berth for the runtime defaults of issue 16 (items 8, 10, 11): what the CLI
// sends for --entrypoint '', --privileged, --cap-add, --security-opt (custom seccomp profiles included) and
// exec --privileged, and what it shows back. dockerd's
// behaviour is the reference (moby mergeAndVerifyConfig, parseSecurityOpt, initlayer).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApiEnv, type ApiEnv } from './test-env.ts';

describe('docker CLI: entrypoint, privileges and the init layer', () => {
  let e: ApiEnv;
  const ok = async (args: string[]) => {
    const r = await e.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    e = await startApiEnv('rtdef');
  });
  after(async () => {
    await e?.cleanup();
  });

  it("--entrypoint '' resets the entrypoint and runs the command (the CLI sends Entrypoint [\"\"])", async () => {
    // An image with an entrypoint, so the reset is visible.
    await ok(['commit', '--change', 'ENTRYPOINT ["/bin/false"]', (await ok(['create', 'busybox', 'true'])).stdout.trim(), 'withentry:v1']);
    assert.equal((await ok(['run', '--rm', '--entrypoint', '', 'withentry:v1', 'echo', 'hi'])).stdout, 'hi\n');
    const id = (await ok(['create', '--entrypoint', '', 'withentry:v1', 'echo', 'x'])).stdout.trim();
    assert.equal((await ok(['inspect', '-f', '{{json .Config.Entrypoint}} {{.Path}} {{json .Args}}', id])).stdout.trim(), 'null echo ["x"]');
    // As dockerd: with the entrypoint reset and no command, there is nothing to run.
    const none = await e.docker(['create', '--entrypoint', '', 'withentry:v1']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no command specified/i);
  });

  it('--privileged and --cap-add ALL run; the capabilities the engine lacks are a WARNING', async () => {
    const r = await ok(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'ls /dev/loop0; grep ^Seccomp: /proc/self/status']);
    assert.match(r.stdout, /^\/dev\/loop0\nSeccomp:\s+0\n$/);
    const missing = !/^CapBnd:\s+0*1ffffffffff$/m.test(fs.readFileSync('/proc/self/status', 'utf8'));
    if (missing) assert.match(r.stderr, /WARNING: Capabilities not held by the engine were left out: CAP_/);
    const all = await ok(['run', '--rm', '--cap-add', 'ALL', 'busybox', 'sh', '-c', 'mkdir -p /mnt && mount -t tmpfs t /mnt && echo mounted']);
    assert.equal(all.stdout, 'mounted\n');
  });

  it('--cap-add SYS_ADMIN can mount; --security-opt seccomp=unconfined and a profile file', async () => {
    assert.equal((await ok(['run', '--rm', '--cap-add', 'SYS_ADMIN', 'busybox', 'sh', '-c', 'mkdir -p /mnt && mount -t tmpfs t /mnt && echo ok'])).stdout, 'ok\n');
    assert.match((await ok(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'grep', '^Seccomp:', '/proc/self/status'])).stdout, /Seccomp:\s+0/);
    // (Custom profiles: the next test.)
    // The CLI turns systempaths=unconfined into empty MaskedPaths and ReadonlyPaths.
    const sys = await ok(['run', '--rm', '--security-opt', 'systempaths=unconfined', 'busybox', 'sh', '-c', 'grep -cE " /proc/(keys|timer_list|sys) " /proc/mounts || true']);
    assert.equal(sys.stdout, '0\n');
    const masked = await ok(['run', '--rm', 'busybox', 'sh', '-c', 'grep -cE " /proc/(keys|timer_list|sys) " /proc/mounts || true']);
    assert.notEqual(masked.stdout, '0\n');
    const bad = await e.docker(['run', '--rm', '--security-opt', 'bogus=1', 'busybox', 'true']);
    assert.match(bad.stderr, /invalid --security-opt 2: "bogus=1"/);
  });

  it('--security-opt seccomp=<profile.json> (the format moby reads): actions, errnoRet, args, excludes.caps; execs get it too', async () => {
    // Before: every custom profile was a 400. dockerd (via runc/libseccomp) applies the rules below so.
    const write = (name: string, p: unknown): string => {
      const f = path.join(e.root, name);
      fs.writeFileSync(f, JSON.stringify(p));
      return f;
    };
    const profile = write('profile.json', {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        // mkdir fails with EACCES unless CAP_SYS_ADMIN is granted.
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, excludes: { caps: ['CAP_SYS_ADMIN'] } },
        // chmod with the setuid bit (mode & 04000 == 04000) fails with EPERM; other modes pass.
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o4000, valueTwo: 0o4000, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0o4000, valueTwo: 0o4000, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['no_such_call_here'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    const script = 'grep ^Seccomp: /proc/self/status; mkdir /d 2>&1 || echo mkdir-refused; touch /f; chmod 755 /f && echo chmod-ok; chmod 4755 /f 2>&1 || echo suid-refused';
    const r = await ok(['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', script]);
    assert.match(r.stdout, /^Seccomp:\s+2\n/);
    assert.match(r.stdout, /Permission denied\nmkdir-refused\n/);
    assert.match(r.stdout, /chmod-ok\n.*Operation not permitted\nsuid-refused\n$/s);
    const admin = await ok(['run', '--rm', '--cap-add', 'SYS_ADMIN', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', 'mkdir /d && echo made']);
    assert.equal(admin.stdout, 'made\n');
    // An exec runs under the container's profile.
    const id = (await ok(['run', '-d', '--security-opt', `seccomp=${profile}`, 'busybox', 'sleep', '300'])).stdout.trim();
    const x = await e.docker(['exec', id, 'mkdir', '/e']);
    assert.notEqual(x.code, 0);
    assert.match(x.stderr, /Permission denied/);
    await ok(['rm', '-f', id]);
    // A default-deny profile (defaultErrnoRet) that allows just what sh and echo need.
    const deny = write('deny.json', {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      syscalls: [{ names: ['execve', 'brk', 'mmap', 'munmap', 'mprotect', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'getrandom', 'exit_group', 'write', 'read', 'close', 'openat', 'newfstatat', 'fstat', 'access', 'pread64', 'getpid', 'getppid', 'getuid', 'geteuid', 'getgid', 'getegid', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'uname', 'ioctl', 'fcntl', 'getcwd', 'stat', 'lstat', 'readlink', 'capget', 'capset', 'prctl', 'setgroups', 'setgid', 'setuid', 'setresuid', 'setresgid', 'chdir', 'getdents64', 'lseek', 'dup2', 'dup3', 'sysinfo', 'wait4', 'fork', 'vfork', 'clone'], action: 'SCMP_ACT_ALLOW' }],
    });
    assert.equal((await ok(['run', '--rm', '--security-opt', `seccomp=${deny}`, 'busybox', 'echo', 'allowed'])).stdout, 'allowed\n');
    const refused = await e.docker(['run', '--rm', '--security-opt', `seccomp=${deny}`, 'busybox', 'mkdir', '/z']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Operation not permitted/);
    // Bad input: a clear 400, naming the field.
    const bad = await e.docker(['run', '--rm', '--security-opt', `seccomp=${write('bad.json', { defaultAction: 'SCMP_ACT_MAYBE' })}`, 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /Decoding seccomp profile failed: defaultAction/);
  });

  it('docker exec --privileged: every capability the engine holds, as dockerd (was a 400)', async () => {
    // dockerd 20.10 (reference): CapEff is the full set and the container's seccomp filter stays (Seccomp 2).
    // Berth's filter opens mount for the exec's CAP_SYS_ADMIN, as Docker's profile does for a granted cap.
    const id = (await ok(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
    const plain = await ok(['exec', id, 'grep', '-E', '^(CapEff|Seccomp):', '/proc/self/status']);
    assert.match(plain.stdout, /CapEff:\s+00000000a80425fb\nSeccomp:\s+2\n/);
    const priv = await ok(['exec', '--privileged', id, 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; mkdir -p /m && mount -t tmpfs t /m && echo mounted']);
    const held = /^CapBnd:\s+([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];
    assert.match(priv.stdout, new RegExp(`CapEff:\\s+${held}\\nSeccomp:\\s+2\\nmounted\\n`));
    // The container's own processes keep their set.
    assert.match((await ok(['exec', id, 'grep', '^CapEff:', '/proc/1/status'])).stdout, /a80425fb/);
    await ok(['rm', '-f', id]);
  });

  it('/.dockerenv exists and `docker export` carries the init layer', async () => {
    assert.equal((await ok(['run', '--rm', 'busybox', 'ls', '/.dockerenv'])).stdout, '/.dockerenv\n');
    const id = (await ok(['create', 'busybox', 'true'])).stdout.trim();
    const tar = path.join(e.root, 'export.tar');
    await ok(['export', '-o', tar, id]);
    const names = new Set(execFileSync('tar', ['-tf', tar]).toString().split('\n').map((n) => n.replace(/^\.\//, '').replace(/\/$/, '')));
    for (const n of ['.dockerenv', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'etc/mtab', 'dev/console', 'dev/pts', 'dev/shm', 'proc', 'sys']) {
      assert.ok(names.has(n), `${n} in docker export`);
    }
  });
});
