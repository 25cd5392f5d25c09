// The devices a container may open: Docker's default allow list (runc's AllowedDevices, the same rules
// runc wrote for the reference container). v1 writes them to devices.allow; v2 has no such file, so they
// become a BPF device filter (native/addon/device_filter.cc), as runc does.

/** In devices.allow syntax: type (a, b, c), major:minor (* for any), access (r, w, m). */
export const DEFAULT_DEVICE_ALLOW = [
  'b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 10:200 rwm', 'c 136:* rwm',
] as const;

const RULE = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/;

/** devices.allow rules as the addon's flat [type, major, minor, access] list. */
export function deviceFilterRules(rules: readonly string[]): number[] {
  const out: number[] = [];
  for (const r of rules) {
    const m = RULE.exec(r);
    if (!m) throw new Error(`bad device rule "${r}"`);
    const [, type, major, minor, access] = m;
    const bits = (access!.includes('m') ? 1 : 0) | (access!.includes('r') ? 2 : 0) | (access!.includes('w') ? 4 : 0);
    out.push(type === 'a' ? 0 : type === 'b' ? 1 : 2, major === '*' ? -1 : Number(major), minor === '*' ? -1 : Number(minor), bits);
  }
  return out;
}
