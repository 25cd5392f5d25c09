// Issue #15 item 6: what an engine killed mid-work leaves behind is cleaned when the next engine starts on
// the root, and legitimate data stays. The first engine runs in a child process so it can really be
// SIGKILLed in the middle of a build's RUN step; the other leftovers are made as the crashed code paths
// make them (a cp spool in a container's dir, an export mount dir, a config blob written by a load
// that never got to record its image).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { contextTar } from './build-exec-helpers.ts';
import { makeEnv, type TestEnv } from './berth-helpers.ts';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** A child process owning the root: starts a container, then a build whose RUN step never ends. */
function crashingEngine(env: TestEnv, contextFile: string): { proc: ChildProcess; line: Promise<string> } {
  const script = path.join(env.root, 'child-engine.mts');
  fs.writeFileSync(
    script,
    `import { Berth } from ${JSON.stringify(INDEX)};
const b = new Berth({ root: ${JSON.stringify(env.root)}, run: ${JSON.stringify(env.run)}, cgroupParent: ${JSON.stringify(env.cgroupParent)} });
const c = await b.createContainer({ Image: 'busybox', name: 'keeper', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
await c.start();
const out = await b.buildImage(${JSON.stringify(contextFile)}, { t: 'never:done' });
out.on('data', (d) => {
  const m = / ---> Running in ([0-9a-f]+)/.exec(String(d));
  if (m) console.log(JSON.stringify({ keeper: c.id, run: m[1] }));
});
setInterval(() => {}, 1000);
`,
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    proc.once('exit', (code) => reject(new Error(`child engine exited (${code}) before its RUN step started`)));
  });
  return { proc, line };
}

/** The kernel drops a killed process's flock as it reaps it; rarely that is a moment after 'exit'. */
async function lockReleased(lock: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (spawnSync('flock', ['-n', lock, 'true']).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${lock} is still held 10 s after its engine was killed`);
}

describe('crash leftovers are cleaned at engine start', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('leftovers');
  });
  after(async () => {
    await env.cleanup();
  });

  test('a stray RUN container, build temp dirs, cp spools, export dirs and an orphan config blob go; the rest stays', async () => {
    const ctx = path.join(env.root, 'ctx.tar');
    fs.writeFileSync(ctx, await contextTar({ Dockerfile: 'FROM busybox\nRUN sleep 1000\n' }));
    const { proc, line } = crashingEngine(env, ctx);
    const { keeper, run } = JSON.parse(await line) as { keeper: string; run: string };
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
    await lockReleased(path.join(env.root, 'berth.lock'));

    const buildTmp = path.join(env.root, 'build', 'tmp');
    const tmpLeft = fs.readdirSync(buildTmp);
    assert.ok(tmpLeft.length > 0, 'the killed build left its temp dirs');
    const keeperDir = path.join(env.root, 'containers', keeper);
    const spool = path.join(keeperDir, 'put-0a1b2c3d4e5f.tar');
    fs.writeFileSync(spool, Buffer.alloc(10240));
    const exportDir = path.join(env.root, 'tmp', 'export-AbC123');
    fs.mkdirSync(exportDir, { recursive: true });
    // archive/load.ts stores the config before the image record; a crash in between leaves it alone.
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
    const hex = createHash('sha256').update(config).digest('hex');
    const blob = path.join(env.root, 'content', 'blobs', 'sha256', hex);
    fs.writeFileSync(blob, config);
    const keeperFiles = fs.readdirSync(keeperDir).filter((f) => f !== path.basename(spool));

    const b = env.berth; // the next engine on this root
    const all = await b.listContainers({ all: true });
    assert.ok(!all.some((c) => c.Id.startsWith(run)), 'the RUN container is gone');
    assert.ok(!all.some((c) => c.Labels?.['berth.build.step']), 'no build container is left');
    assert.deepEqual(fs.readdirSync(buildTmp), [], 'build temp dirs are gone');
    assert.ok(!fs.existsSync(spool), 'the cp spool is gone');
    assert.ok(!fs.existsSync(exportDir), 'the export dir is gone');
    assert.ok(!fs.existsSync(blob), 'the orphan config blob is gone');

    // Legitimate data: the running container with its files, the image and its blobs.
    const k = await b.getContainer(keeper).inspect();
    assert.equal(k.State.Status, 'running');
    assert.deepEqual(fs.readdirSync(keeperDir).sort(), keeperFiles.sort());
    const img = await b.getImage('busybox').inspect();
    assert.ok(fs.existsSync(path.join(env.root, 'content', 'blobs', 'sha256', img.Id.slice('sha256:'.length))), 'the image config stays');
    const run2 = await b.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } } as never);
    await run2.start();
    assert.equal((await run2.wait()).StatusCode, 0, 'the image still runs');
  });
});
