// The embedded DNS server through the docker CLI (issue #16): names of a network connected to a running
// container resolve at once, both ways; and a container that binds port 53 itself still has the embedded
// resolver at 127.0.0.11:53 (dockerd's resolver listens on a high port and DNATs 53 to it in the
// container's namespace, libnetwork resolver_unix.go). dockerd 20.10 is the reference for both.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startApiEnv, type ApiEnv } from './test-env.ts';

const UDP53_JS = String.raw`
const s = require('dgram').createSocket('udp4');
s.on('message', (m, from) => {
  const r = Buffer.concat([m, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 53])]);
  r[2] = 0x81; r[3] = 0x80; r.writeUInt16BE(1, 6); r.writeUInt16BE(0, 10);
  s.send(r, from.port, from.address);
});
s.bind(53, '0.0.0.0', () => console.log('bound'));
s.on('error', (e) => { console.log(e.code); process.exit(1); });`;

describe('docker CLI: the embedded DNS server', () => {
  let e: ApiEnv;
  const ok = async (args: string[]) => {
    const r = await e.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    e = await startApiEnv('dns');
  });
  after(async () => {
    await e?.cleanup();
  });

  it('docker network connect of a running container: the new network\'s names resolve at once, both ways', async () => {
    await ok(['network', 'create', 'dns-a']);
    await ok(['network', 'create', 'dns-b']);
    await ok(['run', '-d', '--name', 'xa', '--network', 'dns-a', 'busybox', 'sleep', '300']);
    await ok(['run', '-d', '--name', 'yb', '--network', 'dns-b', 'busybox', 'sleep', '300']);
    const before = await e.docker(['exec', 'xa', 'nslookup', 'yb', '127.0.0.11']);
    assert.notEqual(before.code, 0, 'yb is on another network');
    await ok(['network', 'connect', '--alias', 'xalias', 'dns-b', 'xa']);
    // No wait: the first query after the connect answers.
    const ip = (await ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "dns-b").IPAddress}}', 'yb'])).stdout.trim();
    assert.match((await ok(['exec', 'xa', 'nslookup', 'yb', '127.0.0.11'])).stdout, new RegExp(`Address:\\s+${ip.replace(/\./g, '\\.')}`));
    const xip = (await ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "dns-b").IPAddress}}', 'xa'])).stdout.trim();
    for (const name of ['xa', 'xalias', 'xa.dns-b']) {
      assert.match((await ok(['exec', 'yb', 'nslookup', name, '127.0.0.11'])).stdout, new RegExp(`Address:\\s+${xip.replace(/\./g, '\\.')}`), name);
    }
    await ok(['rm', '-f', 'xa', 'yb']);
  });

  it('a container serving port 53 itself (UDP and TCP) still resolves through 127.0.0.11:53', async () => {
    // Before: the embedded server held 127.0.0.11:53 in the namespace, so binding 0.0.0.0:53 failed.
    await ok(['run', '-d', '--name', 'peer53', '--network', 'dns-a', 'busybox', 'sleep', '300']);
    const id = (await ok(['run', '-d', '--name', 'own53', '--network', 'dns-a', 'busybox', 'httpd', '-f', '-p', '53', '-h', '/tmp'])).stdout.trim();
    // A UDP server on 0.0.0.0:53 in the container's namespace (the image has none): answers every query
    // with 192.0.2.53 (TEST-NET-1, data only).
    const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim();
    const server = spawn('nsenter', ['-t', pid, '-n', process.execPath, '-e', UDP53_JS], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const bound = await new Promise<string>((r) => server.stdout.once('data', (d: Buffer) => r(d.toString())));
      assert.equal(bound.trim(), 'bound', 'UDP 0.0.0.0:53 is free for the container');
      const procs = (await ok(['exec', id, 'netstat', '-lnut'])).stdout;
      assert.match(procs, /^tcp\s.*:53\s.*LISTEN/m, procs);
      // The container's own servers answer on its addresses...
      assert.match((await ok(['exec', id, 'nslookup', 'own.test', '127.0.0.1'])).stdout, /Address:\s+192\.0\.2\.53/);
      const web = await e.docker(['exec', id, 'wget', '-qO-', 'http://127.0.0.1:53/']);
      assert.match(web.stderr, /404|Not Found/, web.stderr);
      // ...and the embedded resolver on 127.0.0.11:53.
      const peerIp = (await ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "dns-a").IPAddress}}', 'peer53'])).stdout.trim();
      assert.match((await ok(['exec', id, 'nslookup', 'peer53', '127.0.0.11'])).stdout, new RegExp(`Address:\\s+${peerIp.replace(/\./g, '\\.')}`));
    } finally {
      server.kill();
    }
    await ok(['rm', '-f', 'own53', 'peer53']);
  });
});
