// Issue 16 (6): a failed RUN answers dockerd's errorDetail exactly (with the exit code, no prefix, no
// output in the message); Berth's extra context (the Dockerfile line, the last output) is a stream line
// just before it. Reference: dockerd 20.10's classic builder (builder/dockerfile/internals.go), e.g.
// {"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"…"}
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTar } from '../../../native-runtime/test/layers-helpers.ts';
import { startApiEnv, type ApiEnv } from './test-env.ts';

function post(socketPath: string, p: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: p, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const MESSAGE = "The command '/bin/sh -c echo hi; exit 3' returned a non-zero code: 3";

describe('a failed RUN over the Engine API (issue 16)', () => {
  let e: ApiEnv;
  before(async () => {
    e = await startApiEnv('build');
  });
  after(async () => {
    await e?.cleanup();
  });

  it("raw HTTP: the last line is dockerd's, byte for byte; the context line comes before it", async () => {
    const tar = await makeTar([{ name: 'Dockerfile', body: 'FROM busybox\nRUN echo hi; exit 3\n' }]);
    const r = await post(e.socket, '/v1.41/build?t=fails', tar);
    assert.equal(r.status, 200);
    const lines = r.body.split('\r\n').filter(Boolean);
    assert.equal(lines.at(-1), JSON.stringify({ errorDetail: { code: 3, message: MESSAGE }, error: MESSAGE }));
    assert.equal(lines.at(-1), `{"errorDetail":{"code":3,"message":"${MESSAGE}"},"error":"${MESSAGE}"}`);
    assert.equal(lines.at(-2), JSON.stringify({ stream: 'Dockerfile:2: RUN echo hi; exit 3\nlast output:\n  hi\n' }));
  });

  it('the docker CLI: exit status 3 (the errorDetail code), the message on stderr, the context on stdout', async () => {
    const ctx = path.join(e.root, 'ctx-fail');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo hi; exit 3\n');
    const r = await e.docker(['build', ctx]);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    // (The CLI's own legacy-builder deprecation notice precedes it.)
    assert.equal(r.stderr.trim().split('\n').at(-1), MESSAGE);
    assert.match(r.stdout, /Step 2\/2 : RUN echo hi; exit 3\n ---> Running in [0-9a-f]{12}\nhi\nDockerfile:2: RUN echo hi; exit 3\nlast output:\n {2}hi\n$/);
  });
});
