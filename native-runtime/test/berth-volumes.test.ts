// Volumes with real containers: persistence, sharing, read-only, in-use protection, copy-up from the
// image, bind and tmpfs mounts, inspect shapes, prune and events. NetworkMode none: no bridge needed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EngineEvent } from '../src/engine/types.ts';
import { collectJson, makeEnv, sh, type TestEnv } from './berth-helpers.ts';

let env: TestEnv;
before(() => {
  env = makeEnv('vol');
});
after(async () => {
  await env.cleanup();
});

const none = { NetworkMode: 'none' };

describe('volumes', () => {
  test('a named volume persists across containers and two containers share writes', async () => {
    const b = env.berth;
    const v = await b.createVolume({ Name: 'keep', Labels: { team: 'a' } });
    assert.equal(v.Name, 'keep');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.deepEqual(v.Labels, { team: 'a' });
    assert.equal(v.Mountpoint, path.join(env.root, 'volumes', 'keep', '_data'));
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

    const w = await sh(b, 'echo persisted > /data/f && id -u > /data/uid', { HostConfig: { ...none, Binds: ['keep:/data'] } });
    assert.equal(w.code, 0, w.stderr);
    const r2 = await sh(b, 'cat /mnt/k/f', { HostConfig: { ...none, Mounts: [{ Type: 'volume', Source: 'keep', Target: '/mnt/k' }] } });
    assert.equal(r2.stdout, 'persisted\n');
    // The host sees the same file: volumes bypass the overlay.
    assert.equal(fs.readFileSync(path.join(v.Mountpoint, 'f'), 'utf8'), 'persisted\n');

    // A running writer and a second container see each other's writes.
    const writer = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo one > /s/x; sleep 30'], HostConfig: { ...none, Binds: ['keep:/s'] } });
    await writer.start();
    try {
      let seen = '';
      for (let i = 0; i < 50 && seen !== 'one\n'; i++) seen = (await sh(b, 'cat /s/x 2>/dev/null; true', { HostConfig: { ...none, Binds: ['keep:/s'] } })).stdout;
      assert.equal(seen, 'one\n');
    } finally {
      await writer.remove({ force: true });
    }
  });

  test('read-only mounts are enforced (EROFS) and shown RW:false', async () => {
    const b = env.berth;
    await b.createVolume({ Name: 'rov' });
    const c = await b.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'touch /ro/x 2>&1; echo rc=$?; touch /ro2/y 2>&1; echo rc=$?; grep -E " /ro2? " /proc/mounts'],
      HostConfig: { ...none, Binds: ['rov:/ro:ro'], Mounts: [{ Type: 'bind', Source: env.root, Target: '/ro2', ReadOnly: true }] },
    });
    const ins = await c.inspect();
    const byDest = Object.fromEntries(ins.Mounts.map((m) => [m.Destination, m]));
    assert.deepEqual(byDest['/ro'], {
      Type: 'volume',
      Name: 'rov',
      Source: path.join(env.root, 'volumes', 'rov', '_data'),
      Destination: '/ro',
      Driver: 'local',
      Mode: 'ro',
      RW: false,
      Propagation: '',
    });
    assert.deepEqual(byDest['/ro2'], { Type: 'bind', Source: env.root, Destination: '/ro2', Mode: '', RW: false, Propagation: 'rprivate' });
    assert.deepEqual(ins.HostConfig.Binds, ['rov:/ro:ro']);
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    await waited;
    const out = ((await c.logs({ stdout: true, stderr: true })) as Buffer).toString();
    assert.match(out, /Read-only file system[\s\S]*rc=1[\s\S]*Read-only file system[\s\S]*rc=1/);
    for (const line of out.split('\n').filter((l) => / \/ro2? /.test(l))) assert.match(line, /\bro\b/, line);
    assert.ok(!fs.existsSync(path.join(env.root, 'x')) && !fs.existsSync(path.join(env.root, 'volumes', 'rov', '_data', 'x')));
    await c.remove();
  });

  test('a volume in use (even by a stopped container) cannot be removed: 409', async () => {
    const b = env.berth;
    await b.createVolume({ Name: 'busy' });
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { ...none, Binds: ['busy:/b'] } });
    await assert.rejects(b.getVolume('busy').remove(), (e: { statusCode: number; message: string }) => {
      assert.equal(e.statusCode, 409);
      assert.equal(e.message, `remove busy: volume is in use - [${c.id}]`);
      return true;
    });
    const dangling = await b.listVolumes({ filters: { dangling: ['true'] } });
    assert.ok(!dangling.Volumes!.some((v) => v.Name === 'busy'));
    await c.remove();
    await b.getVolume('busy').remove();
    await assert.rejects(b.getVolume('busy').inspect(), { statusCode: 404, message: 'get busy: no such volume' });
  });

  test("a new named volume is pre-filled from the image's content, with owners and modes (unless NoCopy)", async () => {
    const b = env.berth;
    const r = await sh(b, 'ls /etc; stat -c "%a %u" /etc/passwd', { HostConfig: { ...none, Binds: ['etcvol:/etc'] } });
    assert.equal(r.code, 0, r.stderr);
    const data = path.join(env.root, 'volumes', 'etcvol', '_data');
    assert.match(fs.readFileSync(path.join(data, 'passwd'), 'utf8'), /^root:/m);
    const img = fs.statSync(path.join(data, 'passwd'));
    assert.equal(r.stdout.trim().split('\n').at(-1), `${(img.mode & 0o777).toString(8)} ${img.uid}`);
    // A volume that already has content is not overwritten.
    fs.writeFileSync(path.join(data, 'passwd'), 'mine\n');
    const again = await sh(b, 'cat /etc/passwd', { HostConfig: { ...none, Binds: ['etcvol:/etc'] } });
    assert.equal(again.stdout, 'mine\n');
    // NoCopy leaves it empty.
    const nocopy = await sh(b, 'ls -A /etc | wc -l', { HostConfig: { ...none, Mounts: [{ Type: 'volume', Source: 'etcnocopy', Target: '/etc', VolumeOptions: { NoCopy: true } }] } });
    assert.equal(nocopy.stdout.trim(), '0');
  });

  test('bind of a missing path is a 400 with Docker\'s words; bad specs are 400s', async () => {
    const b = env.berth;
    const missing = path.join(env.root, 'does-not-exist');
    for (const HostConfig of [{ Binds: [`${missing}:/x`] }, { Mounts: [{ Type: 'bind' as const, Source: missing, Target: '/x' }] }]) {
      await assert.rejects(b.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { ...none, ...HostConfig } }), {
        statusCode: 400,
        message: `invalid mount config for type "bind": bind source path does not exist: ${missing}`,
      });
    }
    await assert.rejects(b.createContainer({ Image: 'busybox', HostConfig: { Binds: ['v:/x:bogus'] } }), { statusCode: 400, message: 'invalid mode: bogus' });
    await assert.rejects(b.createContainer({ Image: 'busybox', HostConfig: { Binds: ['aa:/x', 'bb:/x'] } }), { statusCode: 400, message: 'Duplicate mount point: /x' });
    await assert.rejects(b.createVolume({ Name: 'a/b' }), { statusCode: 400 });
    // Nothing half-made was left behind.
    assert.equal((await b.listContainers({ all: true })).length, 0);
    assert.ok(!(await b.listVolumes()).Volumes!.some((v) => ['aa', 'bb', 'v'].includes(v.Name)));
  });

  test('tmpfs mounts: size, mode and noexec; HostConfig.Tmpfs too', async () => {
    const b = env.berth;
    const r = await sh(b, 'grep -E " /(t|run2) " /proc/mounts; stat -c %a /t; echo x > /t/f && cat /t/f', {
      HostConfig: { ...none, Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 4 * 1024 * 1024, Mode: 0o1770 } }], Tmpfs: { '/run2': 'rw,size=1m' } },
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const t = lines.find((l) => l.includes(' /t '))!;
    assert.match(t, /^tmpfs \/t tmpfs rw,nosuid,nodev,noexec,.*size=4096k.*mode=1770/);
    assert.match(lines.find((l) => l.includes(' /run2 '))!, /size=1024k/);
    assert.deepEqual(lines.slice(-2), ['1770', 'x']);
  });

  test('image VOLUMEs and unnamed Mounts become anonymous volumes; rm -v and prune remove them', async () => {
    const b = env.berth;
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['true'], Volumes: { '/anon': {} }, HostConfig: { ...none, Mounts: [{ Type: 'volume', Target: '/anon2' }] } });
    const mounts = (await c.inspect()).Mounts;
    assert.equal(mounts.length, 2);
    for (const m of mounts) {
      assert.equal(m.Type, 'volume');
      assert.match(m.Name!, /^[0-9a-f]{64}$/);
    }
    const anonNames = mounts.map((m) => m.Name!);
    const v = await b.getVolume(anonNames[0]!).inspect();
    assert.deepEqual(v.Labels, { 'com.docker.volume.anonymous': '' });
    await c.remove({ v: true });
    const after1 = (await b.listVolumes()).Volumes!.map((x) => x.Name);
    for (const n of anonNames) assert.ok(!after1.includes(n), 'rm -v removed the anonymous volume');

    // Anonymous volumes left by `rm` without -v go with prune; named ones only with all=true.
    const c2 = await b.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { ...none, Mounts: [{ Type: 'volume', Target: '/a' }] } });
    const anon = (await c2.inspect()).Mounts[0]!.Name!;
    fs.writeFileSync(path.join(env.root, 'volumes', anon, '_data', 'blob'), Buffer.alloc(10_000));
    await b.createVolume({ Name: 'named-unused' });
    const busy = await b.pruneVolumes();
    assert.ok(!(busy.VolumesDeleted ?? []).includes(anon), 'in use: not pruned');
    await c2.remove();
    const pr = await b.pruneVolumes();
    assert.ok(pr.VolumesDeleted!.includes(anon));
    assert.ok(!pr.VolumesDeleted!.includes('named-unused'));
    assert.ok(pr.SpaceReclaimed! >= 10_000);
    const all = await b.pruneVolumes({ filters: { all: ['true'] } });
    assert.ok(all.VolumesDeleted!.includes('named-unused'));
  });

  test('list filters and volume events (create, mount, unmount, destroy)', async () => {
    const b = env.berth;
    const since = Math.floor(Date.now() / 1000) - 1;
    await b.createVolume({ Name: 'ev1', Labels: { k: 'v' } });
    await b.createVolume({ Name: 'ev2' });
    assert.deepEqual((await b.listVolumes({ filters: { label: ['k=v'] } })).Volumes!.map((v) => v.Name), ['ev1']);
    assert.deepEqual((await b.listVolumes({ filters: { name: ['ev'] } })).Volumes!.map((v) => v.Name), ['ev1', 'ev2']);
    const r = await sh(b, 'true', { HostConfig: { ...none, Binds: ['ev1:/e'] } });
    await b.getVolume('ev1').remove();
    await b.getVolume('ev2').remove();
    const events = await collectJson<EngineEvent>(await b.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ['volume'] } }));
    const ev1 = events.filter((e) => e.Actor.ID === 'ev1').map((e) => e.Action);
    assert.deepEqual(ev1, ['create', 'mount', 'unmount', 'destroy']);
    const mount = events.find((e) => e.Actor.ID === 'ev1' && e.Action === 'mount')!;
    assert.deepEqual(mount.Actor.Attributes, { container: r.id, destination: '/e', driver: 'local', propagation: '', 'read/write': 'true' });
    assert.deepEqual(events.find((e) => e.Actor.ID === 'ev1' && e.Action === 'create')!.Actor.Attributes, { driver: 'local' });
  });
});
