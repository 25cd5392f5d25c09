// The indexer steps aside while tasks wait for a CPU (server/logs-index/process.ts): the PSI reading it
// relies on must see real contention from busy processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { CpuPressure } from '../../../server/logs-index/cpu-pressure.ts';

test('CPU pressure reads high while more busy processes run than there are CPUs', { skip: !fs.existsSync('/proc/pressure/cpu') && 'kernel without PSI' }, async () => {
  const p = new CpuPressure();
  assert.equal(p.sample(), null, 'the first sample has nothing to compare with');
  const spinners = Array.from({ length: os.availableParallelism() * 3 }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  try {
    await new Promise((r) => setTimeout(r, 300));
    p.sample();
    await new Promise((r) => setTimeout(r, 1500));
    const contended = p.sample();
    assert.ok(contended !== null && contended > 0.2, `pressure ${contended} under ${spinners.length} spinners`);
  } finally {
    for (const s of spinners) s.kill('SIGKILL');
  }
});
