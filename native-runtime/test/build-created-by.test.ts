// created_by must match Docker's classic builder character for character: the `bt` image of the
// fixtures (FROM busybox / RUN echo a > /a / COPY f.txt /f.txt / ENV X=1 / WORKDIR /w / CMD ["cat", "/a"])
// rebuilt through parser -> instructions -> apply/runCommand -> created_by, with the COPY hash computed
// from a context tar laid out as the docker CLI sends it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { normalizeContainerConfig } from '../src/images/types.ts';
import {
  applyMetadata,
  BuildArgs,
  dispatchEnv,
  expandInstruction,
  parseDockerfileStages,
  runCommand,
  type StageState,
} from '../src/builder/instructions/index.ts';
import {
  copyComment,
  createdByOf,
  healthcheckComment,
  nopCmd,
  nopCmdString,
  runSaveCmd,
  shellOf,
} from '../src/builder/created-by.ts';
import { readContext, resolveSources } from '../src/builder/context/index.ts';
import { cacheKey, canonicalJSON } from '../src/builder/cache-key.ts';
import { makeTar, tmpRoot } from './layers-helpers.ts';
import { DOCKER_API_FIXTURES } from './support/fixtures.ts';

const fixtureDir = DOCKER_API_FIXTURES;

const DOCKERFILE = 'FROM busybox\nRUN echo a > /a\nCOPY f.txt /f.txt\nENV X=1\nWORKDIR /w\nCMD ["cat", "/a"]\n';

async function btHistory(t: Parameters<typeof tmpRoot>[0]): Promise<string[]> {
  // what `docker build` sends: names relative, uid/gid 0, mode with the file-type bits
  const tarBuf = await makeTar([
    { name: 'Dockerfile', body: DOCKERFILE, mode: 0o644, uid: 0, gid: 0 },
    { name: 'f.txt', body: 'hello file\n', mode: 0o644, uid: 0, gid: 0 },
  ]);
  const tmp = await tmpRoot(t);
  const ctx = await readContext(Readable.from([tarBuf]), { tmpParent: tmp });
  const parsed = parseDockerfileStages(ctx.dockerfile);
  const stage = parsed.stages[0]!;
  const state: StageState = { config: normalizeContainerConfig({ Cmd: ['sh'] }), cmdSet: false, args: new BuildArgs().forStage() };
  const out: string[] = [];
  for (const c of stage.commands) {
    const ins = expandInstruction(c, dispatchEnv(state.config.Env, state.args));
    if (ins.kind === 'RUN') out.push(runCommand(state, ins).createdBy);
    else if (ins.kind === 'COPY' || ins.kind === 'ADD') {
      const src = await resolveSources(ctx.dir, ins.sources, { owners: ctx.owners });
      out.push(createdByOf(nopCmdString(shellOf(state.config), copyComment(ins.kind, src.hash, ins.dest, ins.chown))));
    } else out.push(applyMetadata(state, ins).createdBy);
  }
  await ctx.cleanup();
  return out;
}

test('created_by of the bt build equals api_images_bt_history.json', async (t) => {
  const hist = JSON.parse(readFileSync(path.join(fixtureDir, 'api_images_bt_history.json'), 'utf8')) as Array<{ CreatedBy: string }>;
  const want = hist.map((h) => h.CreatedBy).reverse().slice(1); // oldest first, without the imported base
  assert.deepEqual(await btHistory(t), want);
});

test('created_by of the bt build matches docker history --no-trunc', async (t) => {
  const lines = readFileSync(path.join(fixtureDir, 'docker_history_bt_notrunc.txt'), 'utf8').split('\n');
  const got = await btHistory(t);
  for (const cb of got) {
    // the table pads columns, so the COPY string's trailing space merges into the padding
    assert.ok(lines.some((l) => l.includes(`   ${cb.trimEnd()}  `)), `${JSON.stringify(cb)} not in docker history`);
  }
  assert.equal(got[1], '/bin/sh -c #(nop) COPY file:3811227e22a0dc37012725ae573fe48e6ab02181aebba5bc060611388a315630 in /f.txt ');
});

