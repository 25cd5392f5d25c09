// Helpers for the berth-io tests: reading a hijacked stream until a pattern shows up, and running a
// Berth owner in a child process that can really be SIGKILLed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TestEnv } from './berth-helpers.ts';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Collects a stream's text; until() resolves when the text matches. */
export function reader(s: Duplex): { text: () => string; until: (re: RegExp, what: string, ms?: number) => Promise<void>; ended: Promise<void> } {
  let text = '';
  const waiters: Array<() => void> = [];
  s.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const ended = new Promise<void>((r) => {
    s.on('end', r);
    s.on('close', r);
  });
  return {
    text: () => text,
    ended,
    until: (re, what, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(text.slice(-500))}`)), ms);
        const check = (): void => {
          if (re.test(text)) {
            clearTimeout(t);
            resolve();
          } else waiters.push(check);
        };
        check();
      }),
  };
}

/** Runs `body` (async code with `b`, a Berth on env's root, in scope) in a child process. */
export function childOwner(env: TestEnv, body: string): { proc: ChildProcess; firstLine: Promise<string> } {
  const script = path.join(env.root, `owner-${Date.now()}-${Math.random().toString(36).slice(2)}.mts`);
  fs.writeFileSync(
    script,
    `import { Berth } from ${JSON.stringify(INDEX)};\n` +
      `const b = new Berth({ root: ${JSON.stringify(env.root)}, run: ${JSON.stringify(env.run)}, cgroupParent: ${JSON.stringify(env.cgroupParent)} });\n` +
      `${body}\nsetInterval(() => {}, 1000);\n`,
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    proc.once('exit', (code) => reject(new Error(`owner exited with ${code} before printing`)));
  });
  return { proc, firstLine };
}

export async function killHard(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}
