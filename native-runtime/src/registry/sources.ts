// Which registry repositories are known to hold a blob (Docker's v2 metadata "SourceRepository"), so a
// push to another repo on the same registry can mount instead of upload. <root>/registry/sources.json.
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { readJsonOr, writeJsonAtomic } from '../util/atomic.js';

interface SourcesFile {
  blobs: Record<string, string[]>;
}

const MAX_PER_BLOB = 16;
const queues = new Map<string, Promise<unknown>>();

export function sourcesPath(imagesRoot: string): string {
  return path.join(path.dirname(imagesRoot), 'registry', 'sources.json');
}

/** Records that `domain/repo` holds each of `digests`. */
export async function recordSources(imagesRoot: string, domain: string, repo: string, digests: string[]): Promise<void> {
  const file = sourcesPath(imagesRoot);
  const prev = queues.get(file) ?? Promise.resolve();
  const run = prev.then(async () => {
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const f = await readJsonOr<SourcesFile>(file, { blobs: {} });
    const name = `${domain}/${repo}`;
    for (const d of digests) {
      const list = (f.blobs[d] ?? []).filter((x) => x !== name);
      list.unshift(name);
      f.blobs[d] = list.slice(0, MAX_PER_BLOB);
    }
    await writeJsonAtomic(file, f, 0o600);
  });
  queues.set(file, run.catch(() => {}));
  await run;
}

/** Repos on `domain` known to hold `digest`, most recent first. */
export async function sourcesFor(imagesRoot: string, domain: string, digest: string): Promise<string[]> {
  const f = await readJsonOr<SourcesFile>(sourcesPath(imagesRoot), { blobs: {} });
  return (f.blobs[digest] ?? []).filter((x) => x.startsWith(domain + '/')).map((x) => x.slice(domain.length + 1));
}

/** Drops entries for blobs no longer in the store (called by gc). */
export async function pruneSources(imagesRoot: string, keep: (digest: string) => boolean): Promise<void> {
  const file = sourcesPath(imagesRoot);
  const prev = queues.get(file) ?? Promise.resolve();
  const run = prev.then(async () => {
    const f = await readJsonOr<SourcesFile | null>(file, null);
    if (!f) return;
    for (const d of Object.keys(f.blobs)) if (!keep(d)) delete f.blobs[d];
    await writeJsonAtomic(file, f, 0o600);
  });
  queues.set(file, run.catch(() => {}));
  await run;
}
