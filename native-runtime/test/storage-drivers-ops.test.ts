// Everything else the engine does, once per storage driver, each on a loop-mounted filesystem of its own
// kind: exec, docker cp both ways, restart, save | load, push | pull through a docker-registry on
// 127.0.0.1, prune, image and container inspect's GraphDriver.Name, kill -9 of the server with a running
// container, and all of it again in a user namespace (`--userns=auto`: the tree reaches the container
// through an idmapped bind on btrfs and vfs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Berth } from '../src/index.ts';
import type { ContainerCreateBody } from '../src/engine/types.ts';
import { driverDir, type DriverName } from '../src/snapshots/index.ts';
import { removeCgroupParent, runToExit } from './berth-helpers.ts';
import { progressLines, readAll } from './berth-ship-helpers.ts';
import { makeTar, readTar } from './layers-helpers.ts';
import { fsUnavailable, makeLoopFs, type FsKind } from './storage-helpers.ts';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry-server.ts';

process.env['BERTH_OFFLINE'] = '1'; // tests never leave loopback

const CASES: Array<[DriverName, FsKind]> = [
  ['overlay', 'ext4'],
  ['btrfs', 'btrfs'],
  ['vfs', 'ext4'],
];

const NONE = { NetworkMode: 'none' };

/** stdout of an exec (no tty: docker's 8-byte frame headers are stripped). */
async function execOut(b: Berth, id: string, cmd: string[]): Promise<string> {
  const x = await b.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const chunks: Buffer[] = [];
  for await (const c of await x.start({})) chunks.push(Buffer.from(c as Uint8Array));
  const raw = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const n = raw.readUInt32BE(i + 4);
    if (raw[i] === 1) out += raw.subarray(i + 8, i + 8 + n).toString();
    i += 8 + n;
  }
  return out;
}

/** Snapshot directories the driver holds. */
function snapshotDirs(root: string, driver: DriverName): number {
  return fs.readdirSync(driverDir(root, driver)).filter((n) => /^[a-f0-9]{64}$/.test(n)).length;
}

function mapOf(text: string): number[] {
  return text.trim().split(/\s+/).map(Number);
}

let reg: RegistryServer | undefined;
before(async () => {
  if (registryAvailable()) reg = await startRegistry();
});
after(async () => {
  await reg?.stop();
});

