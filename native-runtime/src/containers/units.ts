// Small parsers with Docker's semantics: sizes ("10m" = 10 MiB, as go-units RAMInBytes), signals.
import os from 'node:os';
import { badParameter } from '../errors.js';

/** go-units RAMInBytes: binary multiples, optional "b"/"ib" suffix. */
export function parseRamSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(s.trim());
  if (!m) throw badParameter(`invalid size: '${s}'`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/** A signal as a number: 9, "9", "KILL", "SIGKILL", "sigkill". */
export function parseSignal(sig: string | number | undefined, fallback: number): number {
  if (sig === undefined || sig === '' || sig === null) return fallback;
  if (typeof sig === 'number') {
    if (!Number.isInteger(sig) || sig <= 0 || sig > 64) throw badParameter(`Invalid signal: ${sig}`);
    return sig;
  }
  if (/^\d+$/.test(sig)) return parseSignal(Number(sig), fallback);
  const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const n = (os.constants.signals as Record<string, number>)[name];
  if (n === undefined) throw badParameter(`Invalid signal: ${sig}`);
  return n;
}
