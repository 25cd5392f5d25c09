// The real docker CLI against Berth for the runtime defaults of issue 16 (items 8, 10, 11): what the CLI
// sends for --entrypoint '', --privileged, --cap-add and --security-opt, and what it shows back. dockerd's
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
    const profile = path.join(e.root, 'profile.json');
    fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }));
    const r = await e.docker(['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'true']);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /custom seccomp profiles are not supported by Berth/);
    // The CLI turns systempaths=unconfined into empty MaskedPaths and ReadonlyPaths.
    const sys = await ok(['run', '--rm', '--security-opt', 'systempaths=unconfined', 'busybox', 'sh', '-c', 'grep -cE " /proc/(keys|timer_list|sys) " /proc/mounts || true']);
    assert.equal(sys.stdout, '0\n');
    const masked = await ok(['run', '--rm', 'busybox', 'sh', '-c', 'grep -cE " /proc/(keys|timer_list|sys) " /proc/mounts || true']);
    assert.notEqual(masked.stdout, '0\n');
    const bad = await e.docker(['run', '--rm', '--security-opt', 'bogus=1', 'busybox', 'true']);
    assert.match(bad.stderr, /invalid --security-opt 2: "bogus=1"/);
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
