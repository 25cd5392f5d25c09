// The builder's structured records: each step's index, total, instruction, line and column (escape
// directive, continuations and heredocs included), cache hits, output and the failed step's error with
// its line; and their rendering as Docker's classic stream, byte for byte what dockerd sends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ClassicRenderer, renderClassic, type BuildRecord } from '../src/builder/index.ts';
import type { Berth } from '../src/index.ts';
import { makeEnv, type TestEnv } from './berth-helpers.ts';
import { contextTar, type ContextFiles } from './build-exec-helpers.ts';
import { DOCKER_API_FIXTURES } from './support/fixtures.ts';

const id = (short: string) => `sha256:${short}${'0'.repeat(64 - short.length)}`;
const loc = (line: number) => ({ line, column: 1, endLine: line });

/** The records of dockerd's build of the fixture's Dockerfile (cold: every step ran). */
function fixtureRecords(cached: boolean): BuildRecord[] {
  const steps: Array<[string, string, string]> = [
    ['RUN echo a > /a', 'b564d9d17ba9', '45576c9d9d41'],
    ['COPY f.txt /f.txt', '', '19d1994b789a'],
    ['ENV X=1', '6b7fc193638c', '381ad17c57d9'],
    ['WORKDIR /w', '71838a77a542', '61af571c678a'],
    ['CMD ["cat", "/a"]', 'ee0f8914b940', '3fb64012ceb1'],
  ];
  const out: BuildRecord[] = [
    { type: 'step', index: 1, total: 6, instruction: 'FROM busybox', location: loc(1) },
    { type: 'step-done', index: 1, imageId: id('16b6587b703a') },
  ];
  steps.forEach(([instruction, container, image], i) => {
    const index = i + 2;
    out.push({ type: 'step', index, total: 6, instruction, location: loc(index) });
    if (cached) out.push({ type: 'cache-hit', index });
    else if (container) out.push({ type: 'container', index, id: container + '0'.repeat(52) }, { type: 'container-removed', index, id: container + '0'.repeat(52) });
    out.push({ type: 'step-done', index, imageId: id(image) });
  });
  out.push({ type: 'built', imageId: id('3fb64012ceb1') }, { type: 'tagged', tag: 'bt:latest' });
  return out;
}

async function rendered(records: BuildRecord[], quiet = false): Promise<string> {
  let s = '';
  for await (const c of renderClassic(Readable.from(records), quiet)) s += (c as Buffer).toString();
  return s;
}

describe('rendering records as the classic stream', () => {
  for (const kind of ['cold', 'cached'] as const) {
    test(`the docker CLI prints what it printed from dockerd (${kind} fixture)`, async () => {
      const raw = await rendered(fixtureRecords(kind === 'cached'));
      const lines = raw.split('\r\n');
      assert.equal(lines.pop(), '', 'every message ends with \\r\\n');
      const messages = lines.map((l) => JSON.parse(l) as { stream?: string; aux?: unknown });
      // The CLI prints each stream text as it is; its own first line is "Sending build context".
      const fixture = fs.readFileSync(path.join(DOCKER_API_FIXTURES, `docker_build_${kind}_output.txt`), 'utf8');
      assert.equal(messages.map((m) => m.stream ?? '').join(''), fixture.slice(fixture.indexOf('\n') + 1));
      assert.equal(lines[0], '{"stream":"Step 1/6 : FROM busybox\\n"}');
      assert.ok(lines.includes(`{"aux":{"ID":"${id('3fb64012ceb1')}"}}`));
    });
  }

  test("a failed RUN: the context line, then dockerd's errorDetail with the exit code; quiet keeps only the error", async () => {
    const records: BuildRecord[] = [
      { type: 'step', index: 1, total: 2, instruction: 'FROM busybox', location: loc(1) },
      { type: 'step-done', index: 1, imageId: id('16b6587b703a') },
      { type: 'step', index: 2, total: 2, instruction: 'RUN echo hi; exit 3', location: loc(3) },
      { type: 'output', index: 2, text: 'hi\n' },
      { type: 'error', message: "The command '/bin/sh -c echo hi; exit 3' returned a non-zero code: 3", code: 3, step: 2, file: 'Dockerfile', location: loc(3), lastOutput: ['hi'] },
    ];
    const lines = (await rendered(records)).split('\r\n').filter(Boolean);
    assert.deepEqual(lines.slice(-3), [
      '{"stream":"hi\\n"}',
      '{"stream":"Dockerfile:3: RUN echo hi; exit 3\\nlast output:\\n  hi\\n"}',
      // dockerd 20.10, byte for byte.
      `{"errorDetail":{"code":3,"message":"The command '/bin/sh -c echo hi; exit 3' returned a non-zero code: 3"},"error":"The command '/bin/sh -c echo hi; exit 3' returned a non-zero code: 3"}`,
    ]);
    assert.deepEqual((await rendered(records, true)).split('\r\n').filter(Boolean), [lines.at(-1)]);
    // Other errors keep their message and get no context line.
    const r = new ClassicRenderer();
    assert.deepEqual(r.render({ type: 'error', message: 'Dockerfile:2: COPY failed: x', step: 2, file: 'Dockerfile', location: loc(2) }), [{ errorDetail: { message: 'Dockerfile:2: COPY failed: x' }, error: 'Dockerfile:2: COPY failed: x' }]);
  });

  test('quiet: the aux line, then the image ID alone', async () => {
    assert.deepEqual((await rendered(fixtureRecords(false), true)).split('\r\n').filter(Boolean), [`{"aux":{"ID":"${id('3fb64012ceb1')}"}}`, `{"stream":"${id('3fb64012ceb1')}\\n"}`]);
  });
});

