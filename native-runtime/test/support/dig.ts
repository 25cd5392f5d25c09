// Queries the embedded DNS server at 127.0.0.11 with BIND's dig (Debian's bind9-dnsutils) from inside a
// container's net namespace (nsenter -n), and reads dig's answer back: a real resolver's EDNS0 queries,
// not ones crafted by the test.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

export interface DigAnswer {
  status: string;
  /** Header flags: qr, aa, tc, rd, ra, … */
  flags: string[];
  /** The A (or PTR) data of the answer section, sorted. */
  data: string[];
  /** The OPT record of the answer, if it has one. */
  edns?: { version: number; udp: number; flags: string };
  bytes: number;
}

export function requireDig(): void {
  assert.ok(fs.existsSync('/usr/bin/dig'), 'dig is missing: node scripts/ensure-deb.mjs bind9-dnsutils');
}

/** dig @127.0.0.11 <args> in the net namespace of pid; +ignore keeps a truncated UDP answer as it came. */
export async function dig(pid: number, args: string[]): Promise<DigAnswer> {
  const { stdout } = await promisify(execFile)('nsenter', ['-t', String(pid), '-n', 'dig', '@127.0.0.11', '+ignore', '+tries=1', '+time=3', ...args]);
  const status = /status: (\w+)/.exec(stdout)?.[1];
  const flags = /^;; flags: ([a-z ]*);/m.exec(stdout)?.[1];
  const bytes = /MSG SIZE\s+rcvd: (\d+)/.exec(stdout)?.[1];
  if (!status || flags === undefined || !bytes) throw new Error(`unexpected dig output:\n${stdout}`);
  const edns = /^; EDNS: version: (\d+), flags:([a-z ]*); udp: (\d+)$/m.exec(stdout);
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(stdout)?.[1] ?? '';
  const data = section
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/).at(-1)!)
    .sort();
  return {
    status,
    flags: flags.trim().split(/\s+/),
    data,
    ...(edns ? { edns: { version: Number(edns[1]), flags: edns[2]!.trim(), udp: Number(edns[3]) } } : {}),
    bytes: Number(bytes),
  };
}
