// Docker's time arguments for since/until: unix seconds ("1700000000", "1700000000.5", 1.7e9),
// RFC 3339, or a duration back from now ("10m", "1h30m").
import { badParameter } from '../errors.js';

/** Nanoseconds since the epoch, or undefined when the value is absent or empty. */
export function parseTimeArg(v: number | string | undefined | null, now = Date.now()): bigint | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number') return BigInt(Math.round(v * 1e9));
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const [sec, frac = ''] = s.split('.');
    return BigInt(sec!) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  }
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (dur && s) {
    const ms = (Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0)) * 1000;
    return BigInt(Math.round(now - ms)) * 1_000_000n;
  }
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw badParameter(`failed to parse value as time or duration: "${s}"`);
  return BigInt(t) * 1_000_000n;
}
