// Faults between Berth and a real registry: the registry vanishing mid-pull (through a throttling TCP proxy
// that counts bytes), a connection dropped once (resumed with Range), and a tampered blob; each also for
// the layer pull extracts while it downloads (its snapshot must never be committed unverified).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openImageStores, type ImageStores } from '../src/images/open.js';
import { hostArchitecture, normalizeContainerConfig } from '../src/images/types.js';
import { writeLayer } from '../src/layers/write.js';
import { RegistryPolicy } from '../src/registry/allow-list.js';
import { pull } from '../src/registry/pull.js';
import { chainIds } from '../src/snapshots/chain.js';
import { OverlaySnapshotter } from '../src/snapshots/overlay.js';
import { EXTRACT_PREFIX } from '../src/snapshots/unpack.js';
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

/** HTTP proxy to the registry that flips the byte at `offset` (in the first chunk) of blob `victim`. */
async function tamperingProxy(target: number, victim: string, offset = 10): Promise<{ port: number; close(): void }> {
  const server = http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      let flipped = false;
      ur.on('data', (c: Buffer) => {
        if (!flipped && req.method === 'GET' && req.url?.endsWith(`/blobs/${victim}`) && c.length > offset) {
          c = Buffer.from(c);
          c[offset] = c[offset]! ^ 0xff;
          flipped = true;
        }
        res.write(c);
      });
      ur.on('end', () => res.end());
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
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

/** Pulls ref (through a tampering proxy) into a fresh root: verification fails and nothing is kept. */
async function pullRefused(t: { after: (fn: () => Promise<void> | void) => void }, ref: string, victim: string, imageId: string): Promise<ImageStores> {
  const dst = await openImageStores(await tmpRoot(t));
  await assert.rejects(pull(dst, ref, { policy }), (e: Error) => {
    assert.match(e.message, new RegExp(`verification failed for digest ${victim}`));
    return true;
  });
  assert.equal(await dst.content.has(victim), false);
  assert.deepEqual(await fsp.readdir(path.join(dst.content.root, 'ingest')), []);
  assert.equal(await dst.images.find(imageId), null);
  return dst;
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
    const server = await tamperingProxy(reg.port, victim);
    try {
      await pullRefused(t, `127.0.0.1:${server.port}/${repo}`, victim, img.id);
    } finally {
      server.close();
    }
  });
});

