// VolumeStore: the local driver. Each volume is <root>/volumes/<name>/_data with meta.json beside it
// (written atomically); a directory without meta.json is a half-made volume and is ignored.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { badParameter, noSuchVolume } from '../errors.js';
import { rfc3339Nano } from '../images/time.js';
import { readJsonOr, writeJsonAtomic } from '../util/atomic.js';
import type { VolumeMeta } from './types.js';
import { removeTree } from '../native/index.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function checkVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw badParameter(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

export class VolumeStore {
  private readonly byName = new Map<string, VolumeMeta>();

  constructor(readonly dir: string) {}

  async load(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o701 });
    const next = new Map<string, VolumeMeta>();
    for (const name of await fsp.readdir(this.dir)) {
      if (!NAME_RE.test(name)) continue;
      const meta = await readJsonOr<VolumeMeta | null>(path.join(this.dir, name, 'meta.json'), null).catch(() => null);
      if (meta) next.set(name, meta);
    }
    this.byName.clear();
    for (const [k, v] of next) this.byName.set(k, v);
  }

  dataPath(name: string): string {
    return path.join(this.dir, name, '_data');
  }

  all(): VolumeMeta[] {
    return [...this.byName.values()];
  }

  find(name: string): VolumeMeta | undefined {
    return this.byName.get(name);
  }

  get(name: string): VolumeMeta {
    const v = this.byName.get(name);
    if (!v) throw noSuchVolume(name);
    return v;
  }

  /** Creates the volume; returns [meta, created] (an existing one is returned unchanged, as Docker does). */
  async create(name: string, opts: { labels?: Record<string, string>; options?: Record<string, string>; anonymous?: boolean } = {}): Promise<[VolumeMeta, boolean]> {
    checkVolumeName(name);
    const existing = this.byName.get(name);
    if (existing) return [existing, false];
    await fsp.mkdir(this.dataPath(name), { recursive: true, mode: 0o755 });
    const meta: VolumeMeta = {
      Name: name,
      CreatedAt: rfc3339Nano(new Date(Math.floor(Date.now() / 1000) * 1000)).replace('Z', '+00:00'),
      Driver: 'local',
      Labels: opts.labels ?? {},
      Options: opts.options ?? {},
      anonymous: opts.anonymous ?? false,
    };
    await writeJsonAtomic(path.join(this.dir, name, 'meta.json'), meta, 0o600);
    this.byName.set(name, meta);
    return [meta, true];
  }

  async remove(name: string): Promise<void> {
    // meta.json first: a crash half-way leaves an ignored directory, never a volume without data.
    await fsp.rm(path.join(this.dir, name, 'meta.json'), { force: true });
    this.byName.delete(name);
    // Never through a symlink, even one a container still holding the volume swaps in meanwhile.
    await removeTree(path.join(this.dir, name));
  }
}
