// Log index and alerts (issue 22), each beside its floor in one run:
// - 20 chatty containers' write rate with the indexer on vs off (scaled down from the issue's 1 GB to
//   BERTH_BENCH_LOG_SECONDS of writing, default 8 s per run, so the suite runs in a few minutes);
// - logs.search for a rare token and a regex search vs `grep -c` / `grep -cE` over the raw log files;
// - a container's death to the webhook's arrival.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Berth } from '@berth/runtime';
import { AlertEngine } from '../server/alerts/engine.ts';
import { parseRecords } from '@berth/runtime/logs';
import { LineSplitter, type Line } from '../server/logs-index/lines.ts';
import { openIndex } from '../server/logs-index/schema.ts';
import { LogIndexService } from '../server/logs-index/service.ts';
import { createTestServices } from '../test/support/services.ts';
import { pipeline } from 'node:stream/promises';
import { startDockerd } from './engine-api.ts';
import { runCommand } from '../test/server/engine-api/test-env.ts';
import { fmtBytes, fmtMs, median, removeCgroupParent, tempRoot, timeMs, type Row } from './lib.ts';

const SECONDS = Number(process.env['BERTH_BENCH_LOG_SECONDS'] ?? 8);
const ROUNDS = Number(process.env['BERTH_BENCH_LOG_ROUNDS'] ?? 3);
const CONTAINERS = 20;
const RARE = `rare-${randomBytes(4).toString('hex')}`;

function logBytes(root: string): number {
  let n = 0;
  const dir = path.join(root, 'containers');
  for (const id of fs.readdirSync(dir)) {
    const logDir = path.join(dir, id, 'log');
    if (!fs.existsSync(logDir)) continue;
    for (const f of fs.readdirSync(logDir)) n += fs.statSync(path.join(logDir, f)).size;
  }
  return n;
}

function logFiles(root: string): string[] {
  const dir = path.join(root, 'containers');
  return fs.readdirSync(dir).flatMap((id) => {
    const d = path.join(dir, id, 'log');
    return fs.existsSync(d) ? fs.readdirSync(d).map((f) => path.join(d, f)) : [];
  });
}

/** 20 containers writing JSON lines as fast as a shell can for SECONDS; returns bytes written. */
async function chatty(berth: Berth, root: string, tag: string): Promise<number> {
  const ids: string[] = [];
  for (let k = 0; k < CONTAINERS; k++) {
    const rare = k === 7 ? `[ $i = 2000 ] && echo "${RARE} found"; ` : '';
    const c = await berth.createContainer({
      Image: 'busybox',
      name: `chatty-${tag}-${k}`,
      Cmd: ['sh', '-c', `i=0; while :; do ${rare}echo "{\\"level\\":\\"info\\",\\"i\\":$i,\\"msg\\":\\"served /api/items/$i for user u$((i % 977)) in $((i % 91))ms\\"}"; i=$((i+1)); done`],
    });
    ids.push(c.id);
  }
  const before = logBytes(root);
  await Promise.all(ids.map((id) => berth.getContainer(id).start()));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  await Promise.all(ids.map((id) => berth.getContainer(id).kill().catch(() => undefined)));
  return logBytes(root) - before;
}

