// The indexer's own process (spawned by service.ts at low CPU priority): ticks the Indexer. A separate
// process so its CPU and I/O never sit in the dashboard's event loop or the containers' write path. Log
// alert rules read the committed lines from the index (server/alerts/engine.ts).
import { Indexer } from './indexer.ts';
import type { FromIndexer, ToIndexer } from './ipc.ts';

const root = process.env['BERTH_ROOT'];
if (!root) throw new Error('BERTH_ROOT is required');
const pollMs = Number(process.env['BERTH_LOGS_POLL_MS'] ?? 250);

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
  try {
    n = indexer.tick();
  } catch (e) {
    send({ type: 'error', message: (e as Error).message });
  }
  send({ type: 'tick', lines: n });
  // Busy: go again at once; idle: wait for the poll interval.
  setTimeout(loop, n > 0 ? 0 : pollMs);
}
send({ type: 'ready' });
loop();
