import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarString,
  InvalidReferenceError,
  parseDockerRef,
  parseNormalizedNamed,
  referenceString,
  withDefaultTag,
} from '../src/images/reference.js';

const D = 'sha256:' + 'ab'.repeat(32);

// input -> [fully qualified after TagNameOnly, familiar string]
const valid: Array<[string, string, string]> = [
  ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36.1-glibc', 'docker.io/library/busybox:1.36.1-glibc', 'busybox:1.36.1-glibc'],
  ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['index.docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/library/busybox:1', 'docker.io/library/busybox:1', 'busybox:1'],
  ['user/repo', 'docker.io/user/repo:latest', 'user/repo:latest'],
  ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
  ['localhost:5000/x:1.0', 'localhost:5000/x:1.0', 'localhost:5000/x:1.0'],
  ['registry.example.com:5000/team/app:v2', 'registry.example.com:5000/team/app:v2', 'registry.example.com:5000/team/app:v2'],
  ['example.com/a/b@' + D, 'example.com/a/b@' + D, 'example.com/a/b@' + D],
  ['busybox@' + D, 'docker.io/library/busybox@' + D, 'busybox@' + D],
  ['busybox:1@' + D, 'docker.io/library/busybox:1@' + D, 'busybox:1@' + D],
  ['Foo/bar', 'Foo/bar:latest', 'Foo/bar:latest'], // upper case is a domain, as in distribution
  ['[::1]:5000/x', '[::1]:5000/x:latest', '[::1]:5000/x:latest'],
  ['a__b/c-d.e---f', 'docker.io/a__b/c-d.e---f:latest', 'a__b/c-d.e---f:latest'],
  ['x:' + 'a'.repeat(128), 'docker.io/library/x:' + 'a'.repeat(128), 'x:' + 'a'.repeat(128)],
  ['x:_tag', 'docker.io/library/x:_tag', 'x:_tag'],
];

const invalid: string[] = [
  '',
  'Busybox',
  'busybox:tag!',
  'busybox:-tag',
  'busybox:.tag',
  'a:b:c',
  ':tag',
  'x:' + 'a'.repeat(129),
  'ab'.repeat(32),
  'busybox@sha256:abc',
  'UPPER',
  'docker.io/Foo/bar',
  'a//b',
  'a/',
  '-a',
  'a_/b',
  'busybox@md5:' + 'a'.repeat(32),
];

for (const [input, full, familiar] of valid) {
  test(`parse ${input}`, () => {
    const ref = withDefaultTag(parseNormalizedNamed(input));
    assert.equal(referenceString(ref), full);
    assert.equal(familiarString(ref), familiar);
  });
}

for (const input of invalid) {
  test(`reject ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => {
    assert.throws(() => parseNormalizedNamed(input), InvalidReferenceError);
  });
}

test('no default tag when a digest is given; ParseDockerRef drops tag next to a digest', () => {
  assert.equal(withDefaultTag(parseNormalizedNamed('busybox@' + D)).tag, undefined);
  const r = parseDockerRef('busybox:1@' + D);
  assert.equal(r.tag, undefined);
  assert.equal(referenceString(r), 'docker.io/library/busybox@' + D);
});

test('upper case in the repository is rejected with Docker’s message', () => {
  assert.throws(() => parseNormalizedNamed('Busybox'), /must be lowercase/);
  assert.throws(() => parseNormalizedNamed('ab'.repeat(32)), /cannot specify 64-byte hexadecimal strings/);
});