for (const [driver, kind] of CASES) {
  describe(`engine operations on ${driver} (${kind})`, { skip: fsUnavailable(kind) ?? false }, () => {
    let b: Berth;
    let root = '';
    const cgroupParent = `berth-test-sdo-${driver}-${randomBytes(3).toString('hex')}`;
    const cleanups: Array<() => void> = [];
    const open = (): Berth => new Berth({ root, run: path.join(root, 'run'), cgroupParent, storageDriver: driver });
    before(async () => {
      root = makeLoopFs({ after: (fn) => cleanups.push(fn) }, kind, 700);
      // A remapped root must be able to reach the data root (dockerd asks for o+x on its parents too).
      fs.chmodSync(path.dirname(root), 0o711);
      b = open();
      await b.ping();
    });
    after(async () => {
      for (const c of await b.listContainers({ all: true })) await b.getContainer(c.Id).remove({ force: true }).catch(() => {});
      await b.close();
      removeCgroupParent(cgroupParent);
      for (const fn of cleanups.reverse()) fn();
    });

    for (const userns of ['host', 'auto'] as const) {
      test(`exec, cp in and out, restart (userns ${userns})`, async () => {
        const c = await b.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { ...NONE, UsernsMode: userns } } as ContainerCreateBody);
        await c.start();
        try {
          const uidMap = mapOf(await execOut(b, c.id, ['cat', '/proc/self/uid_map']));
          if (userns === 'auto') assert.ok(uidMap[1]! >= 100000, `mapped: ${uidMap.join(' ')}`);
          else assert.deepEqual(uidMap.slice(0, 2), [0, 0]);
          assert.equal(await execOut(b, c.id, ['sh', '-c', 'echo made > /made && chown 1000:1000 /made && cat /made']), 'made\n');

          // cp in: container-relative owners from the tar; cp out: the same owners back.
          await c.putArchive(await makeTar([{ name: 'in/f', mode: 0o640, uid: 1234, gid: 4321, body: 'copied in' }]), { path: '/tmp' });
          assert.equal(await execOut(b, c.id, ['sh', '-c', 'cat /tmp/in/f; stat -c " %u:%g %a" /tmp/in/f']), 'copied in 1234:4321 640\n');
          const out = await readTar(await c.getArchive({ path: '/made' }));
          assert.equal(out[0]!.name, 'made');
          assert.equal(out[0]!.body.toString(), 'made\n');
          assert.deepEqual([out[0]!.uid, out[0]!.gid], [1000, 1000], 'cp out gives container-relative ids');

          await c.restart({ t: 1 });
          assert.equal(await execOut(b, c.id, ['cat', '/made', '/tmp/in/f']), 'made\ncopied in');
          if (userns === 'auto') assert.deepEqual(mapOf(await execOut(b, c.id, ['cat', '/proc/self/uid_map'])), uidMap, 'the range is kept across a restart');
        } finally {
          await c.remove({ force: true });
        }
      });
    }

    test('image and container inspect name the driver as dockerd does', async () => {
      const want = driver === 'overlay' ? 'overlay2' : driver;
      const img = await b.getImage('busybox').inspect();
      assert.equal(img.GraphDriver.Name, want);
      if (driver === 'overlay') assert.ok(img.GraphDriver.Data?.['UpperDir']);
      else assert.equal(img.GraphDriver.Data, null, 'moby\'s btrfs and vfs drivers show no data');
      const c = await b.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: NONE } as ContainerCreateBody);
      assert.equal((await c.inspect()).GraphDriver.Name, want);
      await c.remove();
    });

    test('commit, save | load, push | pull, then prune drops the snapshots', async () => {
      const r = await runToExit(b, { Cmd: ['sh', '-c', `echo ${driver} > /stamp && mkdir -p /d/e && echo deep > /d/e/f && rm /bin/vi`], HostConfig: NONE }, { keep: true });
      assert.equal(r.code, 0, r.stderr);
      const repo = `moved-${driver}`;
      await b.getContainer(r.id).commit({ repo, tag: 'v1' });
      await b.getContainer(r.id).remove();
      const check = async (image: string): Promise<void> => {
        const got = await runToExit(b, { Image: image, Cmd: ['sh', '-c', 'cat /stamp /d/e/f; test -e /bin/vi || echo no-vi'], HostConfig: NONE });
        assert.equal(got.stdout, `${driver}\ndeep\nno-vi\n`, got.stderr);
      };

      const saved = await readAll(await b.getImage(`${repo}:v1`).get());
      await b.getImage(`${repo}:v1`).remove();
      const loaded = await progressLines(await b.loadImage(Readable.from([saved])));
      assert.ok(loaded.some((m) => String(m.stream ?? '').includes(`Loaded image: ${repo}:v1`)), JSON.stringify(loaded));
      await check(`${repo}:v1`);

      if (reg) {
        const ref = `${reg.host}/storage/${repo}:v1`;
        await b.getImage(`${repo}:v1`).tag({ repo: `${reg.host}/storage/${repo}`, tag: 'v1' });
        const pushed = await progressLines(await b.getImage(ref).push());
        assert.ok(!pushed.some((m) => m.error), JSON.stringify(pushed));
        await b.getImage(ref).remove();
        await b.getImage(`${repo}:v1`).remove();
        const pulled = await progressLines(await b.pull(ref));
        assert.ok(!pulled.some((m) => m.error), JSON.stringify(pulled));
        await check(ref);
        await b.getImage(ref).tag({ repo, tag: 'v1' });
        await b.getImage(ref).remove();
      }

      // A stopped container and the image only it used: prune removes both, and their snapshots go.
      const stopped = await runToExit(b, { Image: `${repo}:v1`, Cmd: ['true'], HostConfig: NONE }, { keep: true });
      const before = snapshotDirs(root, driver);
      const pc = await b.pruneContainers();
      assert.ok(pc.ContainersDeleted?.includes(stopped.id), JSON.stringify(pc));
      // busybox is in use (a created container), so prune -a keeps it.
      const holder = await b.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: NONE } as ContainerCreateBody);
      const pi = await b.pruneImages({ filters: { dangling: ['false'] } });
      assert.ok((pi.ImagesDeleted ?? []).some((d) => d.Untagged === `${repo}:v1`), JSON.stringify(pi));
      await new Promise((r) => setTimeout(r, 300)); // deferred removal of the container's files
      const afterPrune = snapshotDirs(root, driver);
      assert.ok(afterPrune < before, `snapshot dirs ${before} -> ${afterPrune}`);
      // busybox still runs: its layers were kept.
      assert.equal((await runToExit(b, { Cmd: ['echo', 'ok'], HostConfig: NONE })).stdout, 'ok\n');
      await holder.remove();
    });

    test('kill -9 of the server with running containers (host and auto): they run on, exec works', async () => {
      await b.close(); // the child takes the root's lock
      const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
      const script = path.join(root, 'child.mts');
      fs.writeFileSync(
        script,
        `import { Berth } from ${JSON.stringify(index)};\n` +
          `const b = new Berth({ root: ${JSON.stringify(root)}, run: ${JSON.stringify(path.join(root, 'run'))}, cgroupParent: ${JSON.stringify(cgroupParent)}, storageDriver: ${JSON.stringify(driver)} });\n` +
          `const ids = [];\nfor (const u of ['host', 'auto']) {\n` +
          `  const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo alive > /alive; sleep 300'], HostConfig: { NetworkMode: 'none', UsernsMode: u } });\n` +
          `  await c.start(); ids.push(c.id);\n}\nconsole.log(ids.join(' '));\nsetInterval(() => {}, 1000);\n`,
      );
      const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
      const ids = await new Promise<string[]>((resolve, reject) => {
        proc.once('exit', (code) => {
          b = open(); // for the remaining checks and the clean-up
          reject(new Error(`child exited ${code}`));
        });
        let buf = '';
        proc.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) resolve(buf.trim().split(' '));
        });
      });
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await gone; // the exit handler above opened b again
      for (const id of ids) {
        const info = await b.getContainer(id).inspect();
        assert.equal(info.State.Running, true, `${id} runs on after the kill`);
        assert.equal(await execOut(b, id, ['cat', '/alive']), 'alive\n');
        await b.getContainer(id).remove({ force: true });
      }
    });
  });
}
