// Is there a newer image? For each image tag that came from a registry, compare the repository digest
// Berth recorded when it pulled (RepoDigests) with what the registry serves now, asked with the Engine's
// distribution() (a manifest HEAD through the pull's auth, mirrors, allow-list and offline rules). Answers
// are cached, a registry that failed is left alone for a growing while, and every question has a time limit.
import type { Engine, ImageSummary } from '@berth/runtime/engine';
import type { AuthConfig } from '@berth/runtime/engine';

export type CheckResult =
  | { ref: string; imageId: string; status: 'up-to-date'; digest: string; checkedAt: number }
  | {
      ref: string;
      imageId: string;
      status: 'update-available';
      digest: string;
      localDigests: string[];
      size: number;
      mediaType: string;
      /** When the new image was built (its config's `created`); null when the engine or registry cannot tell. */
      created: string | null;
      checkedAt: number;
    }
  | { ref: string; imageId: string; status: 'unknown'; reason: string; checkedAt: number };

export interface CheckerOptions {
  /** How long a registry answer is reused (default 10 min). */
  ttlMs?: number;
  /** Per reference (default 10 s). */
  timeoutMs?: number;
  /** First wait after a registry failed; doubles up to maxBackoffMs (defaults 30 s, 30 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** The stored registry login for a reference, if any. */
  authFor?: (ref: string) => Promise<AuthConfig | undefined>;
  now?: () => number;
}

/** `127.0.0.1:5000/app:v1` → repository `127.0.0.1:5000/app`, registry `127.0.0.1:5000` (docker.io when none). */
export function splitRef(ref: string): { repo: string; registry: string } {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const repo = colon > slash ? noDigest.slice(0, colon) : noDigest;
  const first = repo.split('/')[0]!;
  const registry = repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
  return { repo, registry };
}

/** The digests this image was pulled as, for this repository (`repo@sha256:…` entries). */
export function localDigests(image: Pick<ImageSummary, 'RepoDigests'>, repo: string): string[] {
  const bare = (r: string) => r.replace(/^docker\.io\/(library\/)?/, '');
  return (image.RepoDigests ?? []).filter((d) => bare(d.split('@')[0]!) === bare(repo)).map((d) => d.split('@')[1]!);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)}s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class UpdateChecker {
  private readonly cache = new Map<string, CheckResult>();
  private readonly failures = new Map<string, { until: number; wait: number; reason: string }>();
  private readonly opts: Required<Omit<CheckerOptions, 'authFor'>> & Pick<CheckerOptions, 'authFor'>;

  constructor(opts: CheckerOptions = {}) {
    this.opts = { ttlMs: 600_000, timeoutMs: 10_000, backoffMs: 30_000, maxBackoffMs: 1_800_000, now: Date.now, ...opts };
  }

  /** Forgets every cached answer (the backoff stays). */
  clear(): void {
    this.cache.clear();
  }

  /** The last answer for a reference on an endpoint, without asking. */
  cached(endpoint: string, ref: string): CheckResult | undefined {
    return this.cache.get(`${endpoint}|${ref}`);
  }

  /** Every tagged image of the engine (or only `refs`); `force` skips the cache (not the backoff). */
  async checkAll(engine: Engine, endpoint: string, opts: { force?: boolean; refs?: string[] } = {}): Promise<CheckResult[]> {
    const images = await engine.listImages({});
    const jobs: { ref: string; image: ImageSummary }[] = [];
    for (const image of images) {
      for (const ref of image.RepoTags ?? []) {
        if (ref === '<none>:<none>' || (opts.refs && !opts.refs.includes(ref))) continue;
        jobs.push({ ref, image });
      }
    }
    // A few at a time: one slow registry must not hold up the others.
    const out: CheckResult[] = [];
    for (let i = 0; i < jobs.length; i += 4) {
      out.push(...(await Promise.all(jobs.slice(i, i + 4).map((j) => this.checkOne(engine, endpoint, j.ref, j.image, opts.force ?? false)))));
    }
    return out;
  }

  async checkOne(engine: Engine, endpoint: string, ref: string, image: Pick<ImageSummary, 'Id' | 'RepoDigests'>, force = false): Promise<CheckResult> {
    const key = `${endpoint}|${ref}`;
    const now = this.opts.now();
    const hit = this.cache.get(key);
    if (!force && hit && hit.imageId === image.Id && now - hit.checkedAt < this.opts.ttlMs) return hit;
    const { repo, registry } = splitRef(ref);
    const base = { ref, imageId: image.Id, checkedAt: now };
    const mine = localDigests(image, repo);
    if (!mine.length) return this.remember(key, { ...base, status: 'unknown', reason: 'no registry digest: the image was built or loaded here, not pulled' });
    const failKey = `${endpoint}|${registry}`;
    const failed = this.failures.get(failKey);
    if (failed && now < failed.until) {
      return { ...base, status: 'unknown', reason: `${failed.reason} (registry ${registry} is retried after ${new Date(failed.until).toISOString()})` };
    }
    try {
      const authconfig = await this.opts.authFor?.(ref);
      const d = await withTimeout(engine.getImage(ref).distribution(authconfig ? { authconfig } : {}), this.opts.timeoutMs, `registry ${registry}`);
      this.failures.delete(failKey);
      const digest = d.Descriptor.digest;
      if (mine.includes(digest)) return this.remember(key, { ...base, status: 'up-to-date', digest });
      // Only for an update (a HEAD cannot tell; this reads the manifest and the small config blob), and never
      // at the cost of the answer: a failure here leaves `created` null.
      const handle = engine.getImage(ref);
      const created = handle.created
        ? await withTimeout(handle.created(digest, authconfig ? { authconfig } : {}), this.opts.timeoutMs, `registry ${registry}`).catch(() => null)
        : null;
      return this.remember(key, { ...base, status: 'update-available', digest, localDigests: mine, size: d.Descriptor.size, mediaType: d.Descriptor.mediaType, created });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const wait = Math.min(this.opts.maxBackoffMs, failed ? failed.wait * 2 : this.opts.backoffMs);
      this.failures.set(failKey, { until: this.opts.now() + wait, wait, reason });
      return this.remember(key, { ...base, status: 'unknown', reason });
    }
  }

  private remember(key: string, r: CheckResult): CheckResult {
    this.cache.set(key, r);
    return r;
  }
}
