// Containers outlive the process that owns the Berth (SIGKILL), and an import killed half-way leaves
// nothing partial behind. The owners run as child processes so they can really be SIGKILLed.
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { EngineEvent } from '../src/engine/types.ts';
import { demux } from '../src/logs/format.ts';
import { collectJson, makeEnv, sleep, type TestEnv } from './berth-helpers.ts';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `body` (an async function body with `Berth`, `b`, `fs` in scope) in a child process. */
function child(env: TestEnv, body: string): { proc: ChildProcess; lines: AsyncIterator<string>; script: string } {
  const script = path.join(env.root, `child-${Date.now()}.mts`);
  fs.writeFileSync(
    script,
    `import fs from 'node:fs';\nimport { Berth } from ${JSON.stringify(INDEX)};\n` +
      `const b = new Berth({ root: ${JSON.stringify(env.root)}, run: ${JSON.stringify(env.run)}, cgroupParent: ${JSON.stringify(env.cgroupParent)} });\n` +
      `${body}\nsetInterval(() => {}, 1000);\n`,
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  async function* split(): AsyncGenerator<string> {
    let buf = '';
    for await (const ch of proc.stdout!) {
      buf += ch.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
      }
    }
  }
  return { proc, lines: split(), script };
}

async function killHard(proc: ChildProcess): Promise<void> {
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}

describe('restart survival', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('rst');
  });
  after(async () => {
    await env.cleanup();
  });

  test('5 containers keep running when their owner is SIGKILLed; a new Berth adopts them', async () => {
    const { proc, lines } = child(
      env,
      `const ids = [];
for (let i = 0; i < 5; i++) {
  const c = await b.createContainer({ Image: 'busybox', name: 'surv' + i, Cmd: ['sh', '-c', 'trap "exit 7" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'] });
  await c.start();
  ids.push(c.id);
}
console.log(JSON.stringify(ids));`,
    );
    const first = await lines.next();
    const ids = JSON.parse(first.value as string) as string[];
    assert.equal(ids.length, 5);
    await killHard(proc);

    const b = env.berth; // another process than the one that started them
    const since = Date.now() / 1000;
    const list = await b.listContainers();
    assert.deepEqual(list.map((c) => c.Id).sort(), [...ids].sort());
    assert.ok(list.every((c) => c.State === 'running'));
    const count = async (id: string) => (demux((await b.getContainer(id).logs({ stdout: true })) as Buffer).stdout.toString().match(/tick/g) ?? []).length;
    const before0 = await count(ids[0]!);
    await sleep(600);
    assert.ok((await count(ids[0]!)) > before0, 'logs continue');
    const follow = await b.getContainer(ids[1]!).logs({ follow: true, stdout: true, tail: 0 });
    const followed: Buffer[] = [];
    follow.on('data', (d: Buffer) => followed.push(d));
    await sleep(400);
    assert.match(demux(Buffer.concat(followed)).stdout.toString(), /tick \d+/);
    await Promise.all(ids.map((id) => b.getContainer(id).stop({ t: 5 })));
    for (const id of ids) {
      const st = (await b.getContainer(id).inspect()).State;
      assert.equal(st.Status, 'exited');
      assert.equal(st.ExitCode, 7);
    }
    follow.destroy();
    const ev = await collectJson<EngineEvent>(await b.getEvents({ since, until: Date.now() / 1000 + 0.1, filters: { event: ['die'] } }));
    assert.equal(ev.length, 5);
    assert.ok(ev.every((e) => e.Actor.Attributes['exitCode'] === '7'));
  });

  test('a container that exits while no Berth runs gets its exit code on recovery', async () => {
    await env.berth.close();
    const { proc, lines } = child(
      env,
      `const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.5; exit 3'] });
await c.start();
console.log(c.id);`,
    );
    const id = (await lines.next()).value as string;
    await killHard(proc);
    await sleep(1000);
    const b = env.open();
    const st = (await b.getContainer(id).inspect()).State;
    assert.equal(st.Status, 'exited');
    assert.equal(st.ExitCode, 3);
    await b.close();
  });

  test('after a host reboot (run dir gone) running containers show as exited with an explanation', async () => {
    const { proc, lines } = child(env, `const c = await b.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });\nawait c.start();\nconsole.log(c.id);`);
    const id = (await lines.next()).value as string;
    await killHard(proc);
    // Simulate the reboot: the shim is gone and tmpfs $BERTH_RUN is empty.
    const pid = Number(fs.readFileSync(path.join(env.run, id.slice(0, 12), 'shim.pid'), 'utf8').split(' ')[0]);
    process.kill(pid, 'SIGKILL');
    await sleep(200);
    fs.rmSync(env.run, { recursive: true, force: true });
    const b2 = env.open();
    const st = (await b2.getContainer(id).inspect()).State;
    assert.equal(st.Status, 'exited');
    assert.match(st.Error, /host rebooted/);
    assert.equal(st.ExitCode, 255);
    await b2.close();
  });
});

describe('crash safety', () => {
  let env: TestEnv;
  let tarPath = '';
  before(() => {
    env = makeEnv('crash');
    const dir = fs.mkdtempSync('/var/tmp/berth-bigtar-');
    fs.mkdirSync(path.join(dir, 'rootfs/data'), { recursive: true });
    execFileSync('sh', ['-c', `head -c 300000000 /dev/urandom > ${dir}/rootfs/data/big`]);
    fs.copyFileSync('/bin/busybox', path.join(dir, 'rootfs/busybox'));
    tarPath = path.join(dir, 'big.tar');
    execFileSync('tar', ['-C', path.join(dir, 'rootfs'), '-cf', tarPath, '.']);
    fs.rmSync(path.join(dir, 'rootfs'), { recursive: true });
  });
  after(async () => {
    await env.cleanup();
    fs.rmSync(path.dirname(tarPath), { recursive: true, force: true });
  });

  test('SIGKILL during importImage leaves no partial image, no bad blob, no ingest; the import then succeeds', async () => {
    const { proc, lines } = child(
      env,
      `await b.ping();
const s = await b.importImage(fs.createReadStream(${JSON.stringify('TAR')}), { repo: 'big', tag: 'v1' });
s.on('data', (d) => { process.stdout.write('progress ' + d.toString().split('\\n')[0] + '\\n'); });`.replace('"TAR"', JSON.stringify(tarPath)),
    );
    for (;;) {
      const l = await lines.next();
      assert.ok(!l.done, 'child ended early');
      if (/Importing/.test(l.value as string)) break;
    }
    await sleep(150);
    await killHard(proc);

    const b = env.berth;
    const images = await b.listImages();
    assert.deepEqual(images.map((i) => i.RepoTags), [['busybox:latest']]);
    assert.deepEqual(fs.readdirSync(path.join(env.root, 'content/ingest')), []);
    const blobs = path.join(env.root, 'content/blobs/sha256');
    for (const hex of fs.readdirSync(blobs)) {
      const h = createHash('sha256').update(fs.readFileSync(path.join(blobs, hex))).digest('hex');
      assert.equal(h, hex, `blob ${hex} matches its digest`);
    }
    const progress = await collectJson<{ status?: string; error?: string }>(await b.importImage(fs.createReadStream(tarPath), { repo: 'big', tag: 'v1' }));
    assert.match(progress.at(-1)!.status ?? '', /^sha256:/, JSON.stringify(progress.at(-1)));
    assert.ok((await b.listImages()).some((i) => i.RepoTags?.includes('big:v1')));
  });
});
