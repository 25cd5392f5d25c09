import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  LogWriter,
  readLogs,
  formatLogs,
  followLogs,
  demux,
  rfc3339NanoFixed,
  secondsToNs,
  encodeHeader,
  logsBuffer,
  type LogRecord,
} from '../src/logs/index.js';

const S = 1_000_000_000n;
const T0 = 1_795_845_000n * S; // 2026-11-28

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
}
const text = (recs: LogRecord[]) => Buffer.concat(recs.map((r) => r.payload)).toString();

test('stdout and stderr are kept apart, and framed with the 8-byte mux header', async () => {
  const dir = tmp();
  const w = new LogWriter(dir);
  w.write(1, 'out1\n', T0);
  w.write(2, 'err1\n', T0 + 1n);
  w.write(1, 'out2\n', T0 + 2n);
  w.close();
  assert.equal(text(await readLogs(dir, { stdout: true })), 'out1\nout2\n');
  assert.equal(text(await readLogs(dir, { stderr: true })), 'err1\n');
  const all = await readLogs(dir, {});
  assert.equal(all.length, 3);
  const buf = formatLogs(all, { tty: false });
  assert.deepEqual([...buf.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 5]);
  const d = demux(buf);
  assert.equal(d.stdout.toString(), 'out1\nout2\n');
  assert.equal(d.stderr.toString(), 'err1\n');
  assert.deepEqual(d.frames.map((f) => f.stream), [1, 2, 1]);
  // TTY: raw bytes, no framing.
  assert.equal(formatLogs(all, { tty: true }).toString(), 'out1\nerr1\nout2\n');
  fs.rmSync(dir, { recursive: true });
});

test('logsBuffer (in-place fast path) equals formatLogs(readLogs()) under filters', async () => {
  const dir = tmp();
  const w = new LogWriter(dir, { maxSize: 150, maxFiles: 4 });
  for (let i = 0; i < 20; i++) w.write(i % 3 === 0 ? 2 : 1, i % 5 === 0 ? '' : `m${i}\n`, T0 + BigInt(i) * S);
  w.close();
  const base = Number(T0 / S);
  for (const o of [{}, { stdout: true }, { stderr: true, tty: true }, { since: base + 12 }, { until: base + 3, tty: true }]) {
    assert.deepEqual(await logsBuffer(dir, o), formatLogs(await readLogs(dir, o), o), JSON.stringify(o));
  }
  fs.rmSync(dir, { recursive: true });
});

test('timestamps prefix each line with RFC3339Nano (fixed 9 digits) UTC', async () => {
  assert.equal(rfc3339NanoFixed(1_795_849_705n * S + 123_456_789n), '2026-11-28T07:08:25.123456789Z');
  assert.equal(rfc3339NanoFixed(1_795_849_705n * S + 5_000n), '2026-11-28T07:08:25.000005000Z');
  const dir = tmp();
  const w = new LogWriter(dir);
  w.write(1, 'a\nb\npart', T0 + 1n);
  w.write(1, 'ial\nc\n', T0 + 2n);
  w.close();
  const out = formatLogs(await readLogs(dir), { tty: true, timestamps: true }).toString();
  const t1 = rfc3339NanoFixed(T0 + 1n);
  const t2 = rfc3339NanoFixed(T0 + 2n);
  assert.equal(out, `${t1} a\n${t1} b\n${t1} partial\n${t2} c\n`);
  const mux = demux(formatLogs(await readLogs(dir), { timestamps: true }));
  assert.equal(mux.stdout.toString(), out);
  fs.rmSync(dir, { recursive: true });
});

test('tail counts lines across records and rotated files', async () => {
  const dir = tmp();
  const w = new LogWriter(dir, { maxSize: 200, maxFiles: 5 });
  for (let i = 0; i < 40; i++) {
    // Lines split over records: "line i\n" written as two records.
    w.write(1, `line ${i}`, T0 + BigInt(i) * 10n);
    w.write(1, '\n', T0 + BigInt(i) * 10n + 1n);
  }
  w.close();
  const files = fs.readdirSync(dir).sort();
  assert.ok(files.length === 5, `rotated into 5 files: ${files.join(',')}`);
  const last3 = text(await readLogs(dir, { tail: 3 }));
  assert.equal(last3, 'line 37\nline 38\nline 39\n');
  assert.equal(text(await readLogs(dir, { tail: 0 })), '');
  const all = text(await readLogs(dir, { tail: 'all' }));
  assert.equal(all, text(await readLogs(dir)));
  assert.ok(all.endsWith('line 39\n'));
  // Oldest files were dropped, so the first line kept is a later one; tail bigger than the log = all.
  assert.equal(text(await readLogs(dir, { tail: 10_000 })), all);
  // A tail spanning several files equals the end of the full text.
  const lines = all.split('\n').slice(0, -1);
  assert.equal(text(await readLogs(dir, { tail: 12 })), lines.slice(-12).join('\n') + '\n');
  fs.rmSync(dir, { recursive: true });
});

test('tail with lines cut inside one record, and an unterminated last line', async () => {
  const dir = tmp();
  const w = new LogWriter(dir);
  w.write(1, 'a\nb\nc\nd', T0);
  w.write(2, 'E\n', T0 + 1n);
  w.close();
  const r = await readLogs(dir, { tail: 2, stdout: true });
  assert.equal(text(r), 'c\nd');
  assert.equal(r[0]!.time, T0);
  assert.equal(text(await readLogs(dir, { tail: 2 })), 'c\ndE\n');
  fs.rmSync(dir, { recursive: true });
});

