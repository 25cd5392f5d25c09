// Go's time.RFC3339Nano formatting (trailing zeros of the fraction trimmed), which Docker uses everywhere.
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function rfc3339Nano(d: Date = new Date()): string {
  const iso = d.toISOString(); // always .mmmZ
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** Unix seconds of an RFC 3339 string; Go's zero time when absent or unparsable. */
export function unixSeconds(s: string | undefined): number {
  if (!s) return -62135596800;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? -62135596800 : Math.floor(ms / 1000);
}
