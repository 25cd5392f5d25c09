// /etc/subuid and /etc/subgid: the subordinate ranges of the `berth` user, created when missing as
// dockerd creates `dockremap` (moby's idtools: useradd --system, then a range after every existing one).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../util/atomic.js';

const run = promisify(execFile);

export const BERTH_USER = 'berth';
/** 65,536 ids per container; the berth user gets room for this many containers. */
export const RANGE_SIZE = 65536;
export const SLOTS = 4096;

export interface SubIdRange {
  name: string;
  start: number;
  count: number;
}

export function parseSubIds(text: string): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [name, start, count] = t.split(':');
    const s = Number(start);
    const c = Number(count);
    if (name && Number.isSafeInteger(s) && Number.isSafeInteger(c) && s >= 0 && c > 0) out.push({ name, start: s, count: c });
  }
  return out;
}

/** The first RANGE_SIZE-aligned start at or above 100000 (shadow's SUB_UID_MIN) that overlaps no range. */
export function freeStart(taken: SubIdRange[], count: number): number {
  const sorted = [...taken].sort((a, b) => a.start - b.start);
  let start = Math.ceil(100000 / RANGE_SIZE) * RANGE_SIZE;
  for (const r of sorted) {
    if (r.start + r.count <= start) continue;
    if (r.start >= start + count) break;
    start = Math.ceil((r.start + r.count) / RANGE_SIZE) * RANGE_SIZE;
  }
  if (start + count > 0xfffffffe) throw new Error('no free subordinate id range large enough for the berth user');
  return start;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

async function ensureUser(): Promise<void> {
  try {
    await run('id', ['-u', BERTH_USER]);
  } catch {
    await run('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', BERTH_USER]);
  }
}

/** The berth user's range in one file, appended (atomically) when it has none. */
async function ensureRange(file: string): Promise<SubIdRange> {
  const text = readOr(file);
  const ranges = parseSubIds(text);
  const own = ranges.filter((r) => r.name === BERTH_USER).sort((a, b) => b.count - a.count)[0];
  if (own) return own;
  const count = RANGE_SIZE * SLOTS;
  const start = freeStart(ranges, count);
  const line = `${BERTH_USER}:${start}:${count}\n`;
  await writeFileAtomic(file, (text && !text.endsWith('\n') ? text + '\n' : text) + line, 0o644);
  return { name: BERTH_USER, start, count };
}

export interface BerthRanges {
  uid: SubIdRange;
  gid: SubIdRange;
}

export async function ensureBerthRanges(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): Promise<BerthRanges> {
  await ensureUser();
  return { uid: await ensureRange(files.subuid), gid: await ensureRange(files.subgid) };
}
