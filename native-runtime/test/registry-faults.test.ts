// Faults between Berth and a real registry: the registry vanishing mid-pull (through a throttling TCP proxy
// that counts bytes), a connection dropped once (resumed with Range), and a tampered blob.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { openImageStores, type ImageStores } from '../src/images/open.js';
import { hostArchitecture, normalizeContainerConfig } from '../src/images/types.js';
import { writeLayer } from '../src/layers/write.js';
import { RegistryPolicy } from '../src/registry/allow-list.js';
import { pull } from '../src/registry/pull.js';
import { push } from '../src/registry/push.js';
import type { ProgressMessage } from '../src/registry/progress.js';
import { makeTar, tmpRoot } from './layers-helpers.js';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry-server.js';

const policy = new RegistryPolicy({ offline: true });

interface Proxy {
  port: number;
  bytes: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

/** TCP proxy to 127.0.0.1:target, writing at most `chunk` bytes per `intervalMs` per connection. */
function throttlingProxy(target: number, opts: { chunk: number; intervalMs: number; dropOnceAfter?: number }): Proxy {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let dropAt = opts.dropOnceAfter;
  const p: Proxy = {
    port: 0,
    bytes: 0,
    start: () =>
      new Promise((resolve, reject) => {
        server = net.createServer((client) => {
          const up = net.connect(target, '127.0.0.1');
          sockets.add(client).add(up);
          const close = (): void => {
            client.destroy();
            up.destroy();
            sockets.delete(client);
            sockets.delete(up);
          };
          client.on('error', close).on('close', close);
          up.on('error', close).on('close', close);
          client.pipe(up);
          let connBytes = 0;
          up.on('data', (data: Buffer) => {
            up.pause();
            let off = 0;
            const step = (): void => {
              if (client.destroyed) return;
              const slice = data.subarray(off, off + opts.chunk);
              off += slice.length;
              p.bytes += slice.length;
              connBytes += slice.length;
              client.write(slice);
              if (dropAt !== undefined && connBytes >= dropAt) {
                dropAt = undefined;
                close();
                return;
              }
              if (off < data.length) setTimeout(step, opts.intervalMs);
              else setTimeout(() => up.resume(), opts.intervalMs);
            };
            step();
          });
          up.on('end', () => client.end());
        });
        server.on('error', reject);
        server.listen(p.port, '127.0.0.1', () => {
          p.port = (server!.address() as net.AddressInfo).port;
          resolve();
        });
      }),
    kill: async () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    },
  };
  return p;
}

async function randomLayerImage(stores: ImageStores, tag: string, sizes: number[]): Promise<{ id: string; layers: string[] }> {
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < sizes.length; i++) {
    const tarBuf = await makeTar([{ name: `blob${i}.bin`, body: randomBytes(sizes[i]!) }]);
    const w = await writeLayer(Readable.from([tarBuf]), stores.content, { level: 1 });
    layers.push({ mediaType: w.mediaType, digest: w.digest, size: w.size });
    diffIds.push(w.diffId);
  }
  const created = '2024-05-06T07:08:09Z';
  const rec = await stores.images.create({
    config: { architecture: hostArchitecture(), os: 'linux', created, config: normalizeContainerConfig({ Cmd: ['/x'] }), rootfs: { type: 'layers', diff_ids: diffIds } },
    layers,
    tags: [tag],
  });
  return { id: rec.id, layers: layers.map((l) => l.digest) };
}

