// The log index: query language, rotation and resume on synthetic files (the shim's record format), then
// real containers through the indexer process: search, filters, context, removal, retention and kill -9.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LogWriter, STDERR, STDOUT } from '@berth/runtime/logs';
import { makeEnv, sleep, waitFor, type TestEnv } from '../../../native-runtime/test/berth-helpers.ts';
import { Indexer } from '../../../server/logs-index/indexer.ts';
import { parseQuery } from '../../../server/logs-index/query.ts';
import { compileLinear, requiredLiterals } from '../../../server/logs-index/regex.ts';
import { parseRetention } from '../../../server/logs-index/retention.ts';
import { LogSearch } from '../../../server/logs-index/search.ts';
import { openIndex } from '../../../server/logs-index/schema.ts';
import { LogIndexService } from '../../../server/logs-index/service.ts';

const us = (d: Date) => d.getTime() * 1000;

function fakeContainer(root: string, name: string, labels: Record<string, string> = {}): { id: string; dir: string } {
  const id = Buffer.from(name.padEnd(32, 'x')).toString('hex').slice(0, 64).padEnd(64, '0').replace(/[^a-f0-9]/g, 'a');
  const dir = path.join(root, 'containers', id);
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ id, name: `/${name}`, config: { Image: 'busybox', Labels: labels } }));
  return { id, dir };
}

describe('query language and regex', () => {
  test('words, phrases, negations and field filters', () => {
    const q = parseQuery('level=error timeout "two words" -noise status>=500');
    assert.ok(q.ok);
    assert.deepEqual(q.terms, [
      { kind: 'field', field: 'level', op: '=', value: 'error' },
      { kind: 'word', text: 'timeout', negate: false },
      { kind: 'word', text: 'two words', negate: false },
      { kind: 'word', text: 'noise', negate: true },
      { kind: 'field', field: 'status', op: '>=', value: '500' },
    ]);
    const bad = parseQuery('status>=abc');
    assert.equal(bad.ok, false);
  });

  test('catastrophic patterns are refused, linear ones compile; literals feed the trigram prefilter', () => {
    assert.equal(compileLinear('(a)\\1').ok, false);
    assert.equal(compileLinear('(?=x)y').ok, false);
    assert.equal(compileLinear('x{1,5000}').ok, false);
    const nested = compileLinear('(a+)+b');
    assert.ok(nested.ok);
    const started = Date.now();
    assert.equal(nested.re.test('a'.repeat(30_000) + 'c'), false);
    assert.ok(Date.now() - started < 2000, 'linear engine: no exponential backtracking');
    assert.deepEqual(requiredLiterals('timeout after \\d+ms'), ['timeout after ']);
    assert.deepEqual(requiredLiterals('foo|barbaz'), []);
    assert.deepEqual(requiredLiterals('conn(ection)? refused'), ['conn', ' refused']);
  });

  test('retention specs', () => {
    assert.deepEqual(parseRetention('age=2d,size=10m,removed=drop'), { ok: true, value: { ageMs: 2 * 86400e3, sizeBytes: 10 * 1024 * 1024, keepRemoved: false } });
    assert.deepEqual(parseRetention('none'), { ok: true, value: { off: true, keepRemoved: false } });
    assert.equal(parseRetention('age=forever').ok, false);
  });
});

