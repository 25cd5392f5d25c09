// `npm test`: the type check, unit tests, then Playwright end-to-end tests. All always run; the exit code is
// non-zero if either failed, and the last line is the plain total "N passed, N failed".
import { spawn } from 'node:child_process';

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out = (out + d.toString()).slice(-20000);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const count = (re, text) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);

const types = await run('npm', ['run', '--silent', 'typecheck']);
const unit = await run('npm', ['run', '--silent', 'test:unit']);
const e2e = await run('npm', ['run', '--silent', 'test:e2e']);

const passed = count(/^ℹ pass (\d+)$/gm, unit.out) + count(/^\s+(\d+) passed/gm, e2e.out);
const failed =
  count(/^ℹ fail (\d+)$/gm, unit.out) +
  count(/^\s+(\d+) failed/gm, e2e.out) +
  // A suite that crashed before reporting still counts as one failure.
  (unit.code !== 0 && !/^ℹ fail [1-9]/m.test(unit.out) ? 1 : 0) +
  (e2e.code !== 0 && !/^\s+\d+ failed/m.test(e2e.out) ? 1 : 0) +
  (types.code !== 0 ? 1 : 0);
const skipped = count(/^ℹ skipped (\d+)$/gm, unit.out) + count(/^\s+(\d+) skipped/gm, e2e.out);

if (types.code !== 0) console.log('\ntypecheck failed (npm run typecheck)');
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(types.code === 0 && unit.code === 0 && e2e.code === 0 ? 0 : 1);
