// The indexer's own process (spawned by service.ts at low CPU priority): ticks the Indexer. A separate
// process so its CPU and I/O never sit in the dashboard's event loop or the containers' write path. Log
// alert rules read the committed lines from the index (server/alerts/engine.ts).
import { CpuPressure } from './cpu-pressure.ts';
import { Indexer } from './indexer.ts';
import type { FromIndexer, ToIndexer } from './ipc.ts';

const root = process.env['BERTH_ROOT'];
if (!root) throw new Error('BERTH_ROOT is required');
const pollMs = Number(process.env['BERTH_LOGS_POLL_MS'] ?? 250);
// While tasks wait for a CPU, index at most 1/YIELD_FACTOR+1 of the time (5 %): the containers first.
const YIELD_FACTOR = 19;
const PRESSURED = 0.2;
const pressure = process.env['BERTH_LOGS_YIELD'] === 'off' ? null : new CpuPressure();

const send = (m: FromIndexer) => process.send?.(m);
const indexer = new Indexer({ root, retention: process.env['BERTH_LOGS_RETENTION'] || undefined });

process.on('message', (raw) => {
  if ((raw as ToIndexer).type === 'sweep') indexer.sweep(Date.now());
});
process.on('disconnect', () => {
  indexer.close();
  process.exit(0);
});

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

function loop(): void {
  if (stopping) {
    indexer.close();
    process.exit(0);
  }
  let n = 0;
  const started = performance.now();
  try {
    n = indexer.tick();
  } catch (e) {
    send({ type: 'error', message: (e as Error).message });
  }
  const took = performance.now() - started;
  send({ type: 'tick', lines: n });
  // Idle: wait for the poll interval. Busy: go again at once, unless the CPU is contended.
  let delay = n > 0 ? 0 : pollMs;
  const p = pressure?.sample() ?? null;
  if (n > 0 && p !== null && p > PRESSURED) delay = Math.min(took * YIELD_FACTOR, 2000);
  setTimeout(loop, delay);
}
send({ type: 'ready' });
loop();
