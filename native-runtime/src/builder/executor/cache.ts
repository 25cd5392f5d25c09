// The build cache: cache key (build/cache-key.ts) -> image ID of the step's result, kept in
// <root>/build/cache.json (rewritten atomically), so it survives a restart. An entry whose image is
// gone (removed, pruned) is a miss and is dropped.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readJsonOr, writeJsonAtomic } from '../../util/atomic.js';

const CacheFileSchema = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), z.object({ image: z.string(), created: z.string() })),
});
type CacheFile = z.infer<typeof CacheFileSchema>;

export class BuildCache {
  private data: CacheFile | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private dirty = false;

  constructor(readonly file: string) {}

  static forRoot(root: string): BuildCache {
    return new BuildCache(path.join(root, 'build', 'cache.json'));
  }

  private async load(): Promise<CacheFile> {
    if (this.data) return this.data;
    const raw = await readJsonOr<unknown>(this.file, { version: 1, entries: {} });
    const parsed = CacheFileSchema.safeParse(raw);
    // A damaged cache file only costs rebuilds: start empty rather than fail every build.
    this.data = parsed.success ? parsed.data : { version: 1, entries: {} };
    return this.data;
  }

  private locked<T>(fn: (d: CacheFile) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => fn(await this.load()));
    this.queue = run.catch(() => {});
    return run;
  }

  /** The image ID cached for `key`, or undefined. */
  async get(key: string): Promise<string | undefined> {
    return (await this.load()).entries[key]?.image;
  }

  /** Records an entry in memory; flush() makes it durable (once per build, not once per step). */
  async set(key: string, image: string): Promise<void> {
    await this.locked(async (d) => {
      // In place: copying every entry per step made a long build quadratic (issue #16).
      d.entries[key] = { image, created: new Date().toISOString() };
      this.dirty = true;
    });
  }

  /** Writes the entries recorded since the last flush. A crash before it only costs a rebuild. */
  async flush(): Promise<void> {
    await this.locked(async (d) => {
      if (!this.dirty) return;
      await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeJsonAtomic(this.file, d, 0o600);
      this.dirty = false;
    });
  }

  /** Drops every entry whose image `keep` rejects; returns how many were dropped. */
  async retain(keep: (image: string) => boolean): Promise<number> {
    return this.locked(async (d) => {
      const entries = Object.fromEntries(Object.entries(d.entries).filter(([, e]) => keep(e.image)));
      const dropped = Object.keys(d.entries).length - Object.keys(entries).length;
      if (dropped === 0) return 0;
      const next: CacheFile = { version: 1, entries };
      await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeJsonAtomic(this.file, next, 0o600);
      this.data = next;
      return dropped;
    });
  }

  /** Image IDs of every entry. */
  async images(): Promise<Set<string>> {
    return new Set(Object.values((await this.load()).entries).map((e) => e.image));
  }
}
