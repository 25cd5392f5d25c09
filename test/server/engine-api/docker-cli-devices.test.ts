// The real docker CLI against Berth for --device and --device-cgroup-rule (issue 16): the node made in the
// container with the host's numbers, the devices cgroup allowing it (and nothing else beyond the
// defaults), dockerd's messages for paths that are not devices, and inspect's HostConfig.Devices.
// dockerd is the reference (moby oci.DevicesFromPath, runc DeviceFromPath/createDeviceNode).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApiEnv, type ApiEnv } from './test-env.ts';

describe('docker CLI: --device and --device-cgroup-rule', () => {
  let e: ApiEnv;
  const ok = async (args: string[]) => {
    const r = await e.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    e = await startApiEnv('devices');
  });
  after(async () => {
    await e?.cleanup();
  });

  it('--device /dev/null:/dev/mynull makes a writable node with the host numbers', async () => {
    const r = await ok(['run', '--rm', '--device', '/dev/null:/dev/mynull', 'busybox', 'sh', '-c', 'echo hi > /dev/mynull && stat -c "%F %t:%T %a" /dev/mynull']);
    assert.equal(r.stdout, 'character special file 1:3 666\n');
  });

  it('a device outside the default list opens only with --device or a matching --device-cgroup-rule', async () => {
    // /dev/fuse (10:229) is not in runc's default allow list; mknod is ('c *:* m'), open is not.
    const script = 'mknod /dev/f c 10 229 && ((exec 3<>/dev/f) 2>&1 && echo opened || echo refused)';
    const plain = await ok(['run', '--rm', 'busybox', 'sh', '-c', script]);
    assert.match(plain.stdout, /Operation not permitted\nrefused\n$/);
    const rule = await ok(['run', '--rm', '--device-cgroup-rule', 'c 10:229 rwm', 'busybox', 'sh', '-c', script]);
    assert.equal(rule.stdout, 'opened\n');
    const dev = await ok(['run', '--rm', '--device', '/dev/fuse', 'busybox', 'sh', '-c', 'stat -c "%t:%T %a" /dev/fuse && (exec 3<>/dev/fuse) && echo opened']);
    assert.equal(dev.stdout, 'a:e5 600\nopened\n');
    // :r — the cgroup rule carries the permissions (/dev/null would not show it: it is in the defaults).
    const ro = await ok(['run', '--rm', '--device', '/dev/fuse:/dev/rofuse:r', 'busybox', 'sh', '-c', '(exec 3</dev/rofuse) && echo read-ok; (exec 3>/dev/rofuse) 2>&1 || echo write-refused']);
    assert.match(ro.stdout, /^read-ok\n.*Operation not permitted\nwrite-refused\n$/s);
  });

  it('a directory adds every device node under it, at the same relative paths', async () => {
    const dir = path.join(e.root, 'devdir');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    execFileSync('mknod', ['-m', '0640', path.join(dir, 'sub', 'zero'), 'c', '1', '5']);
    fs.writeFileSync(path.join(dir, 'not-a-device'), 'x');
    const r = await ok(['run', '--rm', '--device', `${dir}:/dev/custom`, 'busybox', 'sh', '-c', 'ls -R /dev/custom; stat -c "%t:%T %a" /dev/custom/sub/zero; head -c 3 /dev/custom/sub/zero | od -An -tx1']);
    assert.match(r.stdout, /^\/dev\/custom:\nsub\n\n\/dev\/custom\/sub:\nzero\n1:5 640\n 00 00 00\n$/);
  });

  it("paths that are not devices answer dockerd's message; bad rules are refused", async () => {
    const missing = await e.docker(['run', '--rm', '--device', '/nonexistent-dev', 'busybox', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/nonexistent-dev": no such file or directory/);
    const file = await e.docker(['create', '--device', '/etc/passwd:/dev/x', 'busybox', 'true']);
    assert.notEqual(file.code, 0);
    assert.match(file.stderr, /error gathering device information while adding custom device "\/etc\/passwd": not a device node/);
    // An empty directory holds no device: the same message as a file.
    fs.mkdirSync(path.join(e.root, 'empty'), { recursive: true });
    const empty = await e.docker(['create', '--device', `${e.root}/empty`, 'busybox', 'true']);
    assert.match(empty.stderr, /adding custom device ".*\/empty": not a device node/);
    // The CLI checks the rule syntax itself; the API refuses it too (as dockerd's WithDevices).
    const res = await fetchJson(e, '/containers/create', { Image: 'busybox', HostConfig: { DeviceCgroupRules: ['c 10:x rwm'] } });
    assert.equal(res.status, 400);
    assert.match(res.body, /invalid device cgroup rule format: 'c 10:x rwm'/);
    // The node is made under the container's root: a path that climbs out is refused (not cleaned).
    const up = await fetchJson(e, '/containers/create', { Image: 'busybox', HostConfig: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/../../escape', CgroupPermissions: 'rwm' }] } });
    assert.equal(up.status, 400);
    assert.match((JSON.parse(up.body) as { message: string }).message, /may not contain "\.\."/);
  });

  it('inspect shows HostConfig.Devices and DeviceCgroupRules as dockerd does', async () => {
    const id = (await ok(['create', '--device', '/dev/null:/dev/mynull', '--device', '/dev/zero', '--device-cgroup-rule', 'c 10:229 rwm', 'busybox', 'true'])).stdout.trim();
    const out = (await ok(['inspect', '-f', '{{json .HostConfig.Devices}} {{json .HostConfig.DeviceCgroupRules}}', id])).stdout.trim();
    assert.equal(
      out,
      '[{"PathOnHost":"/dev/null","PathInContainer":"/dev/mynull","CgroupPermissions":"rwm"},{"PathOnHost":"/dev/zero","PathInContainer":"/dev/zero","CgroupPermissions":"rwm"}] ["c 10:229 rwm"]',
    );
    // Without any: an empty list and null, as dockerd's inspect.
    const plain = (await ok(['create', 'busybox', 'true'])).stdout.trim();
    assert.equal((await ok(['inspect', '-f', '{{json .HostConfig.Devices}} {{json .HostConfig.DeviceCgroupRules}}', plain])).stdout.trim(), '[] null');
  });
});

/** A raw Engine API request over the env's unix socket (the CLI validates rules before sending). */
async function fetchJson(e: ApiEnv, pathname: string, body: unknown): Promise<{ status: number; body: string }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: e.socket, path: pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
