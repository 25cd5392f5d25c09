// The create form's Devices entries read as `docker run --device` reads them (docker/cli opts
// parseLinuxDevice/validateDevice), and inspect's HostConfig.Devices back in that syntax.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceSpecOf, parseDeviceSpec } from '../../../../../server/api/routers/containers/device-spec.ts';

test('host[:container][:permissions] as the docker CLI parses it', () => {
  assert.deepEqual(parseDeviceSpec('/dev/fuse'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
  assert.deepEqual(parseDeviceSpec('/dev/loop0:/dev/xvda:rwm'), { PathOnHost: '/dev/loop0', PathInContainer: '/dev/xvda', CgroupPermissions: 'rwm' });
  // A second part that is a mode is the permissions, not a path.
  assert.deepEqual(parseDeviceSpec('/dev/null:r'), { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'r' });
  assert.equal(parseDeviceSpec('dev/fuse'), 'bad format for path: dev/fuse');
  assert.equal(parseDeviceSpec('/dev/a:/dev/b:rx'), 'invalid device mode: rx');
  assert.equal(parseDeviceSpec('/a:/b:r:x'), 'invalid device specification: /a:/b:r:x');
});

test('a mapping back in --device syntax, the shortest form', () => {
  for (const s of ['/dev/fuse', '/dev/loop0:/dev/xvda', '/dev/null:/dev/mynull:r', '/dev/null:r']) {
    const m = parseDeviceSpec(s);
    assert.ok(typeof m !== 'string');
    assert.equal(deviceSpecOf(m), s);
  }
});

test('the form posts HostConfig.Devices; "docker run" shows them back as --device flags', async () => {
  const { createBody } = await import('../../../../../server/api/routers/containers/create-body.ts');
  const { createInput } = await import('../../../../../server/api/routers/containers/schemas.ts');
  const { dockerRunCommand } = await import('../../../../../server/engine/docker-run-command.ts');
  const body = createBody(createInput.parse({ image: 'busybox', devices: ['/dev/fuse', '/dev/loop0:/dev/xvda:r'] }));
  const devices = [
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/loop0', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' },
  ];
  assert.deepEqual(body.HostConfig?.Devices, devices);
  assert.equal(createBody(createInput.parse({ image: 'busybox' })).HostConfig?.Devices, undefined);
  const cmd = dockerRunCommand({
    Name: '/d',
    Config: { Image: 'busybox:latest', Env: [], Cmd: ['sh'], Entrypoint: null, Labels: {} },
    HostConfig: { Devices: devices, DeviceCgroupRules: ['c 10:229 rwm'], RestartPolicy: { Name: 'no' } },
  } as never, { Cmd: ['sh'] });
  assert.equal(cmd, "docker run -d --name d --device /dev/fuse --device /dev/loop0:/dev/xvda:r --device-cgroup-rule 'c 10:229 rwm' busybox:latest");
});