describe('registry faults', () => {
  let reg: RegistryServer;
  let src: ImageStores;
  let img: { id: string; layers: string[] };
  let sizes: number[];
  const repo = 'faults/img:1';
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  test('the registry killed mid-pull: clear error; the retry does not fetch finished layers again', async (t) => {
    src = await openImageStores(await tmpRoot(t));
    img = await randomLayerImage(src, `${reg.host}/${repo}`, [60_000, 80_000, 1_500_000]);
    await push(src, `${reg.host}/${repo}`, { policy });
    const recs = await src.images.get(img.id);
    sizes = recs.layers.map((l) => l.size);
    const [small1, small2, big] = recs.layers.map((l) => l.digest.slice(7, 19));

    const proxy = throttlingProxy(reg.port, { chunk: 16 * 1024, intervalMs: 10 });
    await proxy.start();
    const dst = await openImageStores(await tmpRoot(t));
    const ref = `127.0.0.1:${proxy.port}/${repo}`;
    const done = new Set<string>();
    let killed: Promise<void> | undefined;
    const onProgress = (m: ProgressMessage): void => {
      if (m.status === 'Download complete' && m.id) done.add(m.id);
      if (!killed && done.has(small1!) && done.has(small2!) && m.status === 'Downloading' && m.id === big && (m.progressDetail?.current ?? 0) > 200_000) {
        killed = proxy.kill();
      }
    };
    const t0 = Date.now();
    await assert.rejects(pull(dst, ref, { policy, onProgress, retries: 2, retryDelayMs: 50 }), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 502);
      assert.match(e.message, new RegExp(`downloading sha256:${big}[0-9a-f]+ from 127\\.0\\.0\\.1:${proxy.port}/faults/img failed after 3 attempts: .*connection (refused|reset)`));
      return true;
    });
    assert.ok(killed, 'the proxy was killed mid-transfer');
    assert.ok(Date.now() - t0 < 15_000);
    const firstRun = proxy.bytes;
    assert.ok(firstRun < sizes.reduce((a, b) => a + b, 0), 'the kill landed before everything was served');
    // Finished layers are stored; the interrupted one is not, and left no half-written file behind.
    assert.ok(await dst.content.has(recs.layers[0]!.digest));
    assert.ok(await dst.content.has(recs.layers[1]!.digest));
    assert.ok(!(await dst.content.has(recs.layers[2]!.digest)));
    assert.deepEqual(await fsp.readdir(path.join(dst.content.root, 'ingest')), []);

    proxy.bytes = 0;
    await proxy.start(); // same port
    const msgs: ProgressMessage[] = [];
    const r = await pull(dst, ref, { policy, onProgress: (m) => msgs.push(m) });
    assert.equal(r.imageId, img.id);
    const secondRun = proxy.bytes;
    assert.ok(secondRun >= sizes[2]!, `the big layer is fetched again (${secondRun})`);
    assert.ok(secondRun < sizes[2]! + 40_000, `finished layers are not re-downloaded: ${secondRun} bytes for a ${sizes[2]}-byte layer`);
    assert.ok(!msgs.some((m) => m.status === 'Downloading' && (m.id === small1 || m.id === small2)));
    await proxy.kill();
  });

  test('a connection dropped once mid-blob is resumed with Range, not restarted', async (t) => {
    const proxy = throttlingProxy(reg.port, { chunk: 64 * 1024, intervalMs: 1, dropOnceAfter: 700_000 });
    await proxy.start();
    const dst = await openImageStores(await tmpRoot(t));
    const r = await pull(dst, `127.0.0.1:${proxy.port}/${repo}`, { policy, retryDelayMs: 10 });
    assert.equal(r.imageId, img.id);
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(proxy.bytes < total + 200_000, `resumed: ${proxy.bytes} bytes served for ${total} bytes of blobs`);
    await proxy.kill();
  });

  test('a tampered blob fails verification and is not stored', async (t) => {
    const victim = img.layers[1]!;
    const server = http.createServer((req, res) => {
      const up = http.request({ host: '127.0.0.1', port: reg.port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        let flipped = false;
        ur.on('data', (c: Buffer) => {
          if (!flipped && req.method === 'GET' && req.url?.endsWith(`/blobs/${victim}`) && c.length > 10) {
            c = Buffer.from(c);
            c[10] = c[10]! ^ 0xff;
            flipped = true;
          }
          res.write(c);
        });
        ur.on('end', () => res.end());
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dst = await openImageStores(await tmpRoot(t));
      const port = (server.address() as net.AddressInfo).port;
      await assert.rejects(pull(dst, `127.0.0.1:${port}/${repo}`, { policy }), (e: Error) => {
        assert.match(e.message, new RegExp(`verification failed for digest ${victim}`));
        return true;
      });
      assert.equal(await dst.content.has(victim), false);
      assert.deepEqual(await fsp.readdir(path.join(dst.content.root, 'ingest')), []);
      assert.equal(await dst.images.find(img.id), null);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
