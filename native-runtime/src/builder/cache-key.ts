// Build cache keys. A step hits when its parent (image ID, or layer chain for a base without an ID)
// and its full resulting config match: Docker's classic builder compares the candidate's
// ContainerConfig (whose Cmd is the step's created_by Cmd, e.g. ["/bin/sh","-c","#(nop) ","ENV X=1"])
// and Config with the step's. COPY/ADD's Cmd already names the sources' content hash; it is also
// mixed in explicitly so a key never depends on how a caller formats the comment.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level; undefined members dropped; arrays keep their order. */
export function canonicalJSON(v: unknown): string {
  const parts: string[] = [];
  writeCanonical(v, (s) => parts.push(s));
  return parts.join('');
}

/** canonicalJSON's text, piece by piece. */
function writeCanonical(v: unknown, out: (s: string) => void): void {
  if (v === null || typeof v !== 'object') {
    if (v === undefined) return out('null');
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('canonicalJSON: non-finite number');
    if (typeof v === 'bigint') return out(v.toString());
    return out(JSON.stringify(v));
  }
  if (Array.isArray(v)) {
    out('[');
    v.forEach((x, i) => {
      if (i) out(',');
      writeCanonical(x === undefined ? null : x, out);
    });
    return out(']');
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  out('{');
  keys.forEach((k, i) => {
    out((i ? ',' : '') + JSON.stringify(k) + ':');
    writeCanonical(obj[k], out);
  });
  out('}');
}

/** Hashes text in chunks: a step's config grows with the steps before it, and one string of it per
 *  step is garbage in the large-object space that only a full GC frees (issue #16). */
function hashCanonical(v: unknown): string {
  const h = createHash('sha256');
  const parts: string[] = [];
  let chars = 0;
  writeCanonical(v, (s) => {
    parts.push(s);
    chars += s.length;
    if (chars >= 16384) {
      h.update(parts.join(''));
      parts.length = 0;
      chars = 0;
    }
  });
  h.update(parts.join(''));
  return h.digest('hex');
}

export interface StepConfig {
  /** The image config after the step (Env, Cmd, Entrypoint, WorkingDir, User, Labels, Shell, …). */
  config: unknown;
  /** The step's Cmd as recorded in history (the created_by array). */
  cmd: readonly string[];
  /** Anything else that changes the result: author, platform, RUN network mode, chown/chmod… */
  extra?: Record<string, unknown>;
}

const VERSION = 'berth-build-cache-v1';

/**
 * `sha256:<hex>` over the canonical JSON of {parent, step, sources}. `parent` is the parent image ID
 * or, for a base image without one, its layer chain ID; '' for FROM scratch.
 */
export function cacheKey(parent: string, step: StepConfig, sourcesHash?: string): string {
  const doc = {
    v: VERSION,
    parent,
    config: step.config,
    cmd: step.cmd,
    extra: step.extra ?? {},
    sources: sourcesHash ?? null,
  };
  return 'sha256:' + hashCanonical(doc);
}
