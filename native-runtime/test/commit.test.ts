// Container.commit: the container's changes become one layer on its image, with Docker's history
// entry, comment, author and --change lines; a running container is paused for it; events.
import assert from 'node:assert/strict';
import { createGunzip } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Berth } from '../src/index.ts';
import type { ContainerCreateBody } from '../src/engine/types.ts';
import { makeEnv, sh, waitFor, type TestEnv } from './berth-helpers.ts';
import { readTar } from './layers-helpers.ts';

let env: TestEnv;
let b: Berth;

before(async () => {
  env = makeEnv('commit');
  b = env.berth;
  await b.ping();
});
after(async () => {
  await env.cleanup();
});

describe('Container.commit', () => {
  test('an exited container\'s changes become a layer; running the new image shows them', async () => {
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo changed > /etc/motd && rm /bin/vi'] } as ContainerCreateBody);
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    await waited;
    const ev = await b.getEvents({ filters: { type: ['container'], event: ['commit'] } });
    const seen: Array<{ Action: string; Actor: { ID: string; Attributes: Record<string, string> } }> = [];
    ev.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => seen.push(JSON.parse(l))));
    const { Id } = await c.commit({ repo: 'committed', tag: 'v1', comment: 'my change', author: 'Ada <ada@example.com>', changes: ['CMD ["cat", "/etc/motd"]', 'ENV MODE=prod'] });
    assert.match(Id, /^sha256:[0-9a-f]{64}$/);
    const img = await b.getImage('committed:v1').inspect();
    const base = await b.getImage('busybox').inspect();
    assert.equal(img.Id, Id);
    assert.equal(img.RootFS.Layers!.length, base.RootFS.Layers!.length + 1);
    assert.equal(img.Parent, base.Id);
    assert.equal(img.Comment, 'my change');
    assert.equal(img.Author, 'Ada <ada@example.com>');
    assert.deepEqual(img.Config!.Cmd, ['cat', '/etc/motd']);
    assert.ok(img.Config!.Env!.includes('MODE=prod'));
    assert.equal(img.Container, c.id);
    const hist = await b.getImage('committed:v1').history();
    assert.equal(hist[0]!.CreatedBy, 'sh -c echo changed > /etc/motd && rm /bin/vi');
    assert.equal(hist[0]!.Comment, 'my change');
    assert.equal(hist[0]!.Size, 'changed\n'.length);
    assert.deepEqual(hist[0]!.Tags, ['committed:v1']);
    // the layer: the changed file and the deletion as a whiteout, nothing of the runtime's own
    const st = await b.ready();
    const rec = await st.stores.images.get(Id);
    const entries = await readTar((await st.stores.content.readStream(rec.layers.at(-1)!.digest)).pipe(createGunzip()));
    assert.deepEqual(entries.map((e) => e.name), ['bin/', 'bin/.wh.vi', 'etc/', 'etc/motd']);
    const run = await sh(b, 'cat /etc/motd', { Image: 'committed:v1' });
    assert.equal(run.stdout, 'changed\n');
    assert.equal((await sh(b, 'ls /bin/vi 2>&1; echo $MODE', { Image: 'committed:v1' })).stdout, 'ls: /bin/vi: No such file or directory\nprod\n');
    await waitFor(() => seen.length || undefined, 5000, 'the commit event');
    ev.destroy();
    assert.equal(seen[0]!.Actor.ID, c.id);
    assert.equal(seen[0]!.Actor.Attributes['imageID'], Id);
    assert.equal(seen[0]!.Actor.Attributes['comment'], 'my change');
    await c.remove({ force: true });
  });

  test('a running container is paused, committed and resumed; unchanged container: empty layer', async () => {
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo live > /live; while true; do sleep 0.1; done'] } as ContainerCreateBody);
    await c.start();
    await waitFor(async () => (await c.inspect()).State.Running || undefined, 5000, 'running');
    await new Promise((r) => setTimeout(r, 300));
    const { Id } = await c.commit({ repo: 'live' });
    const ins = await c.inspect();
    assert.equal(ins.State.Status, 'running', 'resumed after the commit');
    assert.equal((await sh(b, 'cat /live', { Image: 'live' })).stdout, 'live\n');
    const hist = await b.getImage(Id).history();
    assert.equal(hist[0]!.CreatedBy, "sh -c echo live > /live; while true; do sleep 0.1; done");
    await c.remove({ force: true });

    const idle = await b.createContainer({ Image: 'busybox', Cmd: ['true'] } as ContainerCreateBody);
    const same = await idle.commit({});
    const a = await b.getImage(same.Id).inspect();
    const base = await b.getImage('busybox').inspect();
    assert.equal(a.RootFS.Layers!.length, base.RootFS.Layers!.length, 'no changes: no layer');
    assert.equal((await b.getImage(same.Id).history())[0]!.Size, 0);
    await idle.remove({ force: true });
  });

  test('bad input: a tag without a repository, an unknown change', async () => {
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['true'] } as ContainerCreateBody);
    await assert.rejects(c.commit({ tag: 'x' }), (e: Error & { statusCode?: number }) => e.statusCode === 400);
    await assert.rejects(c.commit({ changes: ['RUN rm -rf /'] }), (e: Error & { statusCode?: number }) => e.statusCode === 400 && /not a valid change command/.test(e.message));
    await assert.rejects(b.getContainer('nope').commit({}), (e: Error & { statusCode?: number }) => e.statusCode === 404);
    await c.remove({ force: true });
  });
});