test('tail on a large log reads only the end (resync on record headers)', async () => {
  const dir = tmp();
  const fd = fs.openSync(path.join(dir, 'container.log'), 'w');
  // 5 MB of records whose payloads contain header-like bytes (zeros) to exercise the resync.
  const payload = Buffer.alloc(1000, 0);
  payload.write('x');
  payload[999] = 10;
  const chunks: Buffer[] = [];
  for (let i = 0; i < 5000; i++) chunks.push(encodeHeader(T0 + BigInt(i), 1, payload.length), payload);
  fs.writeSync(fd, Buffer.concat(chunks));
  const lastHdr = encodeHeader(T0 + 9999n, 2, 6);
  fs.writeSync(fd, Buffer.concat([lastHdr, Buffer.from('tail!\n')]));
  // A record the shim is still writing: header plus half a payload.
  fs.writeSync(fd, Buffer.concat([encodeHeader(T0 + 10000n, 1, 100), Buffer.alloc(10, 65)]));
  fs.closeSync(fd);
  const r = await readLogs(dir, { tail: 2 });
  assert.equal(r.length, 2);
  assert.equal(r[0]!.time, T0 + 4999n);
  assert.equal(r[1]!.payload.toString(), 'tail!\n');
  fs.rmSync(dir, { recursive: true });
});

test('since and until are unix seconds (int, float, string)', async () => {
  const dir = tmp();
  const w = new LogWriter(dir);
  for (let i = 0; i < 10; i++) w.write(1, `${i}\n`, T0 + BigInt(i) * S + 500_000_000n);
  w.close();
  const base = Number(T0 / S);
  assert.equal(text(await readLogs(dir, { since: base + 7 })), '7\n8\n9\n');
  assert.equal(text(await readLogs(dir, { since: base + 7.6 })), '8\n9\n');
  assert.equal(text(await readLogs(dir, { until: `${base + 2}.500000000` })), '0\n1\n2\n');
  assert.equal(text(await readLogs(dir, { since: base + 3, until: base + 5 })), '3\n4\n');
  assert.equal(text(await readLogs(dir, { since: base + 3, tail: 2 })), '8\n9\n');
  assert.equal(text(await readLogs(dir, { since: base + 8, tail: 5 })), '8\n9\n');
  assert.equal(secondsToNs(0), undefined);
  assert.equal(secondsToNs('1.5'), 1_500_000_000n);
  fs.rmSync(dir, { recursive: true });
});

test('follow streams existing then appended records, across rotation, and ends after exit', async () => {
  const dir = tmp();
  const w = new LogWriter(dir, { maxSize: 300, maxFiles: 3 });
  w.write(1, 'first\n');
  let running = true;
  const s = followLogs(dir, { objectMode: true, pollMs: 20 }, () => running);
  const got: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    s.on('data', (r: LogRecord) => got.push(r.payload.toString()));
    s.on('end', resolve);
    s.on('error', reject);
  });
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 30; i++) {
    w.write(i % 2 ? 2 : 1, `line ${i}\n`);
    if (i % 7 === 0) await new Promise((r) => setTimeout(r, 15));
  }
  w.close();
  await new Promise((r) => setTimeout(r, 50));
  running = false;
  await done;
  assert.deepEqual(got.join(''), ['first\n', ...Array.from({ length: 30 }, (_, i) => `line ${i}\n`)].join(''));
  fs.rmSync(dir, { recursive: true });
});

test('follow with tail, mux bytes and an exit promise', async () => {
  const dir = tmp();
  const w = new LogWriter(dir);
  w.write(1, 'a\nb\nc\n');
  let exit!: () => void;
  const exited = new Promise<void>((r) => (exit = r));
  const s = followLogs(dir, { tail: 1, pollMs: 20 }, exited);
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', resolve);
  });
  await new Promise((r) => setTimeout(r, 40));
  w.write(2, 'err\n');
  w.close();
  exit();
  await done;
  const d = demux(Buffer.concat(chunks));
  assert.equal(d.stdout.toString(), 'c\n');
  assert.equal(d.stderr.toString(), 'err\n');
  fs.rmSync(dir, { recursive: true });
});

// Speed is measured in bench/ (engine-api: 200 MB of logs beside dockerd), not here: this checks the result.
test('200 MB of 1 KiB lines: all of it framed, and tail 10', async () => {
  const dir = tmp();
  const line = Buffer.alloc(1024, 'y');
  line[1023] = 10;
  const rec = Buffer.concat([encodeHeader(T0, 1, 1024), line]);
  const n = 200 * 1024;
  const block = Buffer.concat(Array.from({ length: 1024 }, () => rec));
  const fd = fs.openSync(path.join(dir, 'container.log'), 'w');
  for (let i = 0; i < n / 1024; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const out = await logsBuffer(dir, { stdout: true, stderr: true, tty: false });
  assert.equal(out.length, n * (1024 + 8));
  assert.deepEqual([...out.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 4, 0]);
  assert.equal(out.readUInt32BE(out.length - 1032 + 4), 1024);
  const tail = await readLogs(dir, { tail: 10 });
  assert.equal(tail.length, 10);
  fs.rmSync(dir, { recursive: true });
});
