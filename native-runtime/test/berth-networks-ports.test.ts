// Published ports with real containers: busybox httpd behind -p 127.0.0.1:PORT:80 answers from the
// host, keeps answering after the owner process is SIGKILLed (the shim owns the proxy), a taken port
// fails the start with Docker's 500, a removed container frees its port, PublishAllPorts picks a
// random one, and 1 MB through the port shows in the container's interface counters.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { linkStats } from '../src/native/index.ts';
import { HTTPD, freePort, httpGet, makeNetEnv, type NetEnv } from './berth-networks-env.ts';
import { waitFor } from './berth-helpers.ts';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let env: NetEnv;
before(() => {
  env = makeNetEnv('prt');
});
after(async () => {
  await env.cleanup();
});

async function answers(port: number): Promise<string> {
  return waitFor(async () => {
    const body = await httpGet(port).catch(() => '');
    return body.includes('hello from') ? body : undefined;
  }, 10_000, `httpd on 127.0.0.1:${port}`);
}

function totalRx(pid: number): number {
  return Object.values(linkStats(pid)).reduce((a, s) => a + s.rx_bytes, 0);
}

describe('published ports', () => {
  test('-p 127.0.0.1:PORT:80 answers from the host and survives SIGKILL of the owner process', async () => {
    const port = await freePort();
    const script = path.join(env.root, 'owner.mts');
    fs.writeFileSync(
      script,
      `import { Berth } from ${JSON.stringify(INDEX)};\n` +
        `const b = new Berth({ root: ${JSON.stringify(env.root)}, run: ${JSON.stringify(env.run)}, cgroupParent: ${JSON.stringify(env.cgroupParent)}, bridge: { name: ${JSON.stringify(env.bridge)}, subnet: ${JSON.stringify(env.subnet)} } });\n` +
        `const c = await b.createContainer({ Image: 'busybox', name: 'web', Cmd: ${JSON.stringify(HTTPD)}, ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '${port}' }] } } });\n` +
        `await c.start();\nconsole.log(c.id);\nsetInterval(() => {}, 1000);\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const id = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
    });
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match(await answers(port), /HTTP\/1\.[01] 200/);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    assert.match(await answers(port), /hello from/, 'still answers with the owner gone');

    // A new owner adopts it, shows the binding as Docker does, and a second container cannot take the port.
    // env.nb never ran in this process yet, so it takes the lock the killed owner left.
    const b = env.nb;
    const ins = await b.getContainer(id).inspect();
    assert.deepEqual(ins.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    const listed = (await b.listContainers()).find((c) => c.Id === id)!;
    assert.deepEqual(listed.Ports, [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: port, Type: 'tcp' }]);
    const clash = await b.createContainer({ Image: 'busybox', Cmd: HTTPD, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(port) }] } } });
    await assert.rejects(clash.start(), (e: { statusCode: number; message: string }) => {
      assert.equal(e.statusCode, 500);
      assert.match(e.message, new RegExp(`^driver failed programming external connectivity on endpoint [^ ]+ \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated$`));
      return true;
    });
    assert.equal((await clash.inspect()).State.Status, 'created');
    await clash.remove();

    // Removing the container frees the port: the host can bind it again.
    await b.getContainer(id).remove({ force: true });
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => srv.close(r));
  });

  test('PublishAllPorts with the exposed ports gets a random host port on 127.0.0.1; NetworkMode none works too', async () => {
    const b = env.nb;
    for (const NetworkMode of ['default', 'none']) {
      const c = await b.createContainer({ Image: 'busybox', Cmd: HTTPD, ExposedPorts: { '80/tcp': {}, '81/udp': {} }, HostConfig: { PublishAllPorts: true, NetworkMode } });
      await c.start();
      try {
        const ports = (await c.inspect()).NetworkSettings.Ports;
        const tcp = ports['80/tcp']![0]!;
        assert.equal(tcp.HostIp, '127.0.0.1');
        assert.ok(Number(tcp.HostPort) > 0);
        assert.equal(ports['81/udp']!.length, 1);
        assert.match(await answers(Number(tcp.HostPort)), /hello from/);
      } finally {
        await c.remove({ force: true });
      }
    }
    await assert.rejects(b.createContainer({ Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 'x' }] } } }), { statusCode: 400 });
  });

  test("1 MB sent through a published port raises the container's rx bytes by at least 1 MB", async () => {
    const b = env.nb;
    const port = await freePort();
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'nc -l -p 80 > /dev/null; sleep 30'], HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(port) }] } } });
    await c.start();
    try {
      const pid = (await c.inspect()).State.Pid;
      const before = totalRx(pid);
      // The same, as Docker's stats API reports it (networks keyed by interface, lo left out).
      const statsRx = async () => {
        const s = await c.stats({ stream: false });
        return Object.values(s.networks ?? {}).reduce((a, n) => a + n.rx_bytes, 0);
      };
      const statsBefore = await statsRx();
      const MB = 1024 * 1024;
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.alloc(MB, 7)));
        s.on('error', reject);
        s.on('close', () => resolve());
        s.resume();
      });
      const rx = await waitFor(() => {
        const d = totalRx(pid) - before;
        return d >= MB ? d : undefined;
      }, 10_000, 'rx bytes to rise by 1 MB');
      assert.ok(rx >= MB, `rx rose by ${rx}`);
      const viaStats = (await statsRx()) - statsBefore;
      assert.ok(viaStats >= MB, `stats() networks rx rose by ${viaStats}`);
    } finally {
      await c.remove({ force: true });
    }
  });
});