export async function logsBenchmarks(): Promise<Row[]> {
  const rows: Row[] = [];
  // Printed as they come too: the suite takes minutes.
  const push = rows.push.bind(rows);
  rows.push = (...r: Row[]) => (r.forEach((x) => console.error(JSON.stringify(x))), push(...r));
  const t = tempRoot('logs');
  const cgroupParent = `berth-bench-logs-${randomBytes(3).toString('hex')}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent });
  try {
    // Off and on alternate over several rounds (off,on / on,off / …) and the medians are compared: other
    // work on the machine drifts over minutes, and one off-then-on pair mostly measured that drift.
    const offRates: number[] = [];
    const onRates: number[] = [];
    let svc: LogIndexService | null = null;
    for (let round = 0; round < ROUNDS; round++) {
      for (const phase of round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
        for (const c of await berth.listContainers({ all: true })) await berth.getContainer(c.Id).remove({ force: true });
        await svc?.close();
        svc = null;
        if (phase === 'on') {
          svc = new LogIndexService({ root: t.root, pollMs: 100 });
          const ready = new Promise<number>((r) => svc!.once('tick', r));
          svc.start();
          await ready; // its own start-up (tsx) is not part of the containers' run
        }
        const bytes = await chatty(berth, t.root, `${phase}${round}`);
        (phase === 'on' ? onRates : offRates).push(bytes / SECONDS);
      }
    }
    const off = median(offRates);
    const on = median(onRates);
    const drop = (1 - on / off) * 100;
    rows.push({
      name: `20 chatty containers' write rate, index on vs off (median of ${ROUNDS} × ${SECONDS}s each, alternating)`,
      berth: `${fmtBytes(on)}/s`,
      baseline: `${fmtBytes(off)}/s (off; runs ${offRates.map((r) => fmtBytes(r)).join(', ')}; on: ${onRates.map((r) => fmtBytes(r)).join(', ')})`,
      ratio: `${drop >= 0 ? '-' : '+'}${Math.abs(drop).toFixed(1)}%`,
      target: 'drop <= 10%',
    });
    if (!svc) {
      svc = new LogIndexService({ root: t.root, pollMs: 100 });
      svc.start();
    }
    // Let the indexer catch up with what was written (the containers are stopped: this is its own speed).
    const total = logBytes(t.root);
    const s = svc.search;
    const textIndexed = () => s.containers().reduce((n, c) => n + c.bytes, 0);
    const before = textIndexed();
    const caughtUp = await timeMs(async () => {
      for (;;) {
        const lines = await new Promise<number>((r) => svc!.once('tick', r));
        if (lines === 0) break;
      }
    });
    const indexed = textIndexed() - before;
    rows.push({
      name: `index catch-up after the run (${fmtBytes(total)} of log files; SCHED_IDLE, one INSERT…SELECT into FTS5 per batch)`,
      berth: `${fmtBytes(indexed / (caughtUp / 1000))}/s`,
      baseline: `${fmtBytes(indexed)} of text in ${fmtMs(caughtUp)}`,
      ratio: '—',
      target: '—',
    });

    rows.push(ftsInsertMethods(logFiles(t.root)));

    const files = logFiles(t.root);
    const search = median(await Promise.all([0, 1, 2, 3, 4].map(() => timeMs(() => s.search({ query: RARE }, 100)))));
    const found = s.search({ query: RARE }, 100);
    const grep = median([0, 1, 2].map(() => execTime(() => execFileSync('grep', ['-c', RARE, ...files], { maxBuffer: 1 << 24 }))));
    rows.push({
      name: `logs.search rare token over ${fmtBytes(total)} (${found.ok ? found.value.items.length : 'error'} hit)`,
      berth: fmtMs(search),
      baseline: `${fmtMs(grep)} (grep -c)`,
      ratio: `${(search / grep).toFixed(2)}x`,
      target: '<= 300 ms',
    });
    const pattern = 'user u97[0-6] in 9\\dms';
    const rx = await timeMs(() => s.search({ query: pattern, regex: true }, 100));
    const grepE = execTime(() => execFileSync('grep', ['-cE', 'user u97[0-6] in 9[0-9]ms', ...files], { maxBuffer: 1 << 24 }));
    rows.push({ name: `logs.search regex /${pattern}/`, berth: fmtMs(rx), baseline: `${fmtMs(grepE)} (grep -cE)`, ratio: `${(rx / grepE).toFixed(2)}x`, target: '<= 2 s' });
    rows.push(...(await dockerLogsGrep(berth, indexedNow(s), search)));
    for (const c of await berth.listContainers({ all: true })) await berth.getContainer(c.Id).remove({ force: true });

    // Death → webhook.
    const services = createTestServices({ root: t.root });
    const arrivals: number[] = [];
    const bodies: string[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        arrivals.push(Date.now());
        bodies.push(Buffer.concat(chunks).toString());
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const { sealConfig } = await import('../server/alerts/channels.ts');
    await services.db.alertChannel.create({ data: { id: 'c1', name: 'hook', type: 'webhook', configSealed: sealConfig(t.root, { url, secret: 'k' }) } });
    await services.db.alertRule.create({ data: { id: 'r1', name: 'died', kind: 'died', channelIds: '["c1"]', scope: '{"type":"all"}', params: '{"maxPerHour":1000}' } });
    const alerts = new AlertEngine({ db: services.db, root: t.root, engine: berth, logs: svc });
    await alerts.start();
    const lat: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 1'] });
      const n = arrivals.length;
      const waited = c.wait({ condition: 'next-exit' });
      await c.start();
      await waited;
      const died = Date.now();
      while (arrivals.length === n) await new Promise((r) => setTimeout(r, 2));
      lat.push(arrivals[n]! - died);
      const again = c.wait({ condition: 'next-exit' });
      await c.start(); // resolves the alert so the next death fires again
      await again.catch(() => undefined);
      await c.remove({ force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
    rows.push({ name: 'container death → webhook arrival (median of 5)', berth: fmtMs(median(lat)), baseline: '—', ratio: '—', target: '<= 1 s' });

    // Log line → webhook: log rules run on each batch the indexer commits (no 5 s poll). From the line's
    // own timestamp (the shim's, in the index) to the webhook's arrival; the indexer polls every 100 ms here.
    await services.db.alertRule.delete({ where: { id: 'r1' } });
    await services.db.alertRule.create({
      data: { id: 'r2', name: 'panic', kind: 'log', channelIds: '["c1"]', scope: '{"type":"all"}', params: JSON.stringify({ maxPerHour: 1000, pattern: 'PANIC-[0-9]+', quietSeconds: 1 }) },
    });
    await alerts.reload();
    const logLat: number[] = [];
    for (let i = 0; i < 5; i++) {
      const token = `PANIC-${i}${Date.now()}`;
      const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', `sleep 0.3; echo ${token}; sleep 30`] });
      await c.start();
      const deadline = Date.now() + 20_000;
      let at = -1;
      while ((at = bodies.findIndex((b) => b.includes(token))) < 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      const hit = s.search({ query: token }, 1);
      const written = hit.ok && hit.value.items[0] ? hit.value.items[0].t / 1000 : NaN;
      if (at >= 0) logLat.push(arrivals[at]! - written);
      await c.remove({ force: true });
    }
    rows.push({ name: 'log line → webhook arrival (log rule, median of 5)', berth: fmtMs(median(logLat)), baseline: 'was: indexer lag + up to a 5 s poll', ratio: '—', target: '—' });
    await alerts.close();
    receiver.close();
    await services.db.$disconnect();
    await svc.close();
  } finally {
    for (const c of await berth.listContainers({ all: true }).catch(() => [])) await berth.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await berth.close();
    removeCgroupParent(cgroupParent);
    t.cleanup();
  }
  return rows;
}

/**
 * The index's own insert speed on the same lines, both ways in one run and at this process's priority:
 * the lines table plus a per-row AFTER INSERT trigger into FTS5 (how it was) against the lines table plus one
 * `INSERT INTO lines_fts … SELECT` per batch (how it is, indexer.ts).
 */
function ftsInsertMethods(files: string[]): Row {
  const lines: string[] = [];
  const splitter = new LineSplitter();
  const got: Line[] = [];
  for (const f of files) {
    const buf = fs.readFileSync(f);
    for (const r of parseRecords(buf).records) splitter.push(r, got);
    if (got.length >= 60_000) break;
  }
  for (const l of got.slice(0, 60_000)) lines.push(l.line);
  const text = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  const time = (trigger: boolean): number => {
    const dir = fs.mkdtempSync('/var/tmp/berth-bench-fts-');
    try {
      const db = openIndex(dir);
      if (trigger) db.exec(`CREATE TRIGGER lines_ai AFTER INSERT ON lines BEGIN INSERT INTO lines_fts(rowid, line) VALUES (new.rowid, new.line); END;`);
      const insert = db.prepare('INSERT INTO lines (cid, t, stream, line) VALUES (1, ?, 1, ?)');
      const bulk = db.prepare('INSERT INTO lines_fts(rowid, line) SELECT rowid, line FROM lines WHERE rowid > ?');
      const t0 = process.hrtime.bigint();
      // Batches of 5,000 lines, as ticks commit them.
      for (let i = 0; i < lines.length; i += 5000) {
        db.transaction(() => {
          const from = Number(db.prepare('SELECT coalesce(max(rowid), 0) FROM lines').pluck().get());
          lines.slice(i, i + 5000).forEach((l, k) => insert.run(i + k, l));
          if (!trigger) bulk.run(from);
        })();
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      db.close();
      return ms;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const before = time(true);
  const now = time(false);
  return {
    name: `index insert of ${lines.length} log lines (${fmtBytes(text)}), batches of 5,000`,
    berth: `${fmtBytes(text / (now / 1000))}/s (one INSERT…SELECT per batch)`,
    baseline: `${fmtBytes(text / (before / 1000))}/s (per-row trigger, as before)`,
    ratio: `${(before / now).toFixed(1)}x faster`,
    target: '—',
  };
}

function indexedNow(s: LogIndexService['search']): number {
  return s.containers().reduce((n, c) => n + c.bytes, 0);
}

/**
 * Docker's way to search logs: `docker logs X | grep -c TOKEN` against dockerd (20.10, its json-file
 * driver, in its own loopback-only network namespace), over one container holding as many bytes of the
 * same JSON lines as Berth has indexed, beside Berth's indexed search of the rare token.
 */
async function dockerLogsGrep(berth: Berth, textBytes: number, berthSearchMs: number): Promise<Row[]> {
  const dir = fs.mkdtempSync('/var/tmp/berth-bench-logs-dockerd-');
  const dockerd = await startDockerd(dir).catch((e: Error) => {
    console.error(`dockerd: ${e.message}`);
    return null;
  });
  const name = `logs.search vs \`docker logs X | grep -c\` (dockerd)`;
  if (!dockerd) return [{ name, berth: fmtMs(berthSearchMs), baseline: 'dockerd not available', ratio: '—', target: '—' }];
  const env = { PATH: process.env['PATH'], HOME: dir, DOCKER_HOST: dockerd.host, DOCKER_CONFIG: dir };
  try {
    const tar = path.join(dir, 'busybox.tar');
    await pipeline(await berth.getImage('busybox').get(), fs.createWriteStream(tar));
    const run = (args: string[]) => runCommand('docker', args, env, { timeoutMs: 600_000 });
    if ((await run(['load', '-i', tar])).code !== 0) throw new Error('docker load failed');
    // The same line shape as the chatty containers (about 95 bytes a line), the rare token once.
    const n = Math.max(10_000, Math.round(textBytes / 95));
    const awk = `BEGIN { for (i = 0; i < ${n}; i++) { if (i == 2000) print "${RARE} found"; printf "{\\"level\\":\\"info\\",\\"i\\":%d,\\"msg\\":\\"served /api/items/%d for user u%d in %dms\\"}\\n", i, i, i % 977, i % 91 } }`;
    // Detached and waited for: attached, the client would print the whole log back to this process.
    const made = await run(['run', '-d', '--name', 'bench-logs-grep', '--network', 'none', 'busybox', 'awk', awk]);
    if (made.code !== 0) throw new Error(`docker run failed: ${made.stderr}`);
    const waited = await run(['wait', 'bench-logs-grep']);
    if (waited.code !== 0 || waited.stdout.trim() !== '0') throw new Error(`docker wait: ${waited.stdout}${waited.stderr}`);
    const times: number[] = [];
    let count = '';
    // `docker logs` of a gigabyte takes minutes on dockerd: one run is enough at that size.
    for (let i = 0; i < (textBytes > 256 * 2 ** 20 ? 1 : 3); i++) {
      const r = await runCommand('sh', ['-c', `docker logs bench-logs-grep 2>&1 | grep -c ${RARE}`], env, { timeoutMs: 600_000 });
      count = r.stdout.trim();
      times.push(r.ms);
    }
    const d = median(times);
    return [
      {
        name: `${name} over ${fmtBytes(n * 95)} (${count} hit)`,
        berth: fmtMs(berthSearchMs),
        baseline: `${fmtMs(d)} (docker logs | grep -c, dockerd)`,
        ratio: `${(berthSearchMs / d).toFixed(4)}x`,
        target: '—',
      },
    ];
  } catch (e) {
    return [{ name, berth: fmtMs(berthSearchMs), baseline: `dockerd: ${(e as Error).message.slice(0, 120)}`, ratio: '—', target: '—' }];
  } finally {
    await dockerd.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function execTime(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  try {
    fn();
  } catch {
    /* grep exits 1 when nothing matches */
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
