// Browsing a real registry (Debian's docker-registry on 127.0.0.1): the catalog and tags APIs, paged
// by the Link header, and registry error bodies read once ("manifest unknown", not twice).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EngineError } from '../src/errors.js';
import { RegistryPolicy } from '../src/registry/allow-list.js';
import { listRepositories, listTags, nextFromLink } from '../src/registry/catalog.js';
import { RegistrySession } from '../src/registry/client.js';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry-server.js';

const policy = new RegistryPolicy({ offline: true });
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A config-only image pushed over the plain registry API (no layers needed to be listed). */
async function seed(host: string, repo: string, tag: string): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, tag }));
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const loc = new URL(start.headers.get('location')!, `http://${host}`);
  loc.searchParams.set('digest', sha(config));
  assert.equal((await fetch(loc, { method: 'PUT', body: new Uint8Array(config) })).status, 201);
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha(config) }, layers: [] };
  const put = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest), headers: { 'Content-Type': manifest.mediaType } });
  assert.equal(put.status, 201, await put.text());
}

describe('registry browsing', { skip: !registryAvailable() && 'docker-registry is not installed' }, () => {
  let reg: RegistryServer;
  before(async () => {
    reg = await startRegistry();
    await seed(reg.host, 'team/app', 'v1');
    await seed(reg.host, 'team/app', 'v2');
    await seed(reg.host, 'team/db', 'latest');
    await seed(reg.host, 'zeta', '1');
  });
  after(async () => {
    await reg?.stop();
  });

  test('the catalog lists every repository, a page at a time', async () => {
    const all = await listRepositories(reg.host, { policy });
    assert.deepEqual(all.items, ['team/app', 'team/db', 'zeta']);
    assert.equal(all.next, null);
    const seen: string[] = [];
    let last: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await listRepositories(reg.host, { policy, n: 2, last });
      seen.push(...page.items);
      if (!page.next) break;
      last = page.next;
    }
    assert.deepEqual(seen, ['team/app', 'team/db', 'zeta']);
  });

  test('tags of a repository; an unknown repository is a 404 with the registry’s reason', async () => {
    assert.deepEqual((await listTags(reg.host, 'team/app', { policy })).items.sort(), ['v1', 'v2']);
    await assert.rejects(listTags(reg.host, 'team/none', { policy }), (e: unknown) => e instanceof EngineError && e.statusCode === 404 && /name unknown/.test(e.message));
  });

  test('an error whose message repeats its code reads once', async () => {
    const s = await RegistrySession.open(reg.host, { policy, pull: true });
    const res = await s.request({ method: 'GET', path: '/v2/team/app/manifests/nope', scopes: [] });
    const err = await s.fail(res, 'manifest');
    assert.match(err.message, /manifest unknown/);
    assert.doesNotMatch(err.message, /manifest unknown: manifest unknown/);
  });

  test('the Link header gives the next page', () => {
    assert.equal(nextFromLink('</v2/_catalog?last=team%2Fdb&n=2>; rel="next"'), 'team/db');
    assert.equal(nextFromLink(undefined), null);
    assert.equal(nextFromLink('<x>; rel="prev"'), null);
  });
});
