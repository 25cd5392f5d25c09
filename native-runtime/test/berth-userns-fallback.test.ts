// User namespaces where idmapped mounts are refused (issue #19): the Berth root lives on ramfs, which
// this kernel cannot idmap (no FS_ALLOW_IDMAP; the first test checks that for real), so `auto` and
// `remap` containers stack chowned copies of the image's layers (src/userns/layer-copies.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { ContainerCreateBody } from '../src/engine/types.ts';
import { Berth } from '../src/index.ts';
import { mount, umount, MNT_DETACH } from '../src/native/index.ts';
import { probeIdmap } from '../src/userns/idmap-probe.ts';
import { removeCgroupParent, sh, waitFor } from './berth-helpers.ts';
import { build, ok } from './build-exec-helpers.ts';
import { makeTar, readTar } from './layers-helpers.ts';
import { demux } from '../src/logs/format.ts';

interface RamEnv {
  root: string;
  run: string;
  cgroupParent: string;
  open(): Berth;
}

const root = fs.mkdtempSync('/var/tmp/berth-ufb-');
const env: RamEnv = {
  root,
  run: path.join(root, 'run'),
  cgroupParent: `berth-test-ufb-${randomBytes(3).toString('hex')}`,
  open: () => new Berth({ root, run: path.join(root, 'run'), cgroupParent: env.cgroupParent, userns: 'auto' }),
};
let berth: Berth;

before(() => {
  mount('ramfs', root, 'ramfs', 0, 'mode=0755');
  berth = env.open();
});
after(async () => {
  try {
    for (const c of await berth.listContainers({ all: true })) await berth.getContainer(c.Id).remove({ force: true }).catch(() => {});
  } finally {
    await berth.close();
    removeCgroupParent(env.cgroupParent);
    umount(root, MNT_DETACH);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

const layersDir = () => path.join(root, 'userns', 'layers');
/** Every copy directory: <range>/<layer>. */
function copyDirs(): string[] {
  if (!fs.existsSync(layersDir())) return [];
  return fs.readdirSync(layersDir()).flatMap((r) => fs.readdirSync(path.join(layersDir(), r)).map((l) => path.join(layersDir(), r, l)));
}

async function running(body: Partial<ContainerCreateBody> = {}) {
  const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '120'], ...body } as ContainerCreateBody);
  await c.start();
  const info = await c.inspect();
  return { c, id: info.Id, pid: info.State.Pid };
}

