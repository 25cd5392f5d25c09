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
import { LogIndexService } from '../server/logs-index/service.ts';
import { createTestServices } from '../server/test-support/services.ts';
import { fmtBytes, fmtMs, median, removeCgroupParent, tempRoot, timeMs, type Row } from './lib.ts';

const SECONDS = Number(process.env['BERTH_BENCH_LOG_SECONDS'] ?? 8);
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
    // Off first, then on, with the same containers' command.
    const off = await chatty(berth, t.root, 'off');
    for (const c of await berth.listContainers({ all: true })) await berth.getContainer(c.Id).remove({ force: true });
    const svc = new LogIndexService({ root: t.root, pollMs: 100 });
    svc.start();
    const on = await chatty(berth, t.root, 'on');
    const drop = (1 - on / off) * 100;
    rows.push({
      name: `20 chatty containers' write rate, index on vs off (${SECONDS}s each)`,
      berth: `${fmtBytes(on / SECONDS)}/s`,
      baseline: `${fmtBytes(off / SECONDS)}/s (off)`,
      ratio: `${drop >= 0 ? '-' : '+'}${Math.abs(drop).toFixed(1)}%`,
      target: 'drop <= 10%',
    });
    // Let the indexer catch up with what was written.
    const total = logBytes(t.root);
    const caughtUp = await timeMs(async () => {
      for (;;) {
        const lines = await new Promise<number>((r) => svc.once('tick', r));
        if (lines === 0) break;
      }
    });
    const s = svc.search;
    const indexed = s.containers().reduce((n, c) => n + c.bytes, 0);
    rows.push({ name: `index catch-up after the run (${fmtBytes(total)} of log files)`, berth: fmtMs(caughtUp), baseline: `${fmtBytes(indexed)} of text indexed`, ratio: '—', target: '—' });

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
    for (const c of await berth.listContainers({ all: true })) await berth.getContainer(c.Id).remove({ force: true });

    // Death → webhook.
    const services = createTestServices({ root: t.root });
    const arrivals: number[] = [];
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        arrivals.push(Date.now());
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const { sealConfig } = await import('../server/alerts/channels.ts');
    await services.db.alertChannel.create({ data: { id: 'c1', name: 'hook', type: 'webhook', configSealed: sealConfig(t.root, { url, secret: 'k' }) } });
    await services.db.alertRule.create({ data: { id: 'r1', name: 'died', kind: 'died', channelIds: '["c1"]', scope: '{"type":"all"}', params: '{"maxPerHour":1000}' } });
    const alerts = new AlertEngine({ db: services.db, root: t.root, engine: berth });
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

function execTime(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  try {
    fn();
  } catch {
    /* grep exits 1 when nothing matches */
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
