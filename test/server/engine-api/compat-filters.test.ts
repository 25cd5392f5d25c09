// Issue 16 (1, 2): list filters and attach, checked with the docker CLI, dockerode and raw HTTP against
// what dockerd 20.10 (Debian's docker.io, run in its own network namespace) answers for the same calls.
import assert from 'node:assert/strict';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { startApiEnv, type ApiEnv } from './test-env.ts';

function get(socketPath: string, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'GET', path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const q = (filters: Record<string, string[]>): string => `filters=${encodeURIComponent(JSON.stringify(filters))}`;

describe('Engine API compatibility: filters and attach (issue 16)', () => {
  let e: ApiEnv;
  const ok = async (args: string[]) => {
    const r = await e.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const lines = async (args: string[]) => (await ok(args)).split('\n').filter(Boolean).sort();
  const fails = async (args: string[], msg: RegExp) => {
    const r = await e.docker(args);
    assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail`);
    assert.match(r.stderr, msg);
  };

  before(async () => {
    e = await startApiEnv('filters');
  });
  after(async () => {
    await e?.cleanup();
  });

  it('attach with dockerode: the JSON options body does not reach stdin', async () => {
    const docker = new Docker({ socketPath: e.socket });
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read line; echo "got:$line"'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true });
    // dockerode sends {"stream":true,…} as the request body with Content-Length; dockerd ignores it.
    const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as NodeJS.ReadWriteStream;
    const out = new PassThrough();
    c.modem.demuxStream(stream, out, new PassThrough());
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    const ended = new Promise<void>((r) => stream.on('end', () => r()));
    await c.start();
    stream.write('hello\n');
    await c.wait();
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
    assert.equal(Buffer.concat(chunks).toString(), 'got:hello\n');
    await c.remove({ force: true });
  });

  it('images: reference (with wildcards), dangling, label, before, since', async () => {
    await ok(['tag', 'busybox', 'foo:1']);
    await ok(['tag', 'busybox', 'foobar:2']);
    await ok(['tag', 'busybox', 'other:1']);
    const bb = (await ok(['images', '-q', '--no-trunc', 'busybox'])).trim();
    // `docker images REF` lists REF only, so `docker rmi $(docker images -q foo)` is safe.
    assert.deepEqual(await lines(['images', '--format', '{{.Repository}}:{{.Tag}}', 'foo']), ['foo:1']);
    assert.deepEqual(await lines(['images', '--format', '{{.Repository}}:{{.Tag}}', 'foo*']), ['foo:1', 'foobar:2']);
    assert.deepEqual(await lines(['images', '--format', '{{.Repository}}:{{.Tag}}', '*:1']), ['foo:1', 'other:1']);
    assert.deepEqual(await lines(['images', '--format', '{{.Repository}}:{{.Tag}}', '-f', 'reference=foo*:2']), ['foobar:2']);
    assert.deepEqual(await lines(['images', '-q', 'nosuchrepo']), []);
    // Clients before API 1.41 send `filter=REF`; dockerd 20.10 narrows RepoTags to the matches too.
    const old = JSON.parse((await get(e.socket, '/v1.40/images/json?filter=foo*')).body) as Array<{ RepoTags: string[] }>;
    assert.deepEqual(old.map((i) => i.RepoTags), [['foo:1', 'foobar:2']]);
    // A committed image with a label, and an untagged (dangling) one.
    await ok(['create', '--name', 'base', 'busybox', 'true']);
    await ok(['commit', '--change', 'LABEL team=blue', 'base', 'lab:1']);
    const dangling = (await ok(['commit', 'base'])).trim();
    assert.deepEqual(await lines(['images', '--format', '{{.Repository}}:{{.Tag}}', '-f', 'label=team=blue']), ['lab:1']);
    assert.deepEqual(await lines(['images', '--format', '{{.Repository}}:{{.Tag}}', '-f', 'label=team']), ['lab:1']);
    assert.deepEqual(await lines(['images', '-q', '--no-trunc', '-f', 'dangling=true']), [dangling]);
    assert.ok(!(await lines(['images', '-q', '--no-trunc', '-f', 'dangling=false'])).includes(dangling));
    assert.deepEqual(await lines(['images', '--format', '{{.Repository}}', '-f', 'since=busybox']).then((l) => [...new Set(l)]), ['<none>', 'lab']);
    assert.deepEqual([...new Set(await lines(['images', '-q', '--no-trunc', '-f', 'before=lab:1']))], [bb]);
    // dockerd's answers for bad values and unknown names.
    await fails(['images', '-f', 'dangling=1'], /invalid filter 'dangling=\[1\]'/i);
    await fails(['images', '-f', 'before=nosuch'], /No such image: nosuch:latest/);
    await fails(['images', '-f', 'foo=bar'], /invalid filter 'foo'/i);
    await ok(['rm', 'base']);
  });

  it('containers: label, name, id, status, exited, before, since, volume, network, publish, expose, health, ancestor, is-task', async () => {
    await ok(['network', 'create', 'net1']);
    const c1 = (await ok(['run', '-d', '--name', 'c1', '--label', 'a=1', '-v', 'vol1:/data', '-p', '127.0.0.1::80', 'busybox', 'sleep', '300'])).trim();
    const c2 = (await ok(['run', '-d', '--name', 'c2', '--network', 'net1', '--expose', '81', 'busybox', 'sleep', '300'])).trim();
    const c3 = (await ok(['run', '--name', 'c3', 'busybox', 'sh', '-c', 'exit 3']).catch(() => '')) || (await ok(['inspect', '-f', '{{.Id}}', 'c3'])).trim();
    const port = (await ok(['port', 'c1', '80'])).trim().split(':').at(-1)!;
    const ps = (args: string[]) => lines(['ps', '-q', '--no-trunc', ...args]);
    assert.deepEqual(await ps(['-f', 'label=a=1']), [c1]);
    assert.deepEqual(await ps(['-f', 'label=a=2']), []);
    assert.deepEqual(await ps(['-a', '-f', 'name=^c[12]$']), [c1, c2].sort());
    assert.deepEqual(await ps(['-a', '-f', `id=${c2.slice(0, 10)}`]), [c2]);
    assert.deepEqual(await ps(['-f', 'status=exited', '-f', 'name=^c']), [c3]); // status lists stopped containers without -a
    assert.deepEqual(await ps(['-a', '-f', 'exited=3']), [c3]);
    assert.deepEqual(await ps(['-f', 'exited=3']), []); // dockerd 20.10: exited alone does not imply -a
    assert.deepEqual(await ps(['-a', '-f', 'before=c2']), [c1]);
    assert.deepEqual(await ps(['-a', '-f', 'since=c1']), [c2, c3].sort());
    assert.deepEqual(await ps(['-f', 'volume=vol1']), [c1]);
    assert.deepEqual(await ps(['-f', 'volume=/data']), [c1]);
    assert.deepEqual(await ps(['-f', 'network=net1']), [c2]);
    const netId = (await ok(['network', 'inspect', '-f', '{{.Id}}', 'net1'])).trim();
    assert.deepEqual(await ps(['-f', `network=${netId.slice(0, 8)}`]), [c2]);
    assert.deepEqual(await ps(['-f', `publish=${port}`]), [c1]);
    assert.deepEqual(await ps(['-f', 'expose=80']), [c1]);
    assert.deepEqual(await ps(['-f', 'expose=80-81/tcp']), [c1, c2].sort());
    assert.deepEqual(await ps(['-f', 'health=none']), [c1, c2].sort());
    assert.deepEqual(await ps(['-f', 'health=healthy']), []);
    assert.deepEqual(await ps(['-f', 'is-task=true']), []);
    assert.deepEqual(await ps(['-f', 'is-task=false']), [c1, c2].sort());
    assert.deepEqual(await ps(['-a', '-f', 'ancestor=busybox']), [c1, c2, c3].sort());
    assert.deepEqual(await ps(['-a', '-f', 'ancestor=nosuchimage']), []);
    await fails(['ps', '-f', 'status=foo'], /invalid filter 'status=foo'/i);
    await fails(['ps', '-f', 'health=foo'], /Unrecognised filter value for health: foo/);
    await fails(['ps', '-f', 'is-task=x'], /invalid filter 'is-task=\[x\]'/i);
    await fails(['ps', '-f', 'exited=x'], /parsing "x": invalid syntax/);
    await fails(['ps', '-f', 'publish=abc'], /error while looking up for publish abc/);
    await fails(['ps', '-f', 'before=nosuch'], /no such container/i);
    await fails(['ps', '-f', 'foo=bar'], /invalid filter 'foo'/i);
  });

  it('volumes and networks: name (regexp), driver (any of), label, dangling, id, scope, type', async () => {
    await ok(['volume', 'create', '--label', 'k=v', 'vol2']);
    assert.deepEqual(await lines(['volume', 'ls', '-q', '-f', 'name=^vol[12]$']), ['vol1', 'vol2']);
    assert.deepEqual(await lines(['volume', 'ls', '-q', '-f', 'name=^vol[12]$', '-f', 'driver=local', '-f', 'driver=other']), ['vol1', 'vol2']);
    assert.deepEqual(await lines(['volume', 'ls', '-q', '-f', 'label=k=v']), ['vol2']);
    assert.deepEqual(await lines(['volume', 'ls', '-q', '-f', 'name=^vol', '-f', 'dangling=1']), ['vol2']); // vol1 is c1's
    await fails(['volume', 'ls', '-f', 'dangling=x'], /invalid filter 'dangling=\[x\]'/i);
    await fails(['volume', 'ls', '-f', 'foo=1'], /invalid filter 'foo'/i);

    await ok(['network', 'create', '--label', 'k=v', 'net2']);
    const names = (args: string[]) => lines(['network', 'ls', '--format', '{{.Name}}', ...args]);
    assert.deepEqual(await names(['-f', 'type=builtin', '-f', 'type=custom']), ['bridge', 'host', 'net1', 'net2', 'none']);
    assert.deepEqual(await names(['-f', 'type=custom']), ['net1', 'net2']);
    assert.deepEqual(await names(['-f', 'name=^net[0-9]$']), ['net1', 'net2']);
    assert.deepEqual(await names(['-f', 'label=k=v']), ['net2']);
    assert.deepEqual(await names(['-f', 'dangling=true']), ['net2']); // net1 has c2
    assert.deepEqual(await names(['-f', 'driver=null', '-f', 'driver=host']), ['host', 'none']);
    assert.deepEqual(await names(['-f', 'scope=swarm']), []);
    const id = (await ok(['network', 'inspect', '-f', '{{.Id}}', 'net2'])).trim();
    assert.deepEqual(await names(['-f', `id=${id.slice(0, 6)}`]), ['net2']);
    await fails(['network', 'ls', '-f', 'type=x'], /invalid filter: 'type'='x'/);
    await fails(['network', 'ls', '-f', 'dangling=x'], /must be "true" \(or "1"\), or "false" \(or "0"\)/);
    await fails(['network', 'ls', '-f', 'foo=1'], /invalid filter 'foo'/i);
  });

  it('events: container, image, volume, network, type, event, label, daemon; unknown names do not narrow (as dockerd)', async () => {
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const ev = async (...f: string[]) =>
      (await ok(['events', '--since', '0', '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}', ...f.flatMap((x) => ['-f', x])]))
        .split('\n')
        .filter(Boolean);
    const vol = await ev('volume=vol2');
    assert.ok(vol.length > 0 && vol.every((l) => l.startsWith('volume ')), vol.join('\n'));
    const net = await ev('network=net2');
    assert.ok(net.length > 0 && net.every((l) => l.startsWith('network ')), net.join('\n'));
    const c1 = await ev('container=c1', 'event=start');
    assert.deepEqual(c1, ['container start c1']);
    const img = await ev('image=busybox', 'type=container', 'event=create');
    const created = img.map((l) => l.split(' ').at(-1));
    for (const n of ['base', 'c1', 'c2', 'c3']) assert.ok(created.includes(n), img.join('\n'));
    assert.ok(img.every((l) => l.startsWith('container create ')), img.join('\n'));
    assert.deepEqual(await ev('label=a=1', 'event=create'), ['container create c1']);
    assert.deepEqual(await ev('daemon=nosuch'), []);
    const r = await get(e.socket, `/events?since=0&until=${until}&${q({ nosuch: ['x'] })}`);
    assert.equal(r.status, 200); // dockerd does not validate event filter names
  });

  it('unknown filter names answer 400 on every list', async () => {
    for (const p of ['/containers/json', '/images/json', '/volumes', '/networks']) {
      const r = await get(e.socket, `/v1.41${p}?${q({ nosuch: ['x'] })}`);
      assert.equal(r.status, 400, p);
      assert.match(r.body, /invalid filter 'nosuch'/i, p);
    }
  });
});
