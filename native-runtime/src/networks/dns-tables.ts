// Name tables for the embedded DNS server in each container's shim (native/shim/dns_names.h). One file
// per user-defined network, <root>/networks/dns/<network id>, lists the running endpoints with their names;
// one file per container, <container dir>/dns-tables, lists the tables of its networks. A start, exit,
// connect or disconnect replaces ONE table (temp file + rename, which the shims see by a stat per query),
// so creating the 200th container costs what the first did, and replicas started later resolve from
// peers that already run without touching their files. No fsync: recover() regenerates every table.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { randomHex } from '../util/ids.js';

export interface NameEntry {
  ip: string;
  containerId: string;
  /** Container name, aliases (the short id among them), hostname. */
  names: string[];
}

/** What a name in a table may look like (no blanks: the format is space-separated). */
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function tableText(networkName: string, entries: NameEntry[]): string {
  const lines = [`network ${networkName}`];
  for (const e of entries) {
    const names = [...new Set(e.names.filter((n) => NAME_RE.test(n)))];
    if (names.length) lines.push(`${e.ip} ${e.containerId} ${names.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

export const containerTablesFile = (containerDir: string): string => path.join(containerDir, 'dns-tables');

async function replace(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomHex(4)}.tmp`;
  await fsp.writeFile(tmp, text, { mode: 0o644 });
  await fsp.rename(tmp, file);
}

export class NameTables {
  private readonly mutex = new KeyedMutex();
  /** Per network: the newest refresh asked for, and the newest one written. */
  private readonly asked = new Map<string, number>();
  private readonly written = new Map<string, number>();

  constructor(readonly dir: string) {}

  tablePath(networkId: string): string {
    return path.join(this.dir, networkId);
  }

  /**
   * Rewrites a network's table from `entries()`, read when the write runs: refreshes asked for while one
   * is written collapse into the next, so a burst of starts costs a few writes, not one per start.
   */
  async refresh(networkId: string, networkName: string, entries: () => NameEntry[]): Promise<void> {
    const n = (this.asked.get(networkId) ?? 0) + 1;
    this.asked.set(networkId, n);
    await this.mutex.run(networkId, async () => {
      if ((this.written.get(networkId) ?? 0) >= n) return;
      const upTo = this.asked.get(networkId)!;
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o755 });
      await replace(this.tablePath(networkId), tableText(networkName, entries()));
      this.written.set(networkId, upTo);
    });
  }

  async remove(networkId: string): Promise<void> {
    await this.mutex.run(networkId, () => fsp.rm(this.tablePath(networkId), { force: true }));
  }

  /** The container's list of tables (its user-defined networks); its shim re-reads it when it changes. */
  async writeContainerList(containerDir: string, networkIds: string[]): Promise<void> {
    await replace(containerTablesFile(containerDir), networkIds.map((id) => this.tablePath(id)).join('\n') + (networkIds.length ? '\n' : ''));
  }
}
