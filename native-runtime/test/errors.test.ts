import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EngineError,
  badParameter,
  conflict,
  forbidden,
  internal,
  nameInUse,
  noSuchContainer,
  noSuchImage,
  notFound,
  notImplemented,
  notModified,
  removeRunning,
} from '../src/errors.js';

test('EngineError carries docker-modem fields', () => {
  const e = noSuchContainer('doesnotexist');
  assert.ok(e instanceof EngineError && e instanceof Error);
  assert.equal(e.statusCode, 404);
  assert.equal(e.reason, 'no such container');
  // Same body as dockerd (fixtures/docker-api/api_containers_nonexistent_json.json).
  assert.deepEqual(e.json, { message: 'No such container: doesnotexist' });
  assert.equal(e.message, 'No such container: doesnotexist');
});

test('helpers map to status codes', () => {
  assert.equal(notFound('x').statusCode, 404);
  assert.equal(conflict('x').statusCode, 409);
  assert.equal(badParameter('x').statusCode, 400);
  assert.equal(forbidden('x').statusCode, 403);
  assert.equal(notImplemented('x').statusCode, 501);
  assert.equal(notModified().statusCode, 304);
  const cause = new Error('EIO');
  const i = internal('boom', cause);
  assert.equal(i.statusCode, 500);
  assert.equal(i.cause, cause);
});

test("Docker's wording", () => {
  assert.equal(noSuchImage('doesnotexist').message, 'No such image: doesnotexist:latest');
  assert.equal(noSuchImage('reg:5000/a/b').message, 'No such image: reg:5000/a/b:latest');
  assert.equal(noSuchImage('busybox:1.35').message, 'No such image: busybox:1.35');
  assert.equal(
    nameInUse('x', 'abc').message,
    'Conflict. The container name "/x" is already in use by container "abc". You have to remove (or rename) that container to be able to reuse that name.',
  );
  assert.equal(
    removeRunning('abc').message,
    'You cannot remove a running container abc. Stop the container before attempting removal or force remove',
  );
  assert.equal(removeRunning('abc').statusCode, 409);
});
