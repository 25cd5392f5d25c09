// User namespaces (issue #19) on real containers: the engine default is `auto` here, so every container
// without UsernsMode gets its own 65,536-id range; the rootfs arrives through idmapped mounts.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { ContainerCreateBody } from '../src/engine/types.ts';
import { makeEnv, removeCgroupParent, runToExit, sh, waitFor, type TestEnv } from './berth-helpers.ts';
import { Berth } from '../src/index.ts';
import { build, ok } from './build-exec-helpers.ts';
import { readTar } from './layers-helpers.ts';
import { parseSubIds, freeStart, RANGE_SIZE } from '../src/userns/subid.ts';
import { containerMode } from '../src/userns/mode.ts';

let env: TestEnv;
before(() => {
  process.env['BERTH_USERNS'] = 'auto';
  env = makeEnv('userns');
  delete process.env['BERTH_USERNS'];
});
after(async () => {
  await env.cleanup();
});

/** "0 196608 65536" → [0, 196608, 65536] */
const mapOf = (text: string): number[] => text.trim().split(/\s+/).map(Number);

async function running(body: Partial<ContainerCreateBody> = {}) {
  const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], ...body } as ContainerCreateBody);
  await c.start();
  const info = await c.inspect();
  return { c, pid: info.State.Pid };
}

