// The Ship half of the facade, end to end on 127.0.0.1: push and pull through Debian's docker-registry,
// save | load between roots, export, prune, df, and the registry policy (always offline here).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Berth } from '../src/index.ts';
import { EngineError } from '../src/index.ts';
import type { ContainerCreateBody, EngineEvent } from '../src/engine/types.ts';
import { collectJson, makeEnv, runToExit, type TestEnv } from './berth-helpers.ts';
import { progressLines, seedRoot, tarEntries, readAll } from './berth-ship-helpers.ts';
import { startRegistry, type RegistryServer } from './support/registry-server.ts';

process.env['BERTH_OFFLINE'] = '1'; // tests never leave loopback

const NONE = { NetworkMode: 'none' };

async function run(b: Berth, image: string, cmd?: string[]): Promise<string> {
  const body: Partial<ContainerCreateBody> = { Image: image, HostConfig: NONE };
  if (cmd) body.Cmd = cmd;
  const r = await runToExit(b, body);
  assert.equal(r.code, 0, `${image} ${cmd?.join(' ') ?? ''}: ${r.stderr}`);
  return r.stdout;
}

async function eventsSince(b: Berth, since: number, type: 'image' | 'container'): Promise<EngineEvent[]> {
  return collectJson<EngineEvent>(await b.getEvents({ since, until: Date.now() / 1000 + 0.2, filters: { type: [type] } }));
}

