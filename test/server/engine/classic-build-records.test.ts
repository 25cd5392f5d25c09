// A remote engine's build (dockerd's classic stream) reaches the dashboard as the same records Berth's
// builder emits. Driven for real: the dockerode engine against Berth's Engine API socket, which answers
// /build byte for byte as dockerd does.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { BuildRecord } from '@berth/runtime/engine';
import { makeTar } from '../../../native-runtime/test/layers-helpers.ts';
import { startApiEnv, type ApiEnv } from '../engine-api/test-env.ts';
import { classicToRecords } from '../../../server/engine/classic-build-records.ts';
import { createDockerodeEngine } from '../../../server/engine/dockerode-engine.ts';

describe('records from a remote engine', () => {
  let e: ApiEnv;
  before(async () => {
    e = await startApiEnv('rrec');
  });
  after(async () => {
    await e?.cleanup();
  });

  async function remote(dockerfile: string, opts = {}): Promise<BuildRecord[]> {
    const engine = createDockerodeEngine({ socketPath: e.socket });
    const tar = await makeTar([{ name: 'Dockerfile', body: dockerfile }]);
    const out: BuildRecord[] = [];
    for await (const r of await engine.buildImageRecords(Readable.from([tar]), opts)) out.push(r);
    return out;
  }

  it('steps, container, output, step-done, built and tagged; no locations', async () => {
    const recs = await remote('FROM busybox\nRUN echo remote-out\n', { t: 'remote:1' });
    const types = recs.map((r) => r.type);
    assert.deepEqual(types, ['step', 'step-done', 'step', 'container', 'output', 'container-removed', 'step-done', 'built', 'tagged']);
    assert.deepEqual(recs[2], { type: 'step', index: 2, total: 2, instruction: 'RUN echo remote-out', location: null });
    assert.deepEqual(recs[4], { type: 'output', index: 2, text: 'remote-out\n' });
    assert.deepEqual(recs.at(-1), { type: 'tagged', tag: 'remote:1' });
    const again = await remote('FROM busybox\nRUN echo remote-out\n');
    assert.deepEqual(again.filter((r) => r.type === 'cache-hit'), [{ type: 'cache-hit', index: 2 }]);
  });

  it('a failed RUN: the error with its code and step; the context line is output of that step', async () => {
    const recs = await remote('FROM busybox\nRUN echo bye; exit 4\n');
    const msg = "The command '/bin/sh -c echo bye; exit 4' returned a non-zero code: 4";
    assert.deepEqual(recs.at(-1), { type: 'error', message: msg, code: 4, step: 2, file: 'Dockerfile', location: null });
    assert.deepEqual(recs.at(-2), { type: 'output', index: 2, text: 'Dockerfile:2: RUN echo bye; exit 4\nlast output:\n  bye\n' });
  });

  it('text before the first step is a warning; pull progress stays a pull record', () => {
    const state = { step: 0 };
    assert.deepEqual(classicToRecords({ stream: '[WARNING]: Empty continuation line found in: RUN a\n' }, state), [{ type: 'warning', text: '[WARNING]: Empty continuation line found in: RUN a' }]);
    assert.deepEqual(classicToRecords({ stream: 'Step 1/1 : FROM x\n' }, state), [{ type: 'step', index: 1, total: 1, instruction: 'FROM x', location: null }]);
    assert.deepEqual(classicToRecords({ status: 'Pulling from library/x', id: 'latest' } as never, state), [{ type: 'pull', index: 1, progress: { status: 'Pulling from library/x', id: 'latest' } }]);
    assert.deepEqual(classicToRecords({ stream: ' ---> \n' }, state), [{ type: 'step-done', index: 1, imageId: null }]);
  });
});
