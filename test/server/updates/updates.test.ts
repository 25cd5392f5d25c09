// Issue 23: image updates against a real docker-registry on loopback. v1 runs with a port and a volume;
// v2 is pushed to the same tag: the check sees it and the update keeps name, ports and data. v3's health
// check fails: the update rolls back to v2. A registry that is down or hangs: a reason in time, no change.
// The images are pushed as localhost:<port>/app and run as 127.0.0.1:<port>/app (the same registry), so
// pushing a new version does not move the tag the running container was pulled as.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startRegistry, type RegistryServer } from '../../../native-runtime/test/support/registry-server.ts';
import { startApiEnv, type ApiEnv } from '../engine-api/test-env.ts';
import { UpdateChecker } from '../../../server/updates/check.ts';
import { updateContainer } from '../../../server/updates/update-container.ts';

function getJson(socketPath: string, p: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: p }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      })
      .on('error', reject);
  });
}

describe('image updates (issue 23)', () => {
  let e: ApiEnv;
  let reg: RegistryServer;
  let dir: string;
  let runRef: string;
  let hostPort: number;
  const ok = async (args: string[]) => {
    const r = await e.docker(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const publish = async (version: string, extra: string[] = []) => {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), ['FROM busybox', `RUN echo ${version} > /version`, ...extra, 'CMD ["sleep", "3600"]'].join('\n') + '\n');
    const pushRef = `localhost:${reg.port}/app:latest`;
    await ok(['build', '-q', '-t', pushRef, dir]);
    await ok(['push', pushRef]);
  };
  const inspect = async (name: string) => (await e.berth.getContainer(name).inspect());
  const exec = async (name: string, cmd: string) => ok(['exec', name, 'sh', '-c', cmd]);

  before(async () => {
    e = await startApiEnv('updates');
    reg = await startRegistry();
    dir = fs.mkdtempSync(path.join(e.root, 'ctx-'));
    runRef = `127.0.0.1:${reg.port}/app:latest`;
    hostPort = await freePort();
  });
  after(async () => {
    await e?.cleanup();
    await reg?.stop();
  });

  it('v1 → v2: the check reports the update, the update keeps name, ports, volume data', async () => {
    await publish('v1');
    await ok(['pull', runRef]);
    await ok(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${hostPort}:8080`, '-v', 'webdata:/data', '--label', 'berth.update=notify', '--restart', 'unless-stopped', runRef]);
    await exec('web', 'echo kept > /data/file');
    const checker = new UpdateChecker();
    const [first] = await checker.checkAll(e.berth, 'local', { refs: [runRef] });
    assert.equal(first?.status, 'up-to-date', JSON.stringify(first));

    await publish('v2');
    const cached = await checker.checkAll(e.berth, 'local', { refs: [runRef] });
    assert.equal(cached[0]?.status, 'up-to-date', 'answers are cached until forced or expired');
    const [second] = await checker.checkAll(e.berth, 'local', { refs: [runRef], force: true });
    assert.equal(second?.status, 'update-available', JSON.stringify(second));
    assert.ok(second?.status === 'update-available' && second.digest.startsWith('sha256:') && second.size > 0);
    // The same answer on the Engine API socket, as dockerd's GET /distribution/{name}/json gives it.
    const viaApi = await getJson(e.socket, `/v1.41/distribution/${runRef}/json`);
    assert.equal(viaApi.status, 200);
    assert.equal((viaApi.json as { Descriptor: { digest: string } }).Descriptor.digest, second?.status === 'update-available' ? second.digest : '');

    const beforeUpdate = await inspect('web');
    const steps: string[] = [];
    const r = await updateContainer(e.berth, 'web', { gate: { settleMs: 1500 }, onProgress: (s) => steps.push(s) });
    assert.equal(r.status, 'updated', JSON.stringify(r));
    const after = await inspect('web');
    assert.notEqual(after.Id, beforeUpdate.Id);
    assert.equal(after.Image, r.toImageId);
    assert.equal(after.State.Running, true);
    assert.deepEqual(after.HostConfig.PortBindings, beforeUpdate.HostConfig.PortBindings);
    assert.deepEqual(after.HostConfig.RestartPolicy, beforeUpdate.HostConfig.RestartPolicy);
    assert.equal(after.Config.Labels?.['berth.update'], 'notify');
    assert.equal(await exec('web', 'cat /version'), 'v2');
    assert.equal(await exec('web', 'cat /data/file'), 'kept');
    assert.ok(steps.some((s) => s.startsWith('pulling')));
    const names = (await e.berth.listContainers({ all: true })).map((c) => c.Names[0]);
    assert.deepEqual(names, ['/web'], 'the old container is gone');
    const [third] = await checker.checkAll(e.berth, 'local', { refs: [runRef], force: true });
    assert.equal(third?.status, 'up-to-date');
  });

  it('v3 with a failing health check rolls back to v2, which runs with its data', async () => {
    await publish('v3', ['HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD false']);
    const beforeUpdate = await inspect('web');
    const r = await updateContainer(e.berth, 'web', { gate: { settleMs: 1500, timeoutMs: 30_000 } });
    assert.equal(r.status, 'rolled-back', JSON.stringify(r));
    assert.match(r.reason ?? '', /health check failed/);
    const after = await inspect('web');
    assert.equal(after.Id, beforeUpdate.Id, 'the old container itself runs again');
    assert.equal(after.State.Running, true);
    assert.equal(await exec('web', 'cat /version'), 'v2');
    assert.equal(await exec('web', 'cat /data/file'), 'kept');
    assert.equal((await e.berth.listContainers({ all: true })).length, 1);
  });

  it('a registry that is down or hangs gives a reason within the time limit and changes nothing', async () => {
    const hang = net.createServer((s) => s.on('error', () => undefined)); // accepts, never answers
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const hangPort = (hang.address() as net.AddressInfo).port;
    try {
      const web = await inspect('web');
      // The same image, tagged for a registry that hangs; its RepoDigest is copied by hand as if pulled.
      const image = { Id: web.Image, RepoDigests: [`127.0.0.1:${hangPort}/app@sha256:${'0'.repeat(64)}`] };
      const checker = new UpdateChecker({ timeoutMs: 2000 });
      const t0 = Date.now();
      const r = await checker.checkOne(e.berth, 'local', `127.0.0.1:${hangPort}/app:latest`, image);
      assert.equal(r.status, 'unknown');
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      assert.match(r.status === 'unknown' ? r.reason : '', /no answer within 2s|no data/);
      // Backoff: the next question does not wait on the registry again.
      const t1 = Date.now();
      const again = await checker.checkOne(e.berth, 'local', `127.0.0.1:${hangPort}/app:latest`, image, true);
      assert.ok(Date.now() - t1 < 200 && again.status === 'unknown' && /retried after/.test(again.reason));

      await reg.stop();
      const down = await new UpdateChecker({ timeoutMs: 2000 }).checkAll(e.berth, 'local', { refs: [runRef] });
      assert.equal(down[0]?.status, 'unknown');
      const u = await updateContainer(e.berth, 'web', { gate: { settleMs: 500 } });
      assert.equal(u.status, 'failed');
      assert.match(u.reason ?? '', /pull failed/);
      const now = await inspect('web');
      assert.equal(now.Id, web.Id);
      assert.equal(now.State.Running, true);
    } finally {
      hang.close();
    }
  });
});
