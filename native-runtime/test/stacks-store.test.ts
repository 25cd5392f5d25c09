// The stack folder: current files for CLIs (with COMPOSE_FILE when the names are not the defaults),
// one copy per version, old files removed, and writes that never follow a planted symlink.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { StackStore, checkRelativePath } from '../src/stacks/store.ts';
import { StackError } from '../src/stacks/errors.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-stack-store-'));
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('StackStore', () => {
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new StackStore(root);
  const dir = path.join(root, 'app');

  it('keeps the current files in the folder and each version under .berth', () => {
    const v1 = store.commit('app', { files: [{ name: 'compose.yaml', content: 'services: {}\n' }], env: 'A=1\n', assets: [{ path: 'web/Dockerfile', content: b64('FROM busybox\n') }] }, { user: 'u', note: '', profiles: [] });
    assert.equal(v1.version, 1);
    assert.equal(fs.readFileSync(path.join(dir, '.env'), 'utf8'), 'A=1\n', 'a default file name needs no COMPOSE_FILE');
    assert.equal(fs.readFileSync(path.join(dir, 'web', 'Dockerfile'), 'utf8'), 'FROM busybox\n');
    const v2 = store.commit('app', { files: [{ name: 'base.yml', content: 'services: {}\n' }, { name: 'prod.yml', content: 'services: {}\n' }], env: 'A=2', assets: [] }, { user: 'u', note: 'two', profiles: [] });
    assert.equal(v2.version, 2);
    assert.equal(fs.existsSync(path.join(dir, 'compose.yaml')), false, "the previous version's files are gone");
    assert.equal(fs.existsSync(path.join(dir, 'web', 'Dockerfile')), false);
    assert.match(fs.readFileSync(path.join(dir, '.env'), 'utf8'), /^A=2\n# Added by Berth.*\nCOMPOSE_FILE=base\.yml:prod\.yml\n$/);
    assert.equal(store.content('app')!.env, 'A=2', 'the stored version keeps the .env as given');
    assert.deepEqual(store.content('app', 1)!.files.map((f) => f.name), ['compose.yaml']);
    assert.deepEqual(store.versions('app').map((v) => [v.version, v.result]), [[2, 'deploying'], [1, 'deploying']]);
    store.finish('app', 2, 'boom');
    assert.deepEqual(store.versions('app')[0]!.result, 'failed');
    assert.deepEqual(store.names(), ['app']);
  });

  it('refuses paths that leave the folder and never writes through a symlink', () => {
    assert.match(checkRelativePath('../x')!, /invalid path/);
    assert.match(checkRelativePath('/etc/passwd')!, /invalid path/);
    assert.match(checkRelativePath('.berth/stack.json')!, /invalid path|Berth's own/);
    assert.equal(checkRelativePath('web/app.py'), null);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-outside-'));
    fs.symlinkSync(outside, path.join(dir, 'data'));
    assert.throws(() => store.commit('app', { files: [{ name: 'compose.yaml', content: '' }], env: '', assets: [{ path: 'data/evil', content: b64('x') }] }, { user: 'u', note: '', profiles: [] }), StackError);
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.equal(store.versions('app').length, 2, 'no half-written version');
    assert.equal(fs.existsSync(path.join(dir, 'base.yml')), true, 'the current files are untouched');
    fs.rmSync(outside, { recursive: true });
  });
});