describe('records of real builds', () => {
  let env: TestEnv;
  let b: Berth;
  before(async () => {
    env = makeEnv('brec');
    b = env.berth;
    await b.ping();
  });
  after(async () => {
    await env.cleanup();
  });

  async function records(files: ContextFiles, opts = {}): Promise<BuildRecord[]> {
    const s = await b.buildImageRecords(Readable.from([await contextTar(files)]), opts);
    const out: BuildRecord[] = [];
    for await (const r of s) out.push(r as BuildRecord);
    return out;
  }

  // Backtick escape, an indented continued RUN, a heredoc, and a failing last step: the lines the old
  // re-parse of the Dockerfile in the dashboard got wrong.
  const DOCKERFILE = ['# escape=`', 'FROM busybox', '  RUN echo a `', '    && echo b', 'RUN <<EOF', 'echo heredoc', 'EOF', 'COPY f.txt /f.txt', 'RUN echo last words; exit 3', ''].join('\n');

  test('steps carry index, total, instruction, line and column; a failed RUN its code, line and last output', async () => {
    const recs = await records({ Dockerfile: DOCKERFILE, 'f.txt': 'f' });
    const steps = recs.filter((r) => r.type === 'step');
    assert.deepEqual(
      steps.map((s) => [s.index, s.total, s.instruction, s.location]),
      [
        [1, 5, 'FROM busybox', { line: 2, column: 1, endLine: 2 }],
        [2, 5, 'RUN echo a     && echo b', { line: 3, column: 3, endLine: 4 }],
        [3, 5, 'RUN <<EOF', { line: 5, column: 1, endLine: 7 }],
        [4, 5, 'COPY f.txt /f.txt', { line: 8, column: 1, endLine: 8 }],
        [5, 5, 'RUN echo last words; exit 3', { line: 9, column: 1, endLine: 9 }],
      ],
    );
    const output = (index: number) => recs.filter((r): r is Extract<BuildRecord, { type: 'output' }> => r.type === 'output' && r.index === index).map((r) => r.text).join('');
    assert.equal(output(2), 'a\nb\n');
    assert.equal(output(3), 'heredoc\n');
    assert.ok(recs.some((r) => r.type === 'container' && r.index === 2));
    assert.deepEqual(recs.at(-1), {
      type: 'error',
      message: "The command '/bin/sh -c echo last words; exit 3' returned a non-zero code: 3",
      code: 3,
      step: 5,
      file: 'Dockerfile',
      location: { line: 9, column: 1, endLine: 9 },
      lastOutput: ['last words'],
    });
    // Rebuilt: the steps before the failure are cache hits, each inside its own step.
    const again = await records({ Dockerfile: DOCKERFILE, 'f.txt': 'f' });
    assert.deepEqual(
      again.filter((r) => r.type === 'cache-hit').map((r) => r.index),
      [2, 3, 4],
    );
  });

  test('errors that name their line: a parse error before any step, a COPY inside its step', async () => {
    const parse = await records({ Dockerfile: 'FROM busybox\n\nRUNN x\n' });
    assert.deepEqual(parse, [{ type: 'error', message: 'dockerfile parse error on line 3: unknown instruction: RUNN (did you mean RUN?)', step: null, file: 'Dockerfile', location: { line: 3, column: 1, endLine: 3 } }]);
    const copy = await records({ Dockerfile: 'FROM busybox\n\tCOPY nothere /x\n' }, { dockerfile: 'Dockerfile' });
    const err = copy.at(-1)!;
    assert.equal(err.type, 'error');
    assert.deepEqual(err.type === 'error' && [err.step, err.location, err.code], [2, { line: 2, column: 2, endLine: 2 }, undefined]);
  });

  test('cancelled the moment the RUN step starts (its container still being created): nothing keeps running', async () => {
    // Destroying the stream while the container was created went unheard: the RUN ran to its end.
    for (let i = 0; i < 3; i++) {
      const s = await b.buildImage(Readable.from([await contextTar({ Dockerfile: `FROM busybox\nRUN echo c${i}; sleep 60\n` })]));
      let text = '';
      for await (const c of s) {
        text += (c as Buffer).toString();
        if (text.includes('Step 2/2')) break; // break destroys the stream
      }
      const t0 = Date.now();
      for (;;) {
        const left = await b.listContainers({ all: true });
        if (left.length === 0) break;
        assert.ok(Date.now() - t0 < 10_000, `the RUN container is still there: ${JSON.stringify(left.map((c) => c.State))}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  });

  test('a successful build ends with built and tagged; buildImage renders the same build as JSON lines', async () => {
    const recs = await records({ Dockerfile: 'FROM busybox\nENV A=1\n' }, { t: 'rec:1' });
    const built = recs.find((r) => r.type === 'built');
    assert.ok(built && built.type === 'built');
    assert.deepEqual(recs.at(-1), { type: 'tagged', tag: 'rec:1' });
    let raw = '';
    for await (const c of await b.buildImage(Readable.from([await contextTar({ Dockerfile: 'FROM busybox\nENV A=1\n' })]), { t: 'rec:1' })) raw += c.toString();
    const text = raw.split('\r\n').filter(Boolean).map((l) => (JSON.parse(l) as { stream?: string }).stream ?? '').join('');
    assert.match(text, /^Step 1\/2 : FROM busybox\n ---> [0-9a-f]{12}\nStep 2\/2 : ENV A=1\n ---> Using cache\n ---> [0-9a-f]{12}\nSuccessfully built [0-9a-f]{12}\nSuccessfully tagged rec:1\n$/);
    assert.ok(raw.includes(`{"aux":{"ID":"${built.imageId}"}}`));
  });
});
