// Lifecycle, events, names, lookups, list filters, inspect shape, AutoRemove + wait, bad input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { EngineError } from '../src/index.ts';
import type { ContainerCreateBody, EngineEvent } from '../src/engine/types.ts';
import { collectJson, makeEnv, sh, sleep, waitFor, type TestEnv } from './berth-helpers.ts';
import { DOCKER_API_FIXTURES } from './support/fixtures.ts';

const FIXTURES = DOCKER_API_FIXTURES;
let env: TestEnv;

before(() => {
  env = makeEnv('life');
});
after(async () => {
  await env.cleanup();
});

async function rejectsWith(p: Promise<unknown>, status: number, re?: RegExp): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineError, `expected EngineError, got ${String(e)}`);
    assert.equal(e.statusCode, status, e.message);
    assert.equal(e.json.message, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected a ${status} rejection`);
}

const sleeper = (extra: Partial<ContainerCreateBody> = {}): ContainerCreateBody => ({
  Image: 'busybox',
  // "ready" is printed once the trap is set: PID 1 ignores a SIGTERM that arrives before it has a handler.
  Cmd: ['sh', '-c', 'trap "exit 5" TERM; echo ready; while true; do sleep 0.1; done'],
  ...extra,
});

describe('Berth lifecycle', () => {
  test('ping, version, info and the starter image', async () => {
    const b = env.berth;
    assert.equal(await b.ping(), 'OK');
    const v = await b.version();
    assert.equal(v.ApiVersion, '1.41');
    assert.equal(v.MinAPIVersion, '1.24');
    const fx = JSON.parse(fs.readFileSync(`${FIXTURES}/api_version.json`, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(v).sort(), Object.keys(fx).sort());
    const info = await b.info();
    const fi = JSON.parse(fs.readFileSync(`${FIXTURES}/api_info.json`, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(info).sort(), Object.keys(fi).sort());
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.CgroupDriver, 'cgroupfs');
    assert.equal(info.CgroupVersion, '1');
    assert.equal(info.Architecture, 'x86_64');
    assert.equal(info.DockerRootDir, env.root);
    const images = await b.listImages();
    assert.deepEqual(images.map((i) => i.RepoTags), [['busybox:latest']]);
    const df = await b.df();
    assert.ok(df.LayersSize > 0);
    assert.deepEqual(df.Volumes, []);
    assert.deepEqual(df.BuildCache, []);
  });

  test('create, start, stop, kill, restart, rename, remove with their events and states', async () => {
    const b = env.berth;
    const since = Date.now() / 1000;
    const c = await b.createContainer(sleeper({ name: 'life1', Labels: { team: 'a' } }));
    let ins = await c.inspect();
    assert.equal(ins.State.Status, 'created');
    assert.equal(ins.State.StartedAt, '0001-01-01T00:00:00Z');
    assert.equal(ins.State.FinishedAt, '0001-01-01T00:00:00Z');
    assert.equal(ins.Name, '/life1');
    assert.equal(ins.Config.Hostname, c.id.slice(0, 12));

    await c.start();
    ins = await c.inspect();
    assert.equal(ins.State.Status, 'running');
    assert.equal(ins.State.Running, true);
    assert.ok(ins.State.Pid > 0);
    await rejectsWith(c.start(), 304);
    await rejectsWith(c.remove(), 409, /You cannot remove a running container/);

    // lookups: name with and without '/', id prefix
    assert.equal((await b.getContainer('/life1').inspect()).Id, c.id);
    assert.equal((await b.getContainer(c.id.slice(0, 8)).inspect()).Id, c.id);
    await rejectsWith(b.getContainer('nosuchcontainer').inspect(), 404, /No such container: nosuchcontainer/);

    const [summary] = await b.listContainers({ filters: { name: ['life1'] } });
    assert.equal(summary!.State, 'running');
    assert.match(summary!.Status, /^Up /);
    assert.deepEqual(summary!.Names, ['/life1']);
    assert.equal(summary!.Command, `sh -c 'trap "exit 5" TERM; echo ready; while true; do sleep 0.1; done'`);

    await waitFor(async () => ((await c.logs({ stdout: true })) as Buffer).includes('ready') || undefined, 5000, 'the trap to be set');
    const t0 = Date.now();
    await c.stop({ t: 5 });
    assert.ok(Date.now() - t0 < 4000, 'SIGTERM handled without waiting for SIGKILL');
    ins = await c.inspect();
    assert.equal(ins.State.Status, 'exited');
    assert.equal(ins.State.ExitCode, 5);
    assert.notEqual(ins.State.FinishedAt, '0001-01-01T00:00:00Z');
    await rejectsWith(c.stop(), 304);
    await rejectsWith(c.kill(), 409, /is not running/);

    await c.restart({ t: 1 });
    assert.equal((await c.inspect()).State.Status, 'running');
    await c.kill({ signal: 'SIGKILL' });
    ins = await c.inspect();
    assert.equal(ins.State.ExitCode, 137);
    const [ex] = await b.listContainers({ all: true, filters: { exited: ['137'], label: ['team=a'] } });
    assert.match(ex!.Status, /^Exited \(137\) /);

    await c.rename({ name: 'life1b' });
    assert.equal((await c.inspect()).Name, '/life1b');
    await c.remove();
    await rejectsWith(c.inspect(), 404);

    const events = await collectJson<EngineEvent>(await b.getEvents({ since, until: Date.now() / 1000 + 0.2, filters: { container: [c.id] } }));
    const actions = events.map((e) => e.Action);
    assert.deepEqual(actions, ['create', 'start', 'kill', 'die', 'stop', 'start', 'restart', 'kill', 'die', 'rename', 'destroy']);
    const die = events.find((e) => e.Action === 'die')!;
    assert.equal(die.Actor.Attributes['exitCode'], '5');
    assert.equal(die.status, 'die');
    assert.equal(die.id, c.id);
    assert.equal(die.from, 'busybox');
    assert.equal(die.scope, 'local');
    assert.equal(events.find((e) => e.Action === 'rename')!.Actor.Attributes['oldName'], '/life1');
  });

  test('stop escalates to SIGKILL after t seconds', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'] });
    await c.start();
    const t0 = Date.now();
    await c.stop({ t: 1 });
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 5000, `took ${took} ms`);
    assert.equal((await c.inspect()).State.ExitCode, 137);
    await c.remove();
  });

  test('live events stream and end at until', async () => {
    const b = env.berth;
    const stream = await b.getEvents({ until: Date.now() / 1000 + 3, filters: { type: ['container'], event: ['create'] } });
    const got = collectJson<EngineEvent>(stream);
    const c = await b.createContainer(sleeper({ Labels: { x: 'y' } }));
    const events = await got;
    assert.ok(events.some((e) => e.Actor.ID === c.id && e.Action === 'create' && e.Actor.Attributes['x'] === 'y'));
    assert.ok(events.every((e) => e.Action === 'create'));
    // events.log replays for a new instance (read-only: no lock needed)
    const ro = env.open({ readOnly: true });
    const past = await collectJson<EngineEvent>(await ro.getEvents({ since: 0, until: Date.now() / 1000, filters: { container: [c.id] } }));
    assert.deepEqual(past.map((e) => e.Action), ['create']);
    await rejectsWith(ro.getContainer(c.id).start(), 403, /read-only/);
    assert.equal((await ro.getContainer(c.id).inspect()).Id, c.id);
    await ro.close();
    await c.remove();
  });

  test('random names look like Docker\'s; names are unique', async () => {
    const b = env.berth;
    const c = await b.createContainer(sleeper());
    const name = (await c.inspect()).Name;
    assert.match(name, /^\/[a-z]+_[a-z]+\d?$/);
    await rejectsWith(b.createContainer(sleeper({ name: name.slice(1) })), 409, /is already in use by container/);
    await c.remove();
  });

  test('inspect and list have the fixture shapes', async () => {
    const b = env.berth;
    const c = await b.createContainer(sleeper({
      name: 'shape',
      HostConfig: { NetworkMode: 'none', Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000 },
    }));
    await c.start();
    const ins = await c.inspect();
    const fx = (JSON.parse(fs.readFileSync(`${FIXTURES}/docker_container_inspect_lim2.json`, 'utf8')) as Record<string, any>[])[0]!;
    assert.deepEqual(Object.keys(ins), Object.keys(fx));
    assert.deepEqual(Object.keys(ins.State), Object.keys(fx['State']));
    assert.deepEqual(Object.keys(ins.HostConfig), Object.keys(fx['HostConfig']));
    assert.deepEqual(Object.keys(ins.NetworkSettings), Object.keys(fx['NetworkSettings']));
    assert.deepEqual(Object.keys(ins.GraphDriver.Data ?? {}).sort(), Object.keys(fx['GraphDriver']['Data']).sort());
    assert.deepEqual(ins.HostConfig.MaskedPaths, fx['HostConfig']['MaskedPaths']);
    assert.deepEqual(ins.HostConfig.ReadonlyPaths, fx['HostConfig']['ReadonlyPaths']);
    assert.equal(ins.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(ins.HostConfig.MemorySwap, fx['HostConfig']['MemorySwap']);
    assert.equal(ins.HostConfig.NanoCpus, 500_000_000);
    assert.equal(ins.HostConfig.ShmSize, 67108864);
    assert.equal(ins.HostConfig.NetworkMode, 'none');
    assert.deepEqual(Object.keys(ins.NetworkSettings.Networks), ['none']);
    assert.equal(ins.Driver, 'overlay2');
    assert.ok(fs.existsSync(ins.GraphDriver.Data?.['UpperDir'] ?? ''));
    const list = await b.listContainers({ filters: JSON.stringify({ id: [c.id.slice(0, 10)] }) });
    const fl = (JSON.parse(fs.readFileSync(`${FIXTURES}/api_containers_json_all.json`, 'utf8')) as Record<string, any>[])[0]!;
    assert.deepEqual(Object.keys(list[0]!), Object.keys(fl));
    assert.deepEqual(list[0]!.HostConfig, { NetworkMode: 'none' });
    assert.equal((await b.listContainers({ filters: { ancestor: ['busybox'] } })).filter((x) => x.Id === c.id).length, 1);
    assert.equal((await b.listContainers({ filters: { status: ['exited'] } })).filter((x) => x.Id === c.id).length, 0);
    await c.remove({ force: true });
  });

  test('AutoRemove: a wait begun before the exit resolves; the container is gone', async () => {
    const b = env.berth;
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.3; exit 42'], HostConfig: { AutoRemove: true } });
    const removed = c.wait({ condition: 'removed' });
    await c.start();
    const waited = c.wait();
    assert.deepEqual(await waited, { Error: null, StatusCode: 42 });
    assert.equal((await removed).StatusCode, 42);
    await rejectsWith(c.inspect(), 404);
  });

  test('AutoRemove: the rootfs is mounted volatile, a restart keeps the container (as dockerd) and remounts it', async () => {
    const b = env.berth;
    const c = await b.createContainer(sleeper({ HostConfig: { AutoRemove: true, NetworkMode: 'none' } }));
    await c.start();
    const overlayOpts = (pid: number): string =>
      fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((l) => / \/ \/ .* - overlay /.test(l)) ?? '';
    assert.match(overlayOpts((await c.inspect()).State.Pid), /volatile/);
    await c.restart({ t: 0 });
    await sleep(300); // an AutoRemove begun by the restart's stop would have removed it by now
    const again = await c.inspect();
    assert.equal(again.State.Running, true, 'running again after the restart, with a volatile remount of the same upper');
    assert.match(overlayOpts(again.State.Pid), /volatile/);
    const removed = c.wait({ condition: 'removed' });
    await c.kill();
    assert.equal((await removed).StatusCode, 137);
    await rejectsWith(c.inspect(), 404);

    // Containers kept after exit are not volatile: their upper dir must survive a crash.
    const kept = await b.createContainer(sleeper({ HostConfig: { NetworkMode: 'none' } }));
    await kept.start();
    assert.doesNotMatch(overlayOpts((await kept.inspect()).State.Pid), /volatile/);
    await kept.remove({ force: true });
  });

  test('config merges with the image like Docker; Init, ExtraHosts, resolv.conf', async () => {
    const r = await sh(env.berth, 'echo $$; cat /etc/hosts; cat /etc/resolv.conf; cat /etc/hostname; echo HOME=$HOME', {
      Hostname: 'web1',
      HostConfig: { Init: true, ExtraHosts: ['db.local:10.1.2.3'] },
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.notEqual(lines[0], '1', 'with Init the shell is not PID 1');
    assert.match(r.stdout, /10\.1\.2\.3\tdb\.local/);
    assert.match(r.stdout, /127\.0\.0\.1\tlocalhost/);
    assert.doesNotMatch(r.stdout, /^nameserver/m);
    assert.match(r.stdout, /^web1$/m);
    assert.match(r.stdout, /HOME=\/root/);
  });

  test('bad input: 404, 409, 400', async () => {
    const b = env.berth;
    await rejectsWith(b.createContainer({ Image: 'nosuch' }), 404, /^No such image: nosuch:latest$/);
    await rejectsWith(b.createContainer(sleeper({ HostConfig: { Memory: 1024 * 1024 } })), 400, /Minimum memory limit allowed is 6MB/);
    await rejectsWith(b.createContainer(sleeper({ HostConfig: { NanoCpus: 1e9 * 4096 } })), 400, /Range of CPUs/);
    await rejectsWith(b.createContainer(sleeper({ HostConfig: { BlkioDeviceWriteBps: [{ Path: '/dev/nosuchdisk', Rate: 1 }] } })), 400, /no such device/);
    await rejectsWith(b.createContainer(sleeper({ HostConfig: { SecurityOpt: ['seccomp=/no/such/profile'] } })), 400, /Decoding seccomp profile failed/);
    await rejectsWith(b.createContainer(sleeper({ HostConfig: { NetworkMode: 'container:x' } })), 400, /not supported yet/);
    await rejectsWith(b.createContainer(sleeper({ HostConfig: { CapAdd: ['NOT_A_CAP'] } })), 400, /unknown capability/);
    await rejectsWith(b.createContainer(sleeper({ HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1 << 30 }] } })), 400, /hard limit/);
    await rejectsWith(b.createContainer(sleeper({ User: 'nosuchuser' })).then((c) => c.start()), 400, /unable to find user nosuchuser/);
    await rejectsWith(b.getContainer('x').stats({ stream: false }), 404, /No such container: x/);
    await rejectsWith(b.getImage('nosuch').inspect(), 404, /No such image/);
  });

  test('pause and unpause through the freezer', async () => {
    const c = await env.berth.createContainer(sleeper());
    await c.start();
    await c.pause();
    let ins = await c.inspect();
    assert.equal(ins.State.Status, 'paused');
    assert.equal(ins.State.Paused, true);
    await rejectsWith(c.kill(), 409, /is paused/);
    await c.unpause();
    ins = await c.inspect();
    assert.equal(ins.State.Status, 'running');
    await c.remove({ force: true });
  });

  test('a shim that vanishes without an exit file leaves the container exited 255 with an explanation', async () => {
    const c = await env.berth.createContainer(sleeper());
    await c.start();
    const shimPid = Number(fs.readFileSync(`${env.run}/${c.id.slice(0, 12)}/shim.pid`, 'utf8').split(' ')[0]);
    const waited = c.wait();
    process.kill(shimPid, 'SIGKILL');
    assert.equal((await waited).StatusCode, 255);
    const st = (await c.inspect()).State;
    assert.equal(st.Status, 'exited');
    assert.match(st.Error, /disappeared/);
    await c.remove();
  });

  test('a second writer on a locked root names the holder', async () => {
    const other = env.open();
    await rejectsWith(other.ping(), 409, new RegExp(`pid ${process.pid}`));
    await other.close();
    assert.equal(fs.readFileSync(`${env.root}/berth.lock`, 'utf8').trim(), String(process.pid));
  });

  test('image tag, history, remove, with a container using it', async () => {
    const b = env.berth;
    await b.getImage('busybox').tag({ repo: 'example.com:5000/team/bb', tag: 'v1' });
    const ins = await b.getImage('example.com:5000/team/bb:v1').inspect();
    assert.deepEqual(ins.RepoTags.sort(), ['busybox:latest', 'example.com:5000/team/bb:v1']);
    assert.ok((await b.getImage('busybox').history()).length >= 1);
    assert.deepEqual(await b.getImage('example.com:5000/team/bb:v1').remove(), [{ Untagged: 'example.com:5000/team/bb:v1' }]);
    const c = await b.createContainer(sleeper());
    await rejectsWith(b.getImage('busybox').remove(), 409, /is using its referenced image/);
    await c.remove();
    await sleep(1);
  });
});
