// Issue 15, item 5: Engine API calls that failed must be audited as failures, including those whose
// failure only shows in the 200 progress stream (docker load of a bad archive: dockerd answers 200 and
// an {"errorDetail":…} line, as Berth does).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startApiEnv, type ApiEnv } from './test-env.ts';

let e: ApiEnv;
before(async () => {
  e = await startApiEnv('audit');
});
after(() => e.cleanup());

function call(method: string, path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: e.socket, method, path, headers: body ? { 'content-type': 'application/x-tar' } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Audit rows are written after the response; wait for the one we expect. */
async function rowsFor(action: string, n: number) {
  for (let i = 0; i < 100; i++) {
    const rows = await e.services.db.auditLog.findMany({ where: { action }, orderBy: { id: 'asc' } });
    if (rows.length >= n) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${n} audit rows for ${action}`);
}

test('a load that fails inside its 200 stream is audited as a failure; a good one as a success', async () => {
  const saved = await call('GET', '/v1.41/images/busybox:latest/get');
  assert.equal(saved.status, 200);
  const good = await call('POST', '/v1.41/images/load?quiet=1', saved.body);
  assert.equal(good.status, 200);
  // A tar with no manifest.json and no index.json: the archive is refused after the headers went out.
  const bad = await call('POST', '/v1.41/images/load?quiet=1', Buffer.alloc(1024));
  const rows = await rowsFor('images.load', 2);
  assert.equal(bad.status, 200, 'the error travels in the stream, as with dockerd');
  assert.match(bad.body.toString(), /errorDetail/);
  assert.deepEqual(rows.map((r) => r.result), ['success', 'failure']);
  assert.match(rows[1]!.error ?? '', /neither manifest\.json nor index\.json/);
  // An error status sent by a handler is a failure too (here thrown: the path that always worked).
  assert.equal((await call('POST', '/v1.41/images/nosuch:1/tag?repo=x')).status, 404);
  const tag = await rowsFor('images.tag', 1);
  assert.equal(tag[0]!.result, 'failure');
});