describe('indexer on synthetic log files', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logidx-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('joins chunks into lines, follows rotation, resumes from the cursor without repeats', () => {
    const { dir } = fakeContainer(root, 'rot');
    const w = new LogWriter(path.join(dir, 'log'), { maxSize: 400, maxFiles: 5 });
    const ix = new Indexer({ root });
    w.write(STDOUT, 'hel');
    w.write(STDOUT, 'lo wor');
    w.write(STDOUT, 'ld\nsecond line\n');
    w.write(STDERR, 'an error\n');
    ix.tick();
    for (let i = 0; i < 40; i++) w.write(STDOUT, `row ${i} ${'x'.repeat(20)}\n`); // rotates several times
    ix.tick();
    ix.close();
    // A new indexer (as after kill -9) continues from the committed cursor.
    for (let i = 40; i < 50; i++) w.write(STDOUT, `row ${i} ${'x'.repeat(20)}\n`);
    const ix2 = new Indexer({ root });
    while (ix2.tick() > 0);
    const lines = ix2.db.prepare('SELECT line FROM lines ORDER BY rowid').pluck().all() as string[];
    assert.equal(lines[0], 'hello world');
    assert.equal(lines[1], 'second line');
    assert.equal(lines[2], 'an error');
    const rows = lines.filter((l) => l.startsWith('row '));
    assert.deepEqual(rows, Array.from({ length: 50 }, (_, i) => `row ${i} ${'x'.repeat(20)}`));
    ix2.close();
    w.close();
  });

  test('search, field filters, context, histogram; retention by size and age', () => {
    const { dir } = fakeContainer(root, 'api', { 'com.docker.compose.project': 'shop' });
    const w = new LogWriter(path.join(dir, 'log'));
    const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
    const lines = [
      '{"level":"info","msg":"started","status":200}',
      '{"level":"error","msg":"upstream timeout","status":504}',
      '{"level":"error","msg":"bad input","status":400}',
      'level=error plain logfmt timeout',
      'just text with RareToken42 in it',
    ];
    lines.forEach((l, i) => w.write(STDOUT, `${l}\n`, t0 + BigInt(i) * 1_000_000_000n));
    w.close();
    const ix = new Indexer({ root });
    ix.tick();
    const s = new LogSearch(root);
    const q = (query: string, extra = {}) => {
      const r = s.search({ query, ...extra }, 50);
      assert.ok(r.ok, r.ok ? '' : r.error);
      return r.value.items.map((h) => h.line);
    };
    assert.deepEqual(q('level=error timeout', { stack: 'shop' }), [lines[3], lines[1]]);
    assert.deepEqual(q('status>=500'), [lines[1]]);
    assert.deepEqual(q('raretoken42'), [lines[4]]);
    assert.deepEqual(q('level=error -timeout', { stack: 'shop' }), [lines[2]]);
    assert.deepEqual(q('status=200'), [lines[0]]);
    const rx = s.search({ query: 'status":5\\d\\d', regex: true }, 10);
    assert.ok(rx.ok);
    assert.deepEqual(rx.value.items.map((h) => h.line), [lines[1]]);
    const refused = s.search({ query: '(a)\\1', regex: true }, 10);
    assert.equal(refused.ok, false);
    // Paging with the cursor walks all rows once.
    const p1 = s.search({ query: '', stack: 'shop' }, 2);
    assert.ok(p1.ok && p1.value.nextCursor);
    const p2 = s.search({ query: '', stack: 'shop' }, 10, p1.value.nextCursor!);
    assert.ok(p2.ok);
    assert.equal(p1.value.items.length + p2.value.items.length, 5);
    const hit = q('bad input');
    assert.equal(hit.length, 1);
    const at = s.search({ query: 'bad input' }, 1);
    assert.ok(at.ok);
    const ctx = s.context('api', at.value.items[0]!.t, 2, 1);
    assert.ok(ctx.ok);
    assert.deepEqual(ctx.value.items.map((h) => h.line), [lines[0], lines[1], lines[2], lines[3]]);
    const h = s.histogram({ query: 'level=error', stack: 'shop' }, 5);
    assert.ok(h.ok);
    assert.equal(h.value.counts.reduce((a, b) => a + b, 0), 3);
    // Retention: size keeps the newest lines under the limit; age drops what is older.
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ name: '/api', config: { Image: 'busybox', Labels: { 'com.docker.compose.project': 'shop', 'berth.logs.retention': 'size=60' } } }));
    ix.close();
    const ix2 = new Indexer({ root });
    ix2.tick();
    ix2.sweep(Date.now());
    assert.deepEqual(q('', { containers: ['api'] }), [lines[4]]);
    ix2.sweep(Date.now() + 30 * 86400e3);
    assert.deepEqual(q('', { containers: ['api'] }), []);
    ix2.close();
    s.close();
  });
});

