// Build cache keys. A step hits when its parent (image ID, or layer chain for a base without an ID)
// and its full resulting config match: Docker's classic builder compares the candidate's
// ContainerConfig (whose Cmd is the step's created_by Cmd, e.g. ["/bin/sh","-c","#(nop) ","ENV X=1"])
// and Config with the step's. COPY/ADD's Cmd already names the sources' content hash; it is also
// mixed in explicitly so a key never depends on how a caller formats the comment.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level; undefined members dropped; arrays keep their order. */
export function canonicalJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (v === undefined) return 'null';
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('canonicalJSON: non-finite number');
    if (typeof v === 'bigint') return v.toString();
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return '[' + v.map((x) => canonicalJSON(x === undefined ? null : x)).join(',') + ']';
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJSON(obj[k])).join(',') + '}';
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
  return 'sha256:' + createHash('sha256').update(canonicalJSON(doc)).digest('hex');
}
