import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadOrCreateKey, open, seal } from '../../../server/crypto/secret-box.ts';

test('the key is created once, 32 bytes, mode 0600, and reused', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-secret-'));
  try {
    const a = loadOrCreateKey(root);
    const st = fs.statSync(path.join(root, 'secret.key'));
    assert.equal(a.length, 32);
    assert.equal(st.mode & 0o777, 0o600);
    assert.deepEqual(loadOrCreateKey(root), a);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('seal/open round-trips; the sealed text hides the secret, differs each time, and a changed byte is refused', () => {
  const key = Buffer.alloc(32, 7);
  const s1 = seal(key, 'hunter2-token');
  const s2 = seal(key, 'hunter2-token');
  assert.notEqual(s1, s2);
  assert.ok(!s1.includes('hunter2'));
  assert.equal(open(key, s1), 'hunter2-token');
  const parts = s1.split(':');
  const body = Buffer.from(parts[3]!, 'base64');
  body[0] = body[0]! ^ 1;
  assert.throws(() => open(key, [parts[0], parts[1], parts[2], body.toString('base64')].join(':')));
  assert.throws(() => open(Buffer.alloc(32, 8), s1));
});
