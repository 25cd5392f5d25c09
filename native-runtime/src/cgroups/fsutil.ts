// Small helpers for cgroupfs: every value file is one short text read or write.
// They use synchronous calls on purpose: cgroupfs operations are in-kernel and never block on a disk,
// and a thread-pool round trip per file (dozens per container start) cost more than the work itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { internal } from '../errors.js';

export async function readText(file: string): Promise<string> {
  return fs.readFileSync(file, 'utf8').trim();
}

export async function readTextOr(file: string, dflt: string | undefined): Promise<string | undefined> {
  try {
    return await readText(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return dflt;
    throw e;
  }
}

export async function readInt(file: string): Promise<number | undefined> {
  const t = await readTextOr(file, undefined);
  if (t === undefined || t === '' || t === 'max') return undefined;
  return Number(t);
}

export async function exists(file: string): Promise<boolean> {
  try {
    fs.accessSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes a value; errors name the file and value, since EINVAL alone says nothing. */
export async function writeValue(file: string, value: string | number): Promise<void> {
  try {
    fs.writeFileSync(file, String(value));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw internal(`failed to write ${JSON.stringify(String(value))} to ${file}: ${err.code ?? err.message}`, e);
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events…). */
export function parseKeyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v)) out[line.slice(0, sp)] = v;
  }
  return out;
}

/** "0-3,5" → [0,1,2,3,5]; throws on malformed input. */
export function parseCpuList(list: string): number[] {
  const out = new Set<number>();
  const s = list.trim();
  if (s === '') return [];
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`invalid list ${list}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`invalid list ${list}`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** rmdir with brief EBUSY retries: the kernel releases a group a moment after its last task exits. */
export async function rmdirRetry(dir: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) throw internal(`failed to remove cgroup ${dir}: ${code}`, e);
      await sleep(delay);
    }
  }
}

export async function readPids(procsFile: string): Promise<number[]> {
  const t = await readTextOr(procsFile, '');
  return (t ?? '')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export function hostCpuCount(): number {
  return os.availableParallelism();
}

/** Host MemTotal in bytes (Docker's stats limit when the container has none). */
export async function memTotal(): Promise<number> {
  const t = fs.readFileSync('/proc/meminfo', 'utf8');
  const m = /^MemTotal:\s+(\d+) kB/m.exec(t);
  return m ? Number(m[1]) * 1024 : os.totalmem();
}

/** Rejects ids that could escape the parent directory. */
export function checkId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw new Error(`invalid cgroup id ${JSON.stringify(id)}`);
}
