// The npm dockerode package (unchanged) against Berth's Engine API socket.
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { startApiEnv, type ApiEnv } from './test-env.ts';
import { demuxBuffer } from '../../../server/engine-api/streams.ts';

function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

/** A one-file tar (ustar), enough for putArchive and a build context. */
function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, body] of Object.entries(files)) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(Buffer.byteLength(body).toString(8).padStart(11, '0') + '\0', 124);
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, Buffer.from(body), Buffer.alloc((512 - (Buffer.byteLength(body) % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

describe('dockerode against Berth', () => {
  let e: ApiEnv;
  let docker: Docker;
  before(async () => {
    e = await startApiEnv('dockerode');
    docker = new Docker({ socketPath: e.socket });
  });
  after(async () => {
    await e?.cleanup();
  });

  it('createContainer, attach (stream) + demuxStream, start, wait', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.3; echo out; echo err >&2'], AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const err = new PassThrough();
    c.modem.demuxStream(stream, out, err);
    const outP = collect(out);
    const errP = collect(err);
    stream.on('end', () => (out.end(), err.end()));
    await c.start();
    assert.deepEqual(await c.wait(), { StatusCode: 0, Error: null } as unknown as object);
    assert.equal((await outP).toString(), 'out\n');
    assert.equal((await errP).toString(), 'err\n');
    await c.remove();
  });

  it('docker.run collects the output and the exit code', async () => {
    const out = new PassThrough();
    const outP = collect(out);
    const [data, container] = (await docker.run('busybox', ['sh', '-c', 'echo ran; exit 4'], out)) as [{ StatusCode: number }, Docker.Container];
    out.end();
    assert.equal(data.StatusCode, 4);
    assert.match((await outP).toString(), /ran\r\n/); // docker.run makes a TTY
    await container.remove();
  });

  it('logs with follow end when the container exits', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'for i in 1 2 3; do echo l$i; sleep 0.2; done'] });
    await c.start();
    const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
    const d = demuxBuffer(await collect(stream));
    assert.equal(d.stdout.toString(), 'l1\nl2\nl3\n');
    const tail = (await c.logs({ stdout: true, tail: 1, timestamps: true })) as unknown as Buffer;
    assert.match(demuxBuffer(tail).stdout.toString(), /^\d{4}-\d\d-\d\dT[\d:.]+Z l3\n$/);
    await c.remove();
  });

  it('stats: one object, and a stream', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    const one = await c.stats({ stream: false });
    assert.equal(typeof one.memory_stats, 'object');
    assert.ok((one.pids_stats?.current ?? 0) >= 1);
    const s = (await c.stats({ stream: true })) as unknown as Readable;
    const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let text = '';
      s.on('data', (b: Buffer) => {
        text += b.toString();
        const nl = text.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(text.slice(0, nl)) as Record<string, unknown>);
      });
      s.on('error', reject);
    });
    s.destroy();
    assert.ok('cpu_stats' in first && 'read' in first);
    await c.remove({ force: true });
  });

  it('exec with hijack: stdin in, output out, exit code in inspect', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    const x = await c.exec({ Cmd: ['sh', '-c', 'cat; echo done >&2; exit 5'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = await x.start({ hijack: true, stdin: true });
    const outP = collect(stream);
    stream.end('piped in\n');
    const d = demuxBuffer(await outP);
    assert.equal(d.stdout.toString(), 'piped in\n');
    assert.equal(d.stderr.toString(), 'done\n');
    const info = await x.inspect();
    assert.equal(info.Running, false);
    assert.equal(info.ExitCode, 5);
    await c.remove({ force: true });
  });

  it('buildImage with followProgress', async () => {
    const ctx = tarOf({ Dockerfile: 'FROM busybox\nRUN echo built > /b\nCMD ["cat", "/b"]\n' });
    const stream = await docker.buildImage(Readable.from([ctx]), { t: 'dockerode-built:1' });
    const events = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, res: Record<string, unknown>[]) => (err ? reject(err) : resolve(res)));
    });
    assert.ok(events.some((ev) => typeof ev['stream'] === 'string' && /Successfully tagged dockerode-built:1/.test(ev['stream'] as string)));
    assert.ok(events.some((ev) => (ev['aux'] as { ID?: string } | undefined)?.ID?.startsWith('sha256:')));
    const img = await docker.getImage('dockerode-built:1').inspect();
    assert.deepEqual(img.Config.Cmd, ['cat', '/b']);
  });

  it('getEvents streams live events', async () => {
    const events = (await docker.getEvents({ filters: { type: ['container'], event: ['create'] } })) as unknown as Readable;
    const got = new Promise<Record<string, unknown>>((resolve) => {
      events.on('data', (b: Buffer) => resolve(JSON.parse(b.toString().split('\n')[0]!) as Record<string, unknown>));
    });
    const c = await docker.createContainer({ Image: 'busybox', name: 'evt-dockerode', Cmd: ['true'] });
    const ev = await got;
    events.destroy();
    assert.equal(ev['Action'], 'create');
    assert.equal((ev['Actor'] as { ID: string }).ID, c.id);
    await c.remove();
  });

  it('listContainers with filters', async () => {
    const a = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], Labels: { role: 'a' } });
    const b = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], Labels: { role: 'b' } });
    await a.start();
    const byLabel = await docker.listContainers({ all: true, filters: { label: ['role=b'] } });
    assert.deepEqual(byLabel.map((x) => x.Id), [b.id]);
    const running = await docker.listContainers({ filters: { status: ['running'], label: ['role'] } });
    assert.deepEqual(running.map((x) => x.Id), [a.id]);
    await a.remove({ force: true });
    await b.remove();
  });

  it('putArchive and getArchive', async () => {
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    await c.putArchive(tarOf({ 'put.txt': 'put by dockerode\n' }), { path: '/tmp' });
    const x = await c.exec({ Cmd: ['cat', '/tmp/put.txt'], AttachStdout: true, AttachStderr: true });
    const s = await x.start({ hijack: true });
    assert.equal(demuxBuffer(await collect(s)).stdout.toString(), 'put by dockerode\n');
    const tar = await collect((await c.getArchive({ path: '/tmp/put.txt' })) as unknown as Readable);
    assert.equal(tar.subarray(0, 7).toString(), 'put.txt');
    assert.ok(tar.includes(Buffer.from('put by dockerode\n')));
    const info = (await c.infoArchive({ path: '/tmp/put.txt' })) as unknown as { headers: Record<string, string> };
    const stat = JSON.parse(Buffer.from(info.headers['x-docker-container-path-stat']!, 'base64').toString()) as { name: string; size: number };
    assert.deepEqual([stat.name, stat.size], ['put.txt', 17]);
    await c.remove({ force: true });
  });
});