describe('indexer process with real containers', () => {
  let env: TestEnv;
  let svc: LogIndexService;
  before(() => {
    env = makeEnv('logidx');
    svc = new LogIndexService({ root: env.root, pollMs: 50 });
    svc.start();
  });
  after(async () => {
    await svc.close();
    await env.cleanup();
  });

  const search = (query: string, extra = {}) => {
    const r = svc.search.search({ query, ...extra }, 1000);
    assert.ok(r.ok, r.ok ? '' : r.error);
    return r.value.items;
  };

  test('lines are searchable while written, and outlive docker rm with name, image and stack', async () => {
    const started = new Date();
    const c = await env.berth.createContainer({
      Image: 'busybox',
      name: 'logidx-web',
      Labels: { 'com.docker.compose.project': 'demo' },
      Cmd: ['sh', '-c', 'echo \'{"level":"error","msg":"db timeout","status":503}\'; echo plain-UniqueWord-1; echo oops >&2'],
    });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    await waited;
    const hits = await waitFor(() => {
      const h = search('level=error timeout', { stack: 'demo' });
      return h.length ? h : undefined;
    }, 10_000, 'indexed line');
    assert.equal(hits[0]!.container, 'logidx-web');
    assert.equal(hits[0]!.stream, 'stdout');
    assert.ok(hits[0]!.t >= us(started) - 1_000_000);
    await waitFor(() => (search('oops', { stream: 'stderr' }).length ? true : undefined), 10_000, 'stderr line');
    // docker logs keeps working as before.
    assert.match(((await c.logs({ stdout: true })) as Buffer).toString(), /plain-UniqueWord-1/);
    await c.remove({ force: true });
    await waitFor(() => (svc.search.containers().find((x) => x.name === 'logidx-web')?.removed ? true : undefined), 10_000, 'marked removed');
    const after = search('uniqueword-1');
    assert.equal(after.length, 1);
    assert.equal(after[0]!.removed, true);
    assert.equal(after[0]!.stack, 'demo');
    assert.equal(after[0]!.image, 'busybox');
  });

  test('retention "none" drops the lines with docker rm', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', name: 'logidx-none', Labels: { 'berth.logs.retention': 'none' }, Cmd: ['sh', '-c', 'echo SecretNoKeep'] });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    await waited;
    await sleep(300);
    assert.equal(search('secretnokeep').length, 0);
    await c.remove({ force: true });
    await waitFor(() => (svc.search.containers().some((x) => x.name === 'logidx-none') ? undefined : true), 10_000, 'forgotten');
  });

  test('kill -9 of the indexer loses and repeats nothing', async () => {
    const c = await env.berth.createContainer({
      Image: 'busybox',
      name: 'logidx-chatty',
      Cmd: ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo "chatty line $i"; i=$((i+1)); done'],
    });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    await waitFor(() => (search('chatty line').length > 10 ? true : undefined), 20_000, 'some lines');
    process.kill(svc.pid!, 'SIGKILL');
    await waited;
    const count = () => {
      const r = svc.search.search({ query: 'chatty line', containers: ['logidx-chatty'] }, 50_000);
      assert.ok(r.ok);
      return r.value.items.length;
    };
    await waitFor(() => (count() >= 20_000 ? true : undefined), 60_000, 'all lines after restart');
    await sleep(500);
    assert.equal(count(), 20_000);
  });

  test('the indexer runs at idle CPU and I/O priority; each batch goes into the trigram index whole', async () => {
    const pid = await waitFor(() => svc.pid, 10_000, 'indexer pid');
    // /proc/<pid>/sched: policy 5 is SCHED_IDLE (set once it is ready). ionice: the idle class.
    await waitFor(() => (/^policy\s+:\s+5$/m.test(fs.readFileSync(`/proc/${pid}/sched`, 'utf8')) ? true : undefined), 10_000, 'SCHED_IDLE');
    assert.equal(execFileSync('ionice', ['-p', String(pid)], { encoding: 'utf8' }).trim(), 'idle');
    // No per-row trigger; the external-content index matches the lines exactly (FTS5's own check).
    const db = openIndex(env.root);
    try {
      assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'lines_ai'").pluck().get(), 0);
      db.exec("INSERT INTO lines_fts(lines_fts, rank) VALUES ('integrity-check', 1)");
    } finally {
      db.close();
    }
  });
});
