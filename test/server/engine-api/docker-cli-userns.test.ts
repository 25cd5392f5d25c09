// The real docker CLI against a Berth whose default user namespace mode is `auto` (issue #19): the
// Engine API surface keeps working in a namespace (run, -t, exec, logs, stats, ports, health checks,
// commit) and `--userns=host` opts out as with dockerd. dockerd's answers are the reference for the
// shapes (info SecurityOptions "name=userns", HostConfig.UsernsMode).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startApiEnv, type ApiEnv } from './test-env.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('docker CLI: user namespaces (default auto)', () => {
  let e: ApiEnv;
  const ok = async (args: string[]) => {
    const r = await e.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    process.env['BERTH_USERNS'] = 'auto';
    try {
      e = await startApiEnv('userns');
    } finally {
      delete process.env['BERTH_USERNS'];
    }
  });
  after(async () => {
    await e?.cleanup();
  });

  it('info lists name=userns; run is remapped; --userns=host is the identity and inspect says host', async () => {
    assert.match((await ok(['info', '--format', '{{json .SecurityOptions}}'])).stdout, /"name=userns"/);
    const mapped = (await ok(['run', '--rm', 'busybox', 'cat', '/proc/self/uid_map'])).stdout.trim().split(/\s+/);
    assert.equal(mapped[0], '0');
    assert.notEqual(mapped[1], '0');
    const host = (await ok(['run', '--rm', '--userns=host', 'busybox', 'cat', '/proc/self/uid_map'])).stdout.trim().split(/\s+/);
    assert.deepEqual(host, ['0', '0', '4294967295']);
    const id = (await ok(['create', '--userns=host', 'busybox', 'true'])).stdout.trim();
    assert.equal((await ok(['inspect', '-f', '{{.HostConfig.UsernsMode}}', id])).stdout.trim(), 'host');
    await ok(['rm', id]);
  });

  it('a terminal, exec, logs and stats work inside the namespace', async () => {
    const t = await ok(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'id -u; tty']);
    assert.match(t.stdout, /^0\r?\n\/dev\/pts\/\d+\r?\n$/);
    const id = (await ok(['run', '-d', 'busybox', 'sh', '-c', 'echo started; sleep 60'])).stdout.trim();
    const own = (await ok(['exec', id, 'cat', '/proc/1/uid_map'])).stdout;
    const self = (await ok(['exec', id, 'cat', '/proc/self/uid_map'])).stdout;
    assert.equal(self, own, 'exec joined the container user namespace');
    assert.notEqual(self.trim().split(/\s+/)[1], '0');
    assert.match((await ok(['logs', id])).stdout, /started/);
    assert.match((await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', id])).stdout, /MiB|KiB|B \//);
    await ok(['rm', '-f', id]);
  });

  it('published ports and health checks work inside the namespace', async () => {
    const id = (
      await ok(['run', '-d', '-p', '127.0.0.1::8080', '--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/hostname', '--health-interval', '1s', 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc'])
    ).stdout.trim();
    try {
      const port = Number((await ok(['port', id, '8080/tcp'])).stdout.trim().split(':').pop());
      let r = { status: 0, body: '' };
      for (let i = 0; i < 50 && r.status !== 200; i++) {
        r = await get(port, '/hostname').catch(() => ({ status: 0, body: '' }));
        if (r.status !== 200) await sleep(100);
      }
      assert.equal(r.status, 200);
      assert.equal(r.body.trim(), id.slice(0, 12));
      let health = '';
      for (let i = 0; i < 60 && health !== 'healthy'; i++) {
        health = (await ok(['inspect', '-f', '{{.State.Health.Status}}', id])).stdout.trim();
        if (health !== 'healthy') await sleep(250);
      }
      assert.equal(health, 'healthy');
    } finally {
      await ok(['rm', '-f', id]);
    }
  });

  it('commit keeps container-relative owners', async () => {
    const id = (await ok(['run', '-d', 'busybox', 'sh', '-c', 'touch /owned && chown 1000:1000 /owned && sleep 60'])).stdout.trim();
    for (let i = 0; i < 50; i++) {
      if ((await e.docker(['exec', id, 'test', '-e', '/owned'])).code === 0) break;
      await sleep(100);
    }
    await ok(['commit', id, 'userns-commit:v1']);
    await ok(['rm', '-f', id]);
    assert.equal((await ok(['run', '--rm', '--userns=host', 'userns-commit:v1', 'stat', '-c', '%u:%g', '/owned'])).stdout.trim(), '1000:1000');
    assert.equal((await ok(['run', '--rm', 'userns-commit:v1', 'stat', '-c', '%u:%g', '/owned'])).stdout.trim(), '1000:1000');
  });
});