describe('the layer extracted while it downloads', () => {
  let reg: RegistryServer;
  let img: { id: string; layers: string[]; diffIds: string[]; body: Buffer };
  const repo = 'streamed/img:1';
  before(async () => {
    reg = await startRegistry();
    const root = await fsp.mkdtemp('/var/tmp/berth-test-streamed-');
    try {
      const src = await openImageStores(root);
      const body = randomBytes(1_500_000);
      const layers = [];
      const diffIds = [];
      for (const entries of [
        [{ name: 'data/', type: 'directory' as const, mode: 0o755 }, { name: 'data/big.bin', body }],
        [{ name: 'small.txt', body: 'second layer\n' }],
      ]) {
        const w = await writeLayer(Readable.from([await makeTar(entries)]), src.content, { level: 1 });
        layers.push({ mediaType: w.mediaType, digest: w.digest, size: w.size });
        diffIds.push(w.diffId);
      }
      const created = '2024-05-06T07:08:09Z';
      const rec = await src.images.create({
        config: { architecture: hostArchitecture(), os: 'linux', created, config: normalizeContainerConfig({ Cmd: ['/x'] }), rootfs: { type: 'layers', diff_ids: diffIds } },
        layers,
        tags: [`${reg.host}/${repo}`],
      });
      await push(src, `${reg.host}/${repo}`, { policy });
      img = { id: rec.id, layers: layers.map((l) => l.digest), diffIds, body };
    } finally {
      await fsp.rm(root, { recursive: true, force: true });
    }
  });
  after(async () => {
    await reg?.stop();
  });

  /** Snapshots other than committed ones: extraction leftovers. */
  const unfinished = async (stores: ImageStores): Promise<string[]> => (await stores.snapshots.list()).filter((x) => x.kind !== 'committed').map((x) => x.key);

  test('extraction starts before the download ends; progress keeps Docker\'s order; the files are right', async (t) => {
    const proxy = throttlingProxy(reg.port, { chunk: 16 * 1024, intervalMs: 5 });
    await proxy.start();
    const dst = await openImageStores(await tmpRoot(t));
    const first = img.layers[0]!.slice(7, 19);
    let check: Promise<void> | undefined;
    let extractingMidDownload = false;
    const msgs: ProgressMessage[] = [];
    const onProgress = (m: ProgressMessage): void => {
      msgs.push(m);
      if (!check && m.status === 'Downloading' && m.id === first && (m.progressDetail?.current ?? 0) > 1_000_000) {
        check = dst.snapshots.list().then((l) => {
          extractingMidDownload = l.some((x) => x.kind === 'active' && x.key.startsWith(EXTRACT_PREFIX));
        });
      }
    };
    const r = await pull(dst, `127.0.0.1:${proxy.port}/${repo}`, { policy, onProgress });
    await check;
    await proxy.kill();
    assert.equal(r.imageId, img.id);
    assert.ok(extractingMidDownload, 'an extraction snapshot existed while the first layer was still downloading');
    const order = ['Download complete', 'Extracting', 'Pull complete'].map((st) => msgs.findIndex((m) => m.status === st && m.id === first));
    assert.ok(order.every((x, k) => x >= 0 && (k === 0 || x > order[k - 1]!)), `order of ${JSON.stringify(order)}`);
    const [c0, c1] = chainIds(img.diffIds);
    assert.deepEqual(await fsp.readFile(path.join(await dst.snapshots.fsPath(c0!), 'data/big.bin')), img.body);
    assert.equal(await fsp.readFile(path.join(await dst.snapshots.fsPath(c1!), 'small.txt'), 'utf8'), 'second layer\n');
    assert.deepEqual(await fsp.readdir(await dst.snapshots.fsPath(c0!)), ['data'], 'no temporary names left in the layer');
    assert.deepEqual(await unfinished(dst), []);
  });

  test('tampered where the tar still reads right: verification fails, nothing is stored or committed', async (t) => {
    const victim = img.layers[0]!;
    // Byte 4 is in the gzip header's MTIME: the layer inflates to the same tar (same diffID), so only
    // the blob digest tells, and it comes after the last byte was extracted.
    const server = await tamperingProxy(reg.port, victim, 4);
    try {
      const dst = await pullRefused(t, `127.0.0.1:${server.port}/${repo}`, victim, img.id);
      assert.deepEqual(await dst.snapshots.list(), []);
    } finally {
      server.close();
    }
  });

  test('the registry killed mid-layer: no snapshot at all; the retry completes without fetching the stored layer again', async (t) => {
    const proxy = throttlingProxy(reg.port, { chunk: 16 * 1024, intervalMs: 5 });
    await proxy.start();
    const dst = await openImageStores(await tmpRoot(t));
    const ref = `127.0.0.1:${proxy.port}/${repo}`;
    const [first, second] = img.layers.map((d) => d.slice(7, 19));
    let secondDone = false;
    let killed: Promise<void> | undefined;
    const onProgress = (m: ProgressMessage): void => {
      if (m.status === 'Download complete' && m.id === second) secondDone = true;
      if (!killed && secondDone && m.status === 'Downloading' && m.id === first && (m.progressDetail?.current ?? 0) > 300_000) killed = proxy.kill();
    };
    await assert.rejects(pull(dst, ref, { policy, onProgress, retries: 1, retryDelayMs: 50 }), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 502);
      assert.match(e.message, new RegExp(`downloading ${img.layers[0]} .* failed after 2 attempts`));
      return true;
    });
    assert.ok(killed, 'the proxy was killed mid-layer');
    assert.deepEqual(await dst.snapshots.list(), [], 'nothing was committed, and the half extraction was removed');
    assert.equal(await dst.content.has(img.layers[0]!), false);
    assert.equal(await dst.content.has(img.layers[1]!), true);
    assert.deepEqual(await fsp.readdir(path.join(dst.content.root, 'ingest')), []);

    proxy.bytes = 0;
    await proxy.start();
    const msgs: ProgressMessage[] = [];
    const r = await pull(dst, ref, { policy, onProgress: (m) => msgs.push(m) });
    await proxy.kill();
    assert.equal(r.imageId, img.id);
    assert.ok(!msgs.some((m) => m.status === 'Downloading' && m.id === second), 'the stored layer is not fetched again');
    assert.deepEqual(await unfinished(dst), []);
  });

  test('kill -9 mid-layer: after recovery no snapshot and no half blob remain; the pull then completes', async (t) => {
    const proxy = throttlingProxy(reg.port, { chunk: 16 * 1024, intervalMs: 5 });
    await proxy.start();
    const root = await tmpRoot(t);
    const ref = `127.0.0.1:${proxy.port}/${repo}`;
    const first = img.layers[0]!.slice(7, 19);
    const src = (m: string): string => JSON.stringify(fileURLToPath(new URL(`../src/${m}`, import.meta.url)));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      import { openImageStores } from ${src('images/open.ts')};
      import { RegistryPolicy } from ${src('registry/allow-list.ts')};
      import { pull } from ${src('registry/pull.ts')};
      const stores = await openImageStores(${JSON.stringify(root)});
      await pull(stores, ${JSON.stringify(ref)}, { policy: new RegistryPolicy({ offline: true }), onProgress: (m) => console.log(JSON.stringify(m)) });
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    let out = '';
    let sawExtraction = false;
    for await (const c of child.stdout) {
      out += String(c);
      const lines = out.split('\n');
      out = lines.pop()!;
      const m = lines.map((l) => JSON.parse(l) as ProgressMessage).find((x) => x.status === 'Downloading' && x.id === first && (x.progressDetail?.current ?? 0) > 500_000);
      if (!m) continue;
      const seen = await OverlaySnapshotter.open(path.join(root, 'snapshots')); // reads the records only
      sawExtraction = (await seen.list()).some((x) => x.kind === 'active' && x.key.startsWith(EXTRACT_PREFIX));
      child.kill('SIGKILL');
      break;
    }
    assert.equal(await exited, 'SIGKILL');
    assert.ok(sawExtraction, 'the child was extracting when it was killed');
    const dst = await openImageStores(root, { recover: true });
    assert.deepEqual(await dst.snapshots.list(), []);
    assert.deepEqual(await fsp.readdir(path.join(dst.content.root, 'ingest')), []);
    assert.equal(await dst.content.has(img.layers[0]!), false);
    const r = await pull(dst, ref, { policy });
    await proxy.kill();
    assert.equal(r.imageId, img.id);
    assert.deepEqual(await unfinished(dst), []);
  });

  test('a connection dropped once mid-layer is resumed with Range while extracting', async (t) => {
    const proxy = throttlingProxy(reg.port, { chunk: 64 * 1024, intervalMs: 1, dropOnceAfter: 900_000 });
    await proxy.start();
    const dst = await openImageStores(await tmpRoot(t));
    const r = await pull(dst, `127.0.0.1:${proxy.port}/${repo}`, { policy, retryDelayMs: 10 });
    await proxy.kill();
    assert.equal(r.imageId, img.id);
    assert.ok(proxy.bytes < 1_500_000 + 300_000, `resumed: ${proxy.bytes} bytes served`);
    const [c0] = chainIds(img.diffIds);
    assert.deepEqual(await fsp.readFile(path.join(await dst.snapshots.fsPath(c0!), 'data/big.bin')), img.body);
  });
});
