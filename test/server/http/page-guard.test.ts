import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decidePage, safeNextPath } from '../../../server/http/page-guard.ts';

test('with no user every page goes to setup', () => {
  for (const p of ['/', '/containers', '/login', '/settings/users']) {
    assert.deepEqual(decidePage(p, '', { needsSetup: true, role: null }), { kind: 'redirect', location: '/setup' });
  }
  assert.deepEqual(decidePage('/setup', '', { needsSetup: true, role: null }), { kind: 'pass' });
});

test('without a session pages go to login, keeping the destination', () => {
  assert.deepEqual(decidePage('/containers', '?q=1', { needsSetup: false, role: null }), {
    kind: 'redirect',
    location: '/login?next=%2Fcontainers%3Fq%3D1',
  });
  assert.deepEqual(decidePage('/login', '', { needsSetup: false, role: null }), { kind: 'pass' });
  assert.deepEqual(decidePage('/setup', '', { needsSetup: false, role: null }), { kind: 'redirect', location: '/login' });
});

test('the Users page needs admin', () => {
  assert.deepEqual(decidePage('/settings/users', '', { needsSetup: false, role: 'viewer' }), { kind: 'forbidden', role: 'admin' });
  assert.deepEqual(decidePage('/settings/users', '', { needsSetup: false, role: 'operator' }), { kind: 'forbidden', role: 'admin' });
  assert.deepEqual(decidePage('/settings/users', '', { needsSetup: false, role: 'admin' }), { kind: 'pass' });
  assert.deepEqual(decidePage('/settings/usersx', '', { needsSetup: false, role: 'viewer' }), { kind: 'pass' });
});

test('creating containers needs operator, endpoints need admin', () => {
  assert.deepEqual(decidePage('/containers/new', '', { needsSetup: false, role: 'viewer' }), { kind: 'forbidden', role: 'operator' });
  assert.deepEqual(decidePage('/containers/new', '', { needsSetup: false, role: 'operator' }), { kind: 'pass' });
  assert.deepEqual(decidePage('/settings/endpoints', '', { needsSetup: false, role: 'operator' }), { kind: 'forbidden', role: 'admin' });
  assert.deepEqual(decidePage('/containers/abc', '', { needsSetup: false, role: 'viewer' }), { kind: 'pass' });
});

test('post-login destinations stay on this site', () => {
  assert.equal(safeNextPath('/images'), '/images');
  assert.equal(safeNextPath('//evil.example/'), '/');
  assert.equal(safeNextPath('https://evil.example/'), '/');
  assert.equal(safeNextPath('/\\evil'), '/');
  assert.equal(safeNextPath(null), '/');
});
