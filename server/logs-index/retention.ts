// Retention: `age=7d,size=256m,removed=keep` globally ($BERTH_LOGS_RETENTION) and per container (label
// berth.logs.retention, keys it names override the global ones). `none` keeps nothing: the container is not
// indexed and its lines go with `docker rm`.
import { z } from 'zod';

export const RETENTION_LABEL = 'berth.logs.retention';
export const DEFAULT_RETENTION = 'age=7d,size=256m,removed=keep';

export interface Retention {
  /** Milliseconds; 0 = no age limit. */
  ageMs: number;
  /** Bytes of line text per container; 0 = no size limit. */
  sizeBytes: number;
  /** Keep the lines (and the container's name, image, labels, stack) after `docker rm`. */
  keepRemoved: boolean;
  /** `none`: not indexed at all. */
  off: boolean;
}

const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
const UNIT_B: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

const partial = z.object({
  ageMs: z.number().optional(),
  sizeBytes: z.number().optional(),
  keepRemoved: z.boolean().optional(),
  off: z.boolean().optional(),
});
type Partial = z.infer<typeof partial>;

/** Parses a retention spec; errors name the bad part. */
export function parseRetention(spec: string): { ok: true; value: Partial } | { ok: false; error: string } {
  const s = spec.trim().toLowerCase();
  if (s === 'none') return { ok: true, value: { off: true, keepRemoved: false } };
  const out: Partial = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(age|size|removed)=(.+)$/.exec(part);
    if (!m) return { ok: false, error: `unknown retention part "${part}" (want age=7d, size=100m, removed=keep|drop or none)` };
    // Both groups always match; the defaults only satisfy the index type.
    const [, key = '', v = ''] = m;
    if (key === 'age') {
      const a = /^(\d+)([smhdw])$/.exec(v);
      if (!a && v !== '0') return { ok: false, error: `bad age "${v}" (e.g. 36h, 7d)` };
      out.ageMs = a ? Number(a[1]) * UNIT_MS[a[2]!]! : 0;
    } else if (key === 'size') {
      const b = /^(\d+)([kmg]?b?|b)$/.exec(v);
      if (!b) return { ok: false, error: `bad size "${v}" (e.g. 500k, 100m, 2g)` };
      out.sizeBytes = Number(b[1]) * (UNIT_B[b[2]!.replace(/b$/, '')] ?? 1);
    } else {
      if (v !== 'keep' && v !== 'drop') return { ok: false, error: `bad removed "${v}" (keep or drop)` };
      out.keepRemoved = v === 'keep';
    }
  }
  return { ok: true, value: out };
}

/** Global spec, then the container's label; a bad label falls back to the global value (and is reported by the caller). */
export function effectiveRetention(globalSpec: string, label: string | undefined): Retention {
  const g = parseRetention(globalSpec);
  const base: Retention = { ageMs: 7 * 86400e3, sizeBytes: 256 * 1024 ** 2, keepRemoved: true, off: false };
  if (g.ok) Object.assign(base, stripUndefined(g.value));
  if (label !== undefined) {
    const l = parseRetention(label);
    if (l.ok) Object.assign(base, stripUndefined(l.value));
  }
  return base;
}

function stripUndefined(p: Partial): Partial {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Partial;
}