function hostUid(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

describe('user namespaces: modes and ranges', () => {
  test('mode resolution: "" follows the engine, host opts out, privileged refuses a namespace', () => {
    assert.equal(containerMode('auto', '', false), 'auto');
    assert.equal(containerMode('auto', 'host', false), 'host');
    assert.equal(containerMode('host', 'private', false), 'auto');
    assert.equal(containerMode('remap', 'private', false), 'remap');
    assert.equal(containerMode('auto', '', true), 'host');
    assert.throws(() => containerMode('host', 'auto', true), /privileged mode is incompatible/);
    assert.throws(() => containerMode('host', 'bogus', false), /invalid user namespace mode/);
  });

  test('a new subordinate range overlaps none of the existing ones', () => {
    const taken = parseSubIds('alice:100000:65536\n# x\nbob:165536:65536\nbad line\n');
    assert.equal(taken.length, 2);
    const start = freeStart(taken, RANGE_SIZE * 4);
    assert.ok(start >= 231072 && start % RANGE_SIZE === 0, `start ${start}`);
  });

  test('auto: uid_map is not the identity, root is uid 0 inside, and the host sees the mapped uid', async () => {
    const { c, pid } = await running();
    try {
      const r = await sh(env.berth, 'cat /proc/self/uid_map; id -u; touch /written && echo ok');
      assert.equal(r.code, 0, r.stderr);
      const [map, uid, okLine] = r.stdout.trim().split('\n');
      const [inside, outside, size] = mapOf(map!);
      assert.equal(inside, 0);
      assert.ok(outside! >= 100000, `mapped to ${outside}`);
      assert.equal(size, 65536);
      assert.equal(uid, '0');
      assert.equal(okLine, 'ok', 'root writes its own rootfs (idmapped upper)');
      // ps on the host: the container's init runs as the mapped uid
      const inspect = await c.inspect();
      const mapped = JSON.parse(fs.readFileSync(path.join(env.root, 'userns', 'allocations.json'), 'utf8')).containers[inspect.Id];
      assert.ok(mapped, 'the allocation is on disk');
      assert.ok(hostUid(pid) >= 100000, `host uid ${hostUid(pid)}`);
      assert.equal(inspect.HostConfig.UsernsMode, '');
      assert.deepEqual(inspect.HostConfig.IDMappings?.UidMap, [`0:${hostUid(pid)}:65536`]);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('exec joins the user namespace too', async () => {
    const { c, pid } = await running();
    try {
      const x = await c.exec({ Cmd: ['sh', '-c', 'cat /proc/self/uid_map; id -u'], AttachStdout: true, AttachStderr: true });
      const s = await x.start({});
      let out = '';
      for await (const chunk of s) out += chunk.toString('latin1');
      const own = fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8');
      assert.ok(out.includes(own.trim().split(/\s+/).join(' ')) || mapOf(own)[1]! > 0, out);
      assert.match(out, /\b0\s+\d{6,}\s+65536/);
      assert.match(out, /\n?0\s*$/m);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('two containers get disjoint ranges, released on rm', async () => {
    const a = await running();
    const b = await running();
    const ra = mapOf(fs.readFileSync(`/proc/${a.pid}/uid_map`, 'utf8'));
    const rb = mapOf(fs.readFileSync(`/proc/${b.pid}/uid_map`, 'utf8'));
    assert.ok(ra[1]! + ra[2]! <= rb[1]! || rb[1]! + rb[2]! <= ra[1]!, `disjoint: ${ra} / ${rb}`);
    const file = path.join(env.root, 'userns', 'allocations.json');
    const ida = (await a.c.inspect()).Id;
    await a.c.remove({ force: true });
    await b.c.remove({ force: true });
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).containers[ida], undefined);
  });

  test('host, remap and auto side by side', async () => {
    const host = await running({ HostConfig: { UsernsMode: 'host' } } as Partial<ContainerCreateBody>);
    const remap1 = await running({ HostConfig: { UsernsMode: 'remap' } } as Partial<ContainerCreateBody>);
    const remap2 = await running({ HostConfig: { UsernsMode: 'remap' } } as Partial<ContainerCreateBody>);
    const auto = await running({ HostConfig: { UsernsMode: 'auto' } } as Partial<ContainerCreateBody>);
    try {
      const m = (p: number) => mapOf(fs.readFileSync(`/proc/${p}/uid_map`, 'utf8'));
      assert.deepEqual(m(host.pid), [0, 0, 4294967295]);
      assert.deepEqual(m(remap1.pid), m(remap2.pid), 'remap: one shared range');
      assert.notEqual(m(auto.pid)[1], m(remap1.pid)[1]);
      assert.equal(hostUid(host.pid), 0);
      assert.equal(hostUid(remap1.pid), m(remap1.pid)[1]);
    } finally {
      for (const x of [host, remap1, remap2, auto]) await x.c.remove({ force: true });
    }
  });

  test('info lists name=userns; privileged with a namespace is a 400', async () => {
    const info = await env.berth.info();
    assert.ok(info.SecurityOptions.includes('name=userns'), String(info.SecurityOptions));
    await assert.rejects(env.berth.createContainer({ Image: 'busybox', HostConfig: { Privileged: true, UsernsMode: 'auto' } } as ContainerCreateBody), /privileged mode is incompatible/);
  });
});

describe('user namespaces: files', () => {
  test("a named volume is the container root's: a file written there belongs to the mapped uid", async () => {
    const r = await runToExit(env.berth, { Cmd: ['sh', '-c', 'echo hi > /data/f; cat /proc/self/uid_map'], HostConfig: { Binds: ['uvol:/data'] } } as Partial<ContainerCreateBody>);
    assert.equal(r.code, 0, r.stderr);
    const mapped = mapOf(r.stdout)[1]!;
    const data = path.join(env.root, 'volumes', 'uvol', '_data');
    assert.equal(fs.statSync(path.join(data, 'f')).uid, mapped);
    assert.equal(fs.statSync(data).uid, mapped);
    await env.berth.getVolume('uvol').remove();
  });

  test("a bind mount keeps host ownership: container root cannot write a host root file, unless idmap", async () => {
    const dir = fs.mkdtempSync('/var/tmp/berth-uns-bind-');
    try {
      fs.chmodSync(dir, 0o755);
      fs.writeFileSync(path.join(dir, 'root-owned'), 'host\n', { mode: 0o644 });
      const plain = await sh(env.berth, 'echo x >> /b/root-owned && echo WROTE; stat -c %u /b/root-owned', { HostConfig: { Binds: [`${dir}:/b`] } } as Partial<ContainerCreateBody>);
      assert.ok(!plain.stdout.includes('WROTE'), plain.stdout);
      assert.match(plain.stdout, /65534/, 'unmapped host root shows as nobody');
      assert.equal(fs.readFileSync(path.join(dir, 'root-owned'), 'utf8'), 'host\n');
      const idmapped = await sh(env.berth, 'echo x >> /b/root-owned && echo WROTE; stat -c %u /b/root-owned', { HostConfig: { Binds: [`${dir}:/b:idmap`] } } as Partial<ContainerCreateBody>);
      assert.match(idmapped.stdout, /WROTE\n0\n/, idmapped.stdout + idmapped.stderr);
      assert.equal(fs.statSync(path.join(dir, 'root-owned')).uid, 0, 'still host root on disk');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('capabilities do not reach the host: with every capability added, what works as host root fails', async () => {
    const script = [
      'mkdir -p /m',
      'mount -t sysfs sys /m 2>/dev/null && echo SYSFS-MOUNTED',
      'mount -o remount,rw /proc/sys 2>/dev/null; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo PROCSYS-WRITTEN',
      'mknod /tmp/sda b 8 0 2>/dev/null && echo MKNOD',
      'echo done',
    ].join('; ');
    // As host root (the reference: each probe works there), then in the engine's default (auto).
    const host = await sh(env.berth, script, { HostConfig: { UsernsMode: 'host', CapAdd: ['ALL'] } } as Partial<ContainerCreateBody>);
    const auto = await sh(env.berth, script, { HostConfig: { CapAdd: ['ALL'] } } as Partial<ContainerCreateBody>);
    for (const probe of ['SYSFS-MOUNTED', 'PROCSYS-WRITTEN', 'MKNOD']) {
      assert.ok(host.stdout.includes(probe), `${probe} works as host root: ${host.stdout}`);
      assert.ok(!auto.stdout.includes(probe), `${probe} fails in a user namespace: ${auto.stdout}`);
    }
    assert.match(auto.stdout, /done/);
    // With the default capabilities too.
    const plain = await sh(env.berth, 'mount -t proc proc /m 2>/dev/null && echo PROC; echo x > /proc/sys/kernel/hostname 2>/dev/null && echo HN; echo done');
    assert.equal(plain.stdout, 'done\n');
  });

  test('a build with RUN chown 1000:1000 gives a layer whose tar says 1000', async () => {
    const id = ok(await build(env.berth, { Dockerfile: 'FROM busybox\nRUN touch /x && chown 1000:1000 /x && cat /proc/self/uid_map\n' }, { t: 'uns-chown' }));
    const c = await env.berth.ready();
    const rec = await c.stores.images.get(id);
    const blob = await c.stores.content.readStream(rec.layers[rec.layers.length - 1]!.digest);
    const entries = await readTar(blob.pipe(createGunzip()));
    const x = entries.find((e) => e.name === 'x');
    assert.ok(x, entries.map((e) => e.name).join(','));
    assert.equal(x.uid, 1000);
    assert.equal(x.gid, 1000);
    const r = await sh(env.berth, 'stat -c %u:%g /x', { Image: 'uns-chown' } as Partial<ContainerCreateBody>);
    assert.equal(r.stdout.trim(), '1000:1000');
  });
});

describe('user namespaces: restarts', () => {
  test('allocations survive a restart of the engine; the running container is found again', async () => {
    const { c, pid } = await running();
    const id = (await c.inspect()).Id;
    const before = mapOf(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'));
    await env.berth.close();
    process.env['BERTH_USERNS'] = 'auto'; // the reopened engine keeps the same default
    const again = env.open();
    delete process.env['BERTH_USERNS'];
    env.berth = again;
    const info = await again.getContainer(id).inspect();
    assert.equal(info.State.Running, true);
    const other = await running();
    const o = mapOf(fs.readFileSync(`/proc/${other.pid}/uid_map`, 'utf8'));
    assert.notEqual(o[1], before[1], 'the held range is not handed out again');
    await waitFor(() => true, 10, 'noop');
    await again.getContainer(id).remove({ force: true });
    await other.c.remove({ force: true });
  });
});

describe('user namespaces: other mounts', () => {
  test('a read-only rootfs, a tmpfs, and the host network (sysfs bound, not mounted) work in a namespace', async () => {
    const r = await sh(env.berth, 'touch /nope 2>/dev/null && echo WROTE; touch /t/ok && echo tmpfs; ls /sys/class/net | grep -c . ; cat /proc/self/uid_map', {
      HostConfig: { ReadonlyRootfs: true, Tmpfs: { '/t': '' }, NetworkMode: 'host' },
    } as Partial<ContainerCreateBody>);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('WROTE'), r.stdout);
    assert.match(r.stdout, /^tmpfs\n\d+\n\s*0\s+\d{6,}\s+65536\n$/);
  });
});

describe('user namespaces: other storage drivers', () => {
  test('vfs: the rootfs directory is idmapped as a whole; written owners stay container-relative on disk', async () => {
    const root = fs.mkdtempSync('/var/tmp/berth-t-unsvfs-');
    const cgroupParent = `berth-test-unsvfs-${process.pid}`;
    const b = new Berth({ root, run: path.join(root, 'run'), cgroupParent, storageDriver: 'vfs', userns: 'auto' });
    try {
      const r = await runToExit(b, { Cmd: ['sh', '-c', 'cat /proc/self/uid_map; touch /new && chown 1000:1000 /new && stat -c %u:%g /new /bin'] }, { keep: true });
      assert.equal(r.code, 0, r.stderr);
      const [map, own, bin] = r.stdout.trim().split('\n');
      assert.notEqual(mapOf(map!)[1], 0);
      assert.equal(own, '1000:1000');
      assert.equal(bin, '0:0');
      const diff = await b.getContainer(r.id).changes();
      assert.ok(diff?.some((d) => d.Path === '/new'), JSON.stringify(diff));
      const onDisk = execFileSync('find', [root, '-xdev', '-name', 'new', '-path', '*/new', '-newer', path.join(root, 'run')], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      assert.ok(onDisk.length >= 1, 'the file is in the container directory');
      for (const f of onDisk) assert.equal(`${fs.statSync(f).uid}:${fs.statSync(f).gid}`, '1000:1000', f);
    } finally {
      for (const c of await b.listContainers({ all: true })) await b.getContainer(c.Id).remove({ force: true }).catch(() => {});
      await b.close();
      removeCgroupParent(cgroupParent);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('user namespaces: docker cp', () => {
  test('cp out and in of a running container uses container-relative ids', async () => {
    const { c } = await running({ Cmd: ['sh', '-c', 'touch /own && chown 1000:1001 /own && sleep 60'] });
    try {
      await waitFor(async () => ((await c.infoArchive({ path: '/own' }).catch(() => undefined)) ? true : undefined), 5000, '/own');
      const out = await c.getArchive({ path: '/own' });
      const entries = await readTar(out);
      assert.equal(entries[0]!.uid, 1000);
      assert.equal(entries[0]!.gid, 1001);
      const { makeTar } = await import('./layers-helpers.ts');
      await c.putArchive(await makeTar([{ name: 'put', body: 'x', mode: 0o644, uid: 7, gid: 8 }]), { path: '/' });
      const x = await c.exec({ Cmd: ['stat', '-c', '%u:%g', '/put'], AttachStdout: true, AttachStderr: true });
      let text = '';
      for await (const chunk of await x.start({})) text += chunk.toString('latin1');
      assert.match(text, /7:8/);
    } finally {
      await c.remove({ force: true });
    }
  });
});

describe('user namespaces: kill -9 of the server', () => {
  test('a container in a namespace survives a SIGKILL of its owner; the new owner keeps its range', async () => {
    const own = makeEnv('unsk');
    try {
      const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
      const script = path.join(own.root, 'child.mts');
      fs.writeFileSync(
        script,
        `import { Berth } from ${JSON.stringify(index)};\n` +
          `const b = new Berth({ root: ${JSON.stringify(own.root)}, run: ${JSON.stringify(own.run)}, cgroupParent: ${JSON.stringify(own.cgroupParent)}, userns: 'auto' });\n` +
          `const c = await b.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });\nawait c.start();\n` +
          `console.log(c.id);\nsetInterval(() => {}, 1000);\n`,
      );
      const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
      const id = await new Promise<string>((resolve, reject) => {
        let buf = '';
        proc.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) resolve(buf.trim());
        });
        proc.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await gone;

      const b = own.berth; // another process than the one that started it
      const info = await b.getContainer(id).inspect();
      assert.equal(info.State.Running, true);
      const range = mapOf(fs.readFileSync(`/proc/${info.State.Pid}/uid_map`, 'utf8'));
      assert.ok(range[1]! >= 100000);
      const x = await b.getContainer(id).exec({ Cmd: ['cat', '/proc/self/uid_map'], AttachStdout: true });
      let out = '';
      for await (const chunk of await x.start({})) out += chunk.toString('latin1');
      assert.ok(out.includes(String(range[1])), out);
      const other = await b.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { UsernsMode: 'auto' } } as ContainerCreateBody);
      await other.start();
      const o = mapOf(fs.readFileSync(`/proc/${(await other.inspect()).State.Pid}/uid_map`, 'utf8'));
      assert.notEqual(o[1], range[1], 'the held range is not handed out again');
    } finally {
      await own.cleanup();
    }
  });
});
