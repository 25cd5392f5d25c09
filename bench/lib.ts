// Small helpers shared by the benchmarks: timing, medians, temp roots and the result table.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Row {
  name: string;
  berth: string;
  baseline: string;
  ratio: string;
  target: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function tempRoot(tag: string): { root: string; run: string; cleanup(): void } {
  const root = fs.mkdtempSync(path.join('/var/tmp', `berth-bench-${tag}-`));
  const run = fs.mkdtempSync(path.join('/run', `bb-`));
  return {
    root,
    run,
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(run, { recursive: true, force: true });
    },
  };
}

/** Removes a cgroup parent (and its empty children) from every v1 hierarchy and the v2 tree. */
export function removeCgroupParent(parent: string): void {
  const roots = fs.readdirSync('/sys/fs/cgroup').map((d) => path.join('/sys/fs/cgroup', d));
  for (const root of ['/sys/fs/cgroup', ...roots]) {
    const dir = path.join(root, parent);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
    for (const c of fs.readdirSync(dir, { withFileTypes: true })) if (c.isDirectory()) fs.rmdirSync(path.join(dir, c.name));
    fs.rmdirSync(dir);
  }
}

/** Compiles a C program from bench/baseline once per run. */
export function buildBaseline(name: string): string {
  const out = path.join(os.tmpdir(), `berth-bench-${name}`);
  execFileSync('gcc', ['-O2', '-o', out, path.join(import.meta.dirname, 'baseline', `${name}.c`)]);
  return out;
}

export const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
export const fmtBytes = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`);

export function printTable(rows: Row[]): void {
  const cols: (keyof Row)[] = ['name', 'berth', 'baseline', 'ratio', 'target'];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(cols));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}
