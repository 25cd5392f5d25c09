// The indexer's own process (spawned by service.ts at low CPU priority): ticks the Indexer. A separate
// process so its CPU and I/O never sit in the dashboard's event loop or the containers' write path. Log
// alert rules read the committed lines from the index (server/alerts/engine.ts).
import { CpuPressure } from './cpu-pressure.ts';
import { Indexer } from './indexer.ts';
import type { FromIndexer, ToIndexer } from './ipc.ts';

const root = process.env['BERTH_ROOT'];
if (!root) throw new Error('BERTH_ROOT is required');
const pollMs = Number(process.env['BERTH_LOGS_POLL_MS'] ?? 250);
// While tasks wait for a CPU, index in small batches and at most 1/(YIELD_FACTOR+1) of the time (5 %):
// the containers first. Small batches keep that share honest (a 16 MiB batch takes seconds).
const YIELD_FACTOR = 19;
const PRESSURED = 0.2;
const PRESSED_BUDGET = 512 * 1024;
const MAX_YIELD_MS = 10_000;
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

// Ticks are synchronous, so this runs between two of them (never inside a transaction), and at once even
// while the loop sleeps out a long yield.
process.on('SIGTERM', () => {
  indexer.close();
  process.exit(0);
});

function loop(): void {
  const p = pressure?.sample() ?? null;
  const pressed = p !== null && p > PRESSURED;
  let n = 0;
  const started = performance.now();
  try {
    n = indexer.tick(pressed ? PRESSED_BUDGET : undefined);
  } catch (e) {
    send({ type: 'error', message: (e as Error).message });
  }
  const took = performance.now() - started;
  send({ type: 'tick', lines: n });
  // Idle: wait for the poll interval. Busy: go again at once, unless the CPU is contended.
  const delay = n === 0 ? pollMs : pressed ? Math.min(took * YIELD_FACTOR, MAX_YIELD_MS) : 0;
  setTimeout(loop, delay);
}
send({ type: 'ready' });
loop();