function hostUid(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

async function execOut(b: Berth, id: string, cmd: string[]): Promise<string> {
  const x = await b.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const chunks: Buffer[] = [];
  for await (const chunk of await x.start({})) chunks.push(Buffer.from(chunk as Buffer));
  const d = demux(Buffer.concat(chunks));
  return d.stdout.toString() + d.stderr.toString();
}

describe('user namespaces without idmapped mounts: chowned copies', () => {
  test('ramfs really refuses MOUNT_ATTR_IDMAP (the path is not forced by a setting)', async () => {
    const r = await probeIdmap(root);
    assert.equal(r.idmap, false);
    assert.match(r.idmap ? '' : r.reason, /MOUNT_ATTR_IDMAP/);
    assert.equal((await probeIdmap('/var/tmp')).idmap, true, 'the same probe accepts an ordinary filesystem');
    const info = await berth.info();
    assert.ok(info.DriverStatus.some(([k, v]) => k === 'Userns Idmapped Layers' && v === 'false (chowned copies)'), JSON.stringify(info.DriverStatus));
  });

  test('auto: image files owned by container root are root inside; writes land in the container layer', async () => {
    const { c, id, pid } = await running();
    try {
      const mapped = hostUid(pid);
      assert.ok(mapped >= 100000, `host uid ${mapped}`);
      const map = fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).map(Number);
      assert.deepEqual(map, [0, mapped, 65536]);
      const out = await execOut(berth, id, ['sh', '-c', 'id -u; stat -c %u:%g /bin/busybox /etc/passwd /; echo data > /written && stat -c %u /written']);
      assert.deepEqual(out.trim().split('\n'), ['0', '0:0', '0:0', '0:0', '0']);
      const rec = await c.inspect();
      const upper = rec.GraphDriver.Data!['UpperDir']!;
      const st = fs.statSync(path.join(upper, 'written'));
      assert.equal(st.uid, mapped, 'the container layer holds the host id');
      // The lowers are the copies, owned by the mapped root on disk; the image's own layers are untouched.
      const lowers = rec.GraphDriver.Data!['LowerDir']!.split(':');
      const copies = lowers.slice(1);
      assert.ok(copies.every((d) => d.startsWith(path.join(layersDir(), `${mapped}-`))), lowers.join('\n'));
      assert.equal(fs.statSync(path.join(copies[0]!, 'bin', 'busybox')).uid, mapped);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('exec, cp in and out with container ids, restart, commit', async () => {
    const { c, id, pid } = await running();
    try {
      const mapped = hostUid(pid);
      // cp in: a file owned by uid 0 and one by 1000 arrive as container root and 1000.
      await c.putArchive(await makeTar([{ name: 'in-root', mode: 0o644, uid: 0, gid: 0, body: 'r\n' }]), { path: '/' });
      await c.putArchive(await makeTar([{ name: 'in-user', mode: 0o644, uid: 1000, gid: 1000, body: 'u\n' }]), { path: '/tmp' });
      const out = await execOut(berth, id, ['stat', '-c', '%u:%g', '/in-root', '/tmp/in-user']);
      assert.deepEqual(out.trim().split('\n'), ['0:0', '1000:1000']);
      // cp out: container-relative ids in the tar.
      const entries = await readTar(await c.getArchive({ path: '/in-root' }));
      assert.equal(entries[0]!.uid, 0);
      // restart: same range, the container layer kept.
      await c.restart({ t: 0 });
      const info = await c.inspect();
      assert.equal(hostUid(info.State.Pid), mapped);
      assert.equal((await execOut(berth, id, ['cat', '/in-root'])).trim(), 'r');
      // cp out of the stopped container: still container ids.
      await c.stop({ t: 0 });
      const stopped = await readTar(await c.getArchive({ path: '/tmp/in-user' }));
      assert.equal(stopped[0]!.uid, 1000);
      // export: container ids throughout (copies and upper hold host ids on disk).
      const exported = await readTar(await c.export());
      const owners = (n: string) => exported.filter((e) => e.name.replace(/^\.?\//, '') === n).map((e) => `${e.uid}:${e.gid}`);
      assert.deepEqual(owners('bin/busybox'), ['0:0']);
      assert.deepEqual(owners('in-root'), ['0:0']);
      assert.deepEqual(owners('tmp/in-user'), ['1000:1000']);
      assert.ok(exported.every((e) => (e.uid ?? 0) < 65536), 'no host id leaks into the export');
            // commit: the layer's tar holds container ids, never the host's mapped ones.
      const img = await c.commit({ repo: 'ufb-commit' });
      const r = await sh(berth, 'stat -c %u:%g /in-root /tmp/in-user', { Image: img.Id, HostConfig: { UsernsMode: 'host' } } as Partial<ContainerCreateBody>);
      assert.deepEqual(r.stdout.trim().split('\n'), ['0:0', '1000:1000']);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('a build RUN step in the fallback gives a layer with container ids', async () => {
    const id = ok(await build(berth, { Dockerfile: 'FROM busybox\nRUN touch /x && chown 1000:1000 /x && cat /proc/self/uid_map\n' }, { t: 'ufb-chown' }));
    assert.ok(id);
    const r = await sh(berth, 'stat -c %u:%g /x /bin/busybox', { Image: 'ufb-chown', HostConfig: { UsernsMode: 'host' } } as Partial<ContainerCreateBody>);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1000:1000', '0:0']);
  });

  test('different ranges get separate copies; one range shares one copy; removal removes them', async () => {
    assert.deepEqual(copyDirs(), [], 'earlier containers left no copies');
    const a = await running();
    const b = await running();
    const aDirs = copyDirs().filter((d) => d.includes(`/${hostUid(a.pid)}-`));
    const bDirs = copyDirs().filter((d) => d.includes(`/${hostUid(b.pid)}-`));
    assert.ok(aDirs.length > 0 && bDirs.length === aDirs.length, copyDirs().join('\n'));
    assert.notEqual(hostUid(a.pid), hostUid(b.pid));
    // `remap`: every such container shares one range, so the second reuses the first's copies.
    const r1 = await running({ HostConfig: { UsernsMode: 'remap' } } as Partial<ContainerCreateBody>);
    const remapDirs = copyDirs().filter((d) => d.includes(`/${hostUid(r1.pid)}-`));
    const inodes = remapDirs.map((d) => fs.statSync(d).ino);
    const r2 = await running({ HostConfig: { UsernsMode: 'remap' } } as Partial<ContainerCreateBody>);
    assert.equal(hostUid(r2.pid), hostUid(r1.pid));
    assert.deepEqual(copyDirs().filter((d) => d.includes(`/${hostUid(r1.pid)}-`)).map((d) => fs.statSync(d).ino), inodes, 'no new copy');
    const copiesOf = async (x: typeof r1) => (await x.c.inspect()).GraphDriver.Data!['LowerDir']!.split(':').slice(1);
    assert.deepEqual(await copiesOf(r2), await copiesOf(r1));
    assert.deepEqual([...(await copiesOf(r1))].sort(), [...remapDirs].sort());
    // docker system df counts the copies as layers.
    const withCopies = (await berth.df()).LayersSize;
    // Removal: a copy goes with the last container that stacks it.
    await a.c.remove({ force: true });
    assert.ok((await berth.df()).LayersSize < withCopies, 'a removed copy leaves LayersSize');
    assert.ok(aDirs.every((d) => !fs.existsSync(d)));
    assert.ok(bDirs.every((d) => fs.existsSync(d)));
    await r1.c.remove({ force: true });
    assert.ok(remapDirs.every((d) => fs.existsSync(d)), 'r2 still uses them');
    assert.equal((await execOut(berth, r2.id, ['cat', '/etc/passwd'])).includes('root:'), true);
    await r2.c.remove({ force: true });
    await b.c.remove({ force: true });
    assert.deepEqual(copyDirs(), []);
  });

  test('a kill -9 mid-copy leaves no half copy that a later container uses', async () => {
    // A layer big enough that its copy takes a while: 20,000 files.
    ok(await build(berth, { Dockerfile: 'FROM busybox\nRUN mkdir /many && cd /many && seq 1 20000 | xargs touch\n' }, { t: 'ufb-many' }));
    for (const c of await berth.listContainers({ all: true })) await berth.getContainer(c.Id).remove({ force: true });
    assert.deepEqual(copyDirs(), []);
    await berth.close();
    const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = path.join(root, 'child.mts');
    fs.writeFileSync(
      script,
      `import { Berth } from ${JSON.stringify(index)};\n` +
        `const b = new Berth({ root: ${JSON.stringify(root)}, run: ${JSON.stringify(env.run)}, cgroupParent: ${JSON.stringify(env.cgroupParent)}, userns: 'auto' });\n` +
        `await b.createContainer({ Image: 'ufb-many', Cmd: ['true'] });\nconsole.log('created');\n`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    // Killed as soon as a copy is under way (a temp dir exists), before it is renamed into place.
    const tmp = await waitFor(() => copyDirs().find((d) => path.basename(d).startsWith('.tmp-')), 60_000, 'a copy under way');
    proc.kill('SIGKILL');
    assert.equal(await exited, null, 'the child was killed, not finished');
    assert.ok(fs.existsSync(tmp), 'the interrupted copy is still there');

    berth = env.open();
    const r = await sh(berth, 'ls /many | wc -l; stat -c %u /many/20000', { Image: 'ufb-many' } as Partial<ContainerCreateBody>);
    assert.deepEqual(r.stdout.trim().split(/\s+/), ['20000', '0'], r.stderr);
    assert.ok(!fs.existsSync(tmp), 'the leftover is collected');
    assert.ok(copyDirs().every((d) => !path.basename(d).startsWith('.tmp-')));
  });

  test('vfs has no fallback: a namespaced create is a 400 naming the probe and --userns=host', async () => {
    const vroot = fs.mkdtempSync('/var/tmp/berth-ufbv-');
    mount('ramfs', vroot, 'ramfs', 0, 'mode=0755');
    const v = new Berth({ root: vroot, run: path.join(vroot, 'run'), cgroupParent: env.cgroupParent, userns: 'auto', storageDriver: 'vfs' });
    try {
      await assert.rejects(
        v.createContainer({ Image: 'busybox', Cmd: ['true'] } as ContainerCreateBody),
        (e: { statusCode?: number; message: string }) => e.statusCode === 400 && /MOUNT_ATTR_IDMAP/.test(e.message) && /--userns=host/.test(e.message),
      );
      const r = await sh(v, 'id -u', { HostConfig: { UsernsMode: 'host' } } as Partial<ContainerCreateBody>);
      assert.equal(r.stdout.trim(), '0', 'host mode still runs there');
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(vroot, 'userns', 'allocations.json'), 'utf8')).containers, {}, 'the refused create released its range');
    } finally {
      await v.close();
      umount(vroot, MNT_DETACH);
      fs.rmSync(vroot, { recursive: true, force: true });
    }
  });
});