describe('Ship through the facade', () => {
  let reg: RegistryServer;
  const envs: TestEnv[] = [];
  const env = (tag: string): TestEnv => {
    const e = makeEnv(tag);
    envs.push(e);
    return e;
  };
  let bbRef: string;
  let multiRef: string;
  let src: TestEnv;
  let dst: TestEnv;
  let seeded: { busyboxId: string; multiId: string };

  before(async () => {
    reg = await startRegistry();
    bbRef = `${reg.host}/library/busybox:latest`;
    multiRef = `${reg.host}/team/multi:v1`;
    src = env('ship-src');
    seeded = await seedRoot(src.root, multiRef);
    dst = env('ship-dst');
  });
  after(async () => {
    for (const e of envs) await e.cleanup();
    await reg?.stop();
  });

  test('push busybox and a 3-layer image, pull them into a fresh root, run them; digests identical', async () => {
    const since = Date.now() / 1000;
    const b = src.berth;
    await b.getImage('busybox').tag({ repo: `${reg.host}/library/busybox`, tag: 'latest' });
    const pushed = await progressLines(await b.getImage(bbRef).push());
    assert.deepEqual(pushed[0], { status: `The push refers to repository [${reg.host}/library/busybox]` });
    const aux = pushed.at(-1)!.aux as { Tag: string; Digest: string; Size: number };
    assert.equal(aux.Tag, 'latest');
    assert.match(aux.Digest, /^sha256:[a-f0-9]{64}$/);
    assert.ok(!pushed.some((m) => m.error), JSON.stringify(pushed));
    // dockerode's form: the name without a tag plus {tag}.
    const pushedMulti = await progressLines(await b.getImage(`${reg.host}/team/multi`).push({ tag: 'v1' }));
    const multiAux = pushedMulti.at(-1)!.aux as { Tag: string; Digest: string; Size: number };
    assert.equal(multiAux.Tag, 'v1');
    assert.ok(pushedMulti.some((m) => m.status === 'Pushed'));

    const srcBb = await b.getImage(bbRef).inspect();
    const srcMulti = await b.getImage(multiRef).inspect();
    assert.ok(srcBb.RepoDigests.includes(`${reg.host}/library/busybox@${aux.Digest}`), 'push records the repo digest');

    const d = dst.berth;
    const pulled = await progressLines(await d.pull(bbRef));
    assert.deepEqual(pulled[0], { status: 'Pulling from library/busybox', id: 'latest' });
    assert.equal(pulled.at(-2)!.status, `Digest: ${aux.Digest}`);
    assert.equal(pulled.at(-1)!.status, `Status: Downloaded newer image for ${bbRef}`);
    await progressLines(await d.pull(multiRef));
    const again = await progressLines(await d.pull(multiRef));
    assert.equal(again.at(-1)!.status, `Status: Image is up to date for ${multiRef}`);

    const dstBb = await d.getImage(bbRef).inspect();
    const dstMulti = await d.getImage(multiRef).inspect();
    assert.equal(dstBb.Id, srcBb.Id, 'same image ID (config digest)');
    assert.equal(dstMulti.Id, srcMulti.Id);
    assert.deepEqual(dstMulti.RootFS, srcMulti.RootFS);
    assert.deepEqual(dstBb.RepoDigests, [`${reg.host}/library/busybox@${aux.Digest}`]);
    assert.deepEqual(dstMulti.RepoDigests, [`${reg.host}/team/multi@${multiAux.Digest}`]);
    assert.equal(dstMulti.Size, srcMulti.Size);

    assert.equal(await run(d, bbRef, ['echo', 'pulled busybox runs']), 'pulled busybox runs\n');
    assert.equal(await run(d, multiRef), 'one v2\ntwo\n');

    const srcEvents = await eventsSince(b, since, 'image');
    assert.deepEqual(
      srcEvents.filter((e) => e.Action === 'push').map((e) => [e.Actor.ID, e.Actor.Attributes['name']]),
      [
        [bbRef, `${reg.host}/library/busybox`],
        [multiRef, `${reg.host}/team/multi`],
      ],
    );
    const dstEvents = await eventsSince(d, since, 'image');
    assert.equal(dstEvents.filter((e) => e.Action === 'pull' && e.Actor.ID === multiRef).length, 2);
  });

  test('save (getImages) of two images | loadImage into a fresh root: same IDs and tags; get() of one', async () => {
    const since = Date.now() / 1000;
    const fresh = env('ship-load');
    const tarBuf = await readAll(await src.berth.getImages({ names: ['busybox:latest', multiRef] }));
    const lines = await progressLines(await fresh.berth.loadImage(bufferStream(tarBuf)));
    assert.deepEqual(
      lines.map((l) => l.stream).sort(),
      [`Loaded image: ${multiRef}\n`, 'Loaded image: busybox:latest\n'].sort(),
    );
    const a = await src.berth.listImages();
    const b = await fresh.berth.listImages();
    const view = (xs: typeof a) => xs.filter((x) => x.RepoTags?.some((t) => t === 'busybox:latest' || t === multiRef)).map((x) => [x.Id, x.RepoTags?.filter((t) => t === 'busybox:latest' || t === multiRef)]).sort();
    assert.deepEqual(view(b), view(a));
    assert.equal(await run(fresh.berth, multiRef), 'one v2\ntwo\n');

    // One image, by its handle; loading it again changes nothing.
    const one = await readAll(await src.berth.getImage(multiRef).get());
    const entries = await tarEntries(bufferStream(one));
    assert.ok(entries.has('manifest.json') && entries.has('index.json') && entries.has('oci-layout'));
    const again = await progressLines(await fresh.berth.loadImage(bufferStream(one), { quiet: true }));
    assert.deepEqual(again, [{ stream: `Loaded image: ${multiRef}\n` }]);

    const saved = (await eventsSince(src.berth, since, 'image')).filter((e) => e.Action === 'save').map((e) => e.Actor.ID);
    assert.deepEqual(saved.sort(), [seeded.busyboxId, seeded.multiId, seeded.multiId].sort());
    const loaded = (await eventsSince(fresh.berth, since, 'image')).filter((e) => e.Action === 'load').map((e) => e.Actor.ID);
    assert.ok(loaded.includes(seeded.multiId) && loaded.includes(seeded.busyboxId));

    // A broken archive: the stream carries the error.
    const bad = await progressLines(await fresh.berth.loadImage(bufferStream(Buffer.alloc(1024))));
    assert.match(bad.at(-1)!.error ?? '', /invalid archive|load/);
  });

  test('export of a container has its modified files (stopped and running); the mount is gone afterwards', async () => {
    const since = Date.now() / 1000;
    const b = src.berth;
    const r = await runToExit(b, { Image: multiRef, HostConfig: NONE, Cmd: ['sh', '-c', 'echo changed > /app/one && mkdir /new && echo x > /new/file && rm /app/two'] }, { keep: true });
    assert.equal(r.code, 0, r.stderr);
    const files = await tarEntries(await b.getContainer(r.id).export());
    assert.equal(files.get('app/one')?.body.toString(), 'changed\n');
    assert.equal(files.get('new/file')?.body.toString(), 'x\n');
    assert.equal(files.has('app/two'), false, 'deleted file is not exported (no whiteouts in a flat export)');
    assert.ok(files.has('bin/busybox'), 'image layers are in the export');
    for (const name of files.keys()) assert.ok(!name.includes('.wh.'), `no whiteout entries: ${name}`);

    const running = await b.createContainer({ Image: multiRef, HostConfig: NONE, Cmd: ['sh', '-c', 'echo live > /app/live && sleep 30'] } as ContainerCreateBody);
    await running.start();
    const deadline = Date.now() + 10000;
    let live: Map<string, { type: string; body: Buffer }> | undefined;
    while (Date.now() < deadline) {
      live = await tarEntries(await running.export());
      if (live.has('app/live')) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(live?.get('app/live')?.body.toString(), 'live\n');
    await running.remove({ force: true });
    await b.getContainer(r.id).remove();

    const tmp = path.join(src.root, 'tmp');
    assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], [], 'export dirs removed');
    assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(tmp), 'no export mount left');
    const ev = (await eventsSince(b, since, 'container')).filter((e) => e.Action === 'export');
    assert.ok(ev.some((e) => e.Actor.ID === r.id));
    await assert.rejects(b.getContainer('no-such-container').export(), (e: unknown) => e instanceof EngineError && e.statusCode === 404);
  });

  test('pruneImages: dangling and until filters, space reclaimed, an image in use survives', async () => {
    const e = env('ship-prune');
    const b = e.berth;
    await b.ping(); // busybox starter
    const importOne = async (marker: string, opts: { repo?: string } = {}): Promise<string> => {
      const made = await runToExit(src.berth, { Image: 'busybox', HostConfig: NONE, Cmd: ['sh', '-c', `echo ${marker} > /marker`] }, { keep: true });
      const tarStream = await src.berth.getContainer(made.id).export();
      const lines = await progressLines(await b.importImage(tarStream, opts));
      return lines.at(-1)!.status!;
    };
    const danglingA = await importOne('a');
    const danglingUsed = await importOne('used');
    const tagged = await importOne('tagged', { repo: 'keep/me' });
    const user = await b.createContainer({ Image: danglingUsed, HostConfig: NONE, Cmd: ['true'] } as ContainerCreateBody);

    // until in the past: nothing is old enough.
    const none = await b.pruneImages({ filters: { until: ['2000-01-01T00:00:00Z'] } });
    assert.deepEqual(none, { ImagesDeleted: null, SpaceReclaimed: 0 });

    const since = Date.now() / 1000;
    const res = await b.pruneImages({ filters: { dangling: ['true'], until: [new Date(Date.now() + 60_000).toISOString()] } });
    const deleted = (res.ImagesDeleted ?? []).flatMap((x) => ('Deleted' in x && x.Deleted ? [x.Deleted] : []));
    assert.ok(deleted.includes(danglingA), 'the dangling image is deleted');
    assert.ok(!deleted.includes(danglingUsed), 'an image a container uses survives');
    assert.ok(!deleted.includes(tagged), 'a tagged image is not dangling');
    assert.ok(res.SpaceReclaimed! > 0, `space reclaimed: ${res.SpaceReclaimed}`);
    await assert.rejects(b.getImage(danglingA).inspect(), (x: unknown) => x instanceof EngineError && x.statusCode === 404);
    assert.equal((await b.getImage(danglingUsed).inspect()).Id, danglingUsed);
    assert.equal(await run(b, danglingUsed, ['cat', '/marker']), 'used\n');
    const ev = await eventsSince(b, since, 'image');
    assert.ok(ev.some((x) => x.Action === 'delete' && x.Actor.ID === danglingA));
    assert.ok(ev.some((x) => x.Action === 'prune' && Number(x.Actor.Attributes['reclaimed']) === res.SpaceReclaimed));

    // -a with a label filter: only the labelled, unused images go (none here carry the label).
    const labelled = await b.pruneImages({ filters: { dangling: ['false'], label: ['org.example.kind=multi'] } });
    assert.equal(labelled.ImagesDeleted, null);
    // -a: every unused image goes, tagged or not; the one in use stays.
    const all = await b.pruneImages({ filters: { dangling: ['false'] } });
    const items = all.ImagesDeleted ?? [];
    assert.ok(items.some((x) => 'Untagged' in x && x.Untagged === 'keep/me:latest'));
    assert.ok(items.some((x) => 'Deleted' in x && x.Deleted === tagged));
    assert.deepEqual((await b.listImages({ all: true })).map((x) => x.Id), [danglingUsed]);
    await user.remove();
    await assert.rejects(b.pruneImages({ filters: { nope: ['1'] } }), (x: unknown) => x instanceof EngineError && x.statusCode === 400 && /invalid filter 'nope'/.test(x.message));
  });

  test('df: LayersSize, per-image Size/SharedSize/Containers, per-container sizes', async () => {
    const d = dst.berth;
    const c = await d.createContainer({ Image: multiRef, HostConfig: NONE, Cmd: ['sh', '-c', 'head -c 100000 /dev/zero > /big'] } as ContainerCreateBody);
    await c.start();
    await c.wait();
    const df = await d.df();
    const bb = df.Images.find((i) => i.RepoTags?.includes(bbRef))!;
    const multi = df.Images.find((i) => i.RepoTags?.includes(multiRef))!;
    assert.ok(bb && multi);
    assert.equal(multi.Containers, 1);
    assert.equal(bb.SharedSize, bb.Size, 'busybox is entirely shared with the multi image');
    assert.equal(multi.SharedSize, bb.Size);
    assert.ok(multi.Size > bb.Size);
    assert.ok(df.LayersSize >= multi.Size, `LayersSize ${df.LayersSize} counts every layer once`);
    const ctr = df.Containers.find((x) => x.Id === c.id)!;
    assert.ok(ctr.SizeRw! >= 100000, `SizeRw ${ctr.SizeRw}`);
    assert.equal(ctr.SizeRootFs, ctr.SizeRw! + multi.Size);
    assert.ok(Array.isArray(df.Volumes));
    await c.remove();
  });

  test('registry policy: offline pull of busybox is refused fast with 403; unknown tag and repo are 404', async () => {
    const b = dst.berth;
    const t0 = Date.now();
    await assert.rejects(b.pull('busybox'), (e: unknown) => e instanceof EngineError && e.statusCode === 403 && /registry docker\.io is not allowed \(offline mode\)/.test(e.message));
    assert.ok(Date.now() - t0 < 2000, 'refused before any network attempt');
    await assert.rejects(b.pull('registry.example.com/x/y:1'), (e: unknown) => e instanceof EngineError && e.statusCode === 403 && /not allowed/.test(e.message));
    await assert.rejects(
      b.getImage('busybox').tag({ repo: 'docker.io/someone/busybox', tag: 'x' }).then(() => b.getImage('docker.io/someone/busybox:x').push()),
      (e: unknown) => e instanceof EngineError && e.statusCode === 403 && /not allowed/.test(e.message),
    );
    await assert.rejects(b.pull(`${reg.host}/library/busybox:no-such-tag`), (e: unknown) => e instanceof EngineError && e.statusCode === 404 && /manifest unknown|not found/.test(e.message));
    await assert.rejects(b.pull(`${reg.host}/nobody/nothing:1`), (e: unknown) => e instanceof EngineError && e.statusCode === 404);
    await assert.rejects(b.getImage(`${reg.host}/absent/image`).push(), (e: unknown) => e instanceof EngineError && e.statusCode === 404 && /does not exist locally/.test(e.message));
  });

  test('allow-list given to the constructor governs every contact, loopback included', async () => {
    const { Berth } = await import('../src/index.ts');
    const e = env('ship-allow');
    const saved = process.env['BERTH_OFFLINE'];
    delete process.env['BERTH_OFFLINE'];
    let b: Berth;
    try {
      b = new Berth({ root: e.root, run: e.run, cgroupParent: e.cgroupParent, registries: { allow: ['registry.example.com'] } });
    } finally {
      process.env['BERTH_OFFLINE'] = saved;
    }
    try {
      await assert.rejects(b.pull(bbRef), (x: unknown) => x instanceof EngineError && x.statusCode === 403 && /not in the registry allow-list/.test(x.message));
      await assert.rejects(b.pull('busybox'), (x: unknown) => x instanceof EngineError && x.statusCode === 403);
      assert.equal(b.registryPolicy.allows('registry.example.com'), true);
    } finally {
      await b.close();
    }
  });
});

function bufferStream(buf: Buffer): Readable {
  return Readable.from([buf]);
}
