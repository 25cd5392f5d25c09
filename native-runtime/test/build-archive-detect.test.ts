// ADD's "is this a tar?" (Docker's isArchivePath: Go's tar reader finds a first header), read with
// tar-stream instead of a hand-written header check: every tar format GNU tar writes, compressed or
// not, counts; text, zeros and zstd do not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isArchive } from '../src/builder/index.ts';

test('isArchive: v7, ustar, gnu and pax (a long name first) tars, gzip/bzip2/xz; not text, zeros or an empty file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-isarchive-'));
  try {
    const src = path.join(dir, 'src');
    const long = 'n'.repeat(180);
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'a.txt'), 'a\n');
    fs.writeFileSync(path.join(src, long), 'long\n');
    const make = (name: string, args: string[], files = ['a.txt']) => {
      execFileSync('tar', ['-cf', path.join(dir, name), ...args, '-C', src, ...files]);
      return path.join(dir, name);
    };
    for (const format of ['v7', 'ustar', 'gnu', 'pax']) assert.equal(await isArchive(make(`${format}.tar`, [`--format=${format}`])), true, format);
    assert.equal(await isArchive(make('paxlong.tar', ['--format=pax'], [long])), true, 'a PAX header before the first entry');
    assert.equal(await isArchive(make('t.tar.gz', ['-z'])), true);
    assert.equal(await isArchive(make('t.tar.bz2', ['-j'])), true);
    assert.equal(await isArchive(make('t.tar.xz', ['-J'])), true);
    const plain = (name: string, body: Buffer | string) => {
      fs.writeFileSync(path.join(dir, name), body);
      return path.join(dir, name);
    };
    assert.equal(await isArchive(plain('text.txt', 'just some text\n'.repeat(100))), false);
    assert.equal(await isArchive(plain('zeros', Buffer.alloc(2048))), false);
    assert.equal(await isArchive(plain('empty', '')), false);
    // A gzip of text is compressed, not an archive.
    execFileSync('gzip', ['-k', path.join(dir, 'text.txt')]);
    assert.equal(await isArchive(path.join(dir, 'text.txt.gz')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