test('created_by table for the other instructions', () => {
  const sh = ['/bin/sh', '-c'];
  const rows: Array<[string[], string]> = [
    [nopCmd(sh, 'ENV X=1'), '/bin/sh -c #(nop)  ENV X=1'],
    [nopCmdString(sh, 'WORKDIR /w'), '/bin/sh -c #(nop) WORKDIR /w'],
    [nopCmdString(sh, copyComment('COPY', 'dir:abc', '/dst')), '/bin/sh -c #(nop) COPY dir:abc in /dst '],
    [nopCmdString(sh, copyComment('ADD', 'multi:abc', '/d/', '1:2')), '/bin/sh -c #(nop) ADD --chown=1:2 multi:abc in /d/ '],
    [runSaveCmd([...sh, 'echo $A'], ['A=b']), '|1 A=b /bin/sh -c echo $A'],
    [runSaveCmd(['a', 'b'], []), 'a b'],
    [runSaveCmd(['a', 'b'], ['Z=1', 'B=2']), '|2 B=2 Z=1 a b'],
    [runSaveCmd(['x'], ['HTTP_PROXY=p'], (k) => k !== 'HTTP_PROXY'), '|0 x'],
  ];
  for (const [cmd, want] of rows) assert.equal(createdByOf(cmd), want);
  assert.equal(
    healthcheckComment({ Test: ['CMD-SHELL', 'true'], Interval: 30e9, Retries: 3 }),
    'HEALTHCHECK &{Test:[CMD-SHELL true] Interval:30s Timeout:0s StartPeriod:0s StartInterval:0s Retries:3}',
  );
});

test('RUN with build args: |N prefix, proxies hidden unless declared', () => {
  const parsed = parseDockerfileStages('FROM busybox\nARG A=b\nARG HTTP_PROXY\nRUN echo $A\nRUN ["echo", "x"]\n');
  const args = new BuildArgs({ no_proxy: 'localhost', HTTP_PROXY: 'http://p' }).forStage();
  const state: StageState = { config: normalizeContainerConfig({}), cmdSet: false, args };
  const got: string[] = [];
  for (const c of parsed.stages[0]!.commands) {
    const ins = expandInstruction(c, dispatchEnv(state.config.Env, state.args));
    got.push(ins.kind === 'RUN' ? runCommand(state, ins).createdBy : applyMetadata(state, ins).createdBy);
  }
  assert.deepEqual(got, [
    '/bin/sh -c #(nop)  ARG A=b',
    '/bin/sh -c #(nop)  ARG HTTP_PROXY',
    '|2 A=b HTTP_PROXY=http://p /bin/sh -c echo $A',
    '|2 A=b HTTP_PROXY=http://p echo x',
  ]);
  // an undeclared proxy arg is passed to RUN but not recorded
  const run = runCommand(state, expandInstruction(parsed.stages[0]!.commands[2]!, dispatchEnv([], state.args)) as never);
  assert.ok(run.env.includes('no_proxy=localhost'));
  assert.ok(!run.createdBy.includes('no_proxy'));
});

test('ENV in a stage shadows an ARG of the same name in RUN and expansion', () => {
  const parsed = parseDockerfileStages('FROM busybox\nARG V=arg\nENV V=env\nRUN echo $V\nENV W=$V\n');
  const state: StageState = { config: normalizeContainerConfig({}), cmdSet: false, args: new BuildArgs().forStage() };
  const got: string[] = [];
  for (const c of parsed.stages[0]!.commands) {
    const ins = expandInstruction(c, dispatchEnv(state.config.Env, state.args));
    got.push(ins.kind === 'RUN' ? runCommand(state, ins).createdBy : applyMetadata(state, ins).createdBy);
  }
  assert.equal(got[2], '/bin/sh -c echo $V');
  assert.equal(got[3], '/bin/sh -c #(nop)  ENV W=env');
});

test('cache key: canonical, sensitive to parent, config, cmd and sources', () => {
  const cfg = normalizeContainerConfig({ Env: ['X=1'], WorkingDir: '/w' });
  const step = { config: cfg, cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV X=1'] };
  const k = cacheKey('sha256:parent', step);
  assert.match(k, /^sha256:[0-9a-f]{64}$/);
  // key order does not matter
  const reordered = JSON.parse(canonicalJSON(cfg));
  assert.equal(cacheKey('sha256:parent', { config: reordered, cmd: step.cmd }), k);
  assert.notEqual(cacheKey('sha256:other', step), k);
  assert.notEqual(cacheKey('sha256:parent', { ...step, cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV X=2'] }), k);
  assert.notEqual(cacheKey('sha256:parent', { config: { ...cfg, User: 'u' }, cmd: step.cmd }), k);
  assert.notEqual(cacheKey('sha256:parent', step, 'file:aa'), cacheKey('sha256:parent', step, 'file:bb'));
  assert.notEqual(cacheKey('sha256:parent', { ...step, extra: { network: 'host' } }), k);
  assert.equal(canonicalJSON({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
});
