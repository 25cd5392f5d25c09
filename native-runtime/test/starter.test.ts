import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { openImageStores } from '../src/images/index.js';
import { buildBusyboxImage, ensureStarterImage } from '../src/starter/index.js';
import { chainIds } from '../src/snapshots/index.js';
import { FIXTURES, shape, tmpRoot } from './layers-helpers.js';

const skip = !existsSync('/bin/busybox') && process.getuid?.() !== 0 ? 'no /bin/busybox and not root' : false;

test('busybox:latest builds from the host busybox, with a stable ID and Docker-shaped inspect/history', { skip }, async (t) => {
  const rootA = await tmpRoot(t, 'berth-starter-');
  const rootB = await tmpRoot(t, 'berth-starter-');
  const a = await openImageStores(rootA, { recover: true });
  const first = await ensureStarterImage(a);
  assert.ok(first);
  assert.equal(first.tag, 'busybox:latest');
  assert.equal(await ensureStarterImage(a), null, 'not rebuilt when an image exists');
  const again = await buildBusyboxImage(a);
  const other = await buildBusyboxImage(await openImageStores(rootB));
  assert.equal(again.id, first.id, 'same ID on rebuild');
  assert.equal(other.id, first.id, 'same ID in another root');

  const i = await a.images.inspect('busybox');
  const fx = JSON.parse(await fsp.readFile(path.join(FIXTURES, 'api_images_busybox_json.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(i), Object.keys(fx));
  assert.deepEqual(Object.keys(i.Config!), Object.keys(fx['Config'] as object));
  assert.deepEqual(i.Config!.Cmd, ['sh']);
  assert.deepEqual(i.Config!.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  assert.deepEqual(i.RepoTags, ['busybox:latest']);
  assert.equal(i.RootFS.Layers!.length, 1);
  assert.ok(i.Size > 500_000, `size ${i.Size}`);

  const h = await a.images.history('busybox:latest');
  const hfx = JSON.parse(await fsp.readFile(path.join(FIXTURES, 'api_images_busybox_history.json'), 'utf8')) as unknown[];
  assert.deepEqual(shape(h[0]), shape(hfx[0]));
  assert.equal(h.length, 2);
  assert.equal(h[0]!.CreatedBy, '/bin/sh -c #(nop)  CMD ["sh"]');
  assert.equal(h[0]!.Size, 0);
  assert.equal(h[0]!.Id, i.Id);
  assert.match(h[1]!.CreatedBy, /^\/bin\/sh -c #\(nop\) ADD file:[a-f0-9]{64} in \/ $/);
  assert.equal(h[1]!.Id, '<missing>');
  assert.equal(h[1]!.Size, i.Size);

  // The unpacked rootfs looks like the official image.
  const [chain] = chainIds(i.RootFS.Layers!);
  const fs = await a.snapshots.fsPath(chain!);
  assert.equal(await fsp.readlink(path.join(fs, 'bin/sh')), 'busybox');
  assert.equal(await fsp.readlink(path.join(fs, 'bin/ls')), 'busybox');
  assert.equal((await fsp.stat(path.join(fs, 'bin/busybox'))).mode & 0o777, 0o755);
  assert.equal((await fsp.stat(path.join(fs, 'tmp'))).mode & 0o7777, 0o1777);
  const passwd = await fsp.readFile(path.join(fs, 'etc/passwd'), 'utf8');
  assert.deepEqual(passwd.trim().split('\n').map((l) => l.split(':')[0]), ['root', 'daemon', 'bin', 'sys', 'sync', 'mail', 'www-data', 'operator', 'nobody']);
  assert.ok((await fsp.readFile(path.join(fs, 'etc/group'), 'utf8')).includes('nogroup:x:65534:'));
  for (const d of ['root', 'home', 'var', 'usr', 'etc', 'dev', 'proc', 'sys']) assert.ok((await fsp.stat(path.join(fs, d))).isDirectory(), d);
});
