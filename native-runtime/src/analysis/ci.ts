// dive's CI rules over an analysis: lowest efficiency, highest wasted bytes, highest user-wasted ratio.
// A rule that is not given is skipped. A breach fails the gate.
import type { ImageAnalysis } from './types.js';

export interface CiRules {
  lowestEfficiency?: number;
  highestWastedBytes?: number;
  highestUserWastedPercent?: number;
}

export interface CiRuleResult {
  rule: 'lowestEfficiency' | 'highestWastedBytes' | 'highestUserWastedPercent';
  status: 'pass' | 'fail' | 'skip';
  message: string;
}

export interface CiResult {
  pass: boolean;
  results: CiRuleResult[];
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "20MB" = 20,000,000; "20MiB" = 20 × 2^20; "1.5GB"; a bare number is bytes (go-humanize's ParseBytes). */
export function parseByteSize(s: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(s);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`invalid size ${JSON.stringify(s)} (examples: 20MB, 512KiB, 1048576)`);
  return Math.round(Number(m[1]) * unit);
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export function evaluateCi(a: ImageAnalysis, rules: CiRules): CiResult {
  const results: CiRuleResult[] = [];
  const rule = (name: CiRuleResult['rule'], limit: number | undefined, failed: (l: number) => boolean, msg: (l: number) => string): void => {
    if (limit === undefined) results.push({ rule: name, status: 'skip', message: 'rule not set' });
    else results.push({ rule: name, status: failed(limit) ? 'fail' : 'pass', message: msg(limit) });
  };
  rule('lowestEfficiency', rules.lowestEfficiency, (l) => a.efficiency < l, (l) => `efficiency ${pct(a.efficiency)} (lowest allowed ${pct(l)})`);
  rule('highestWastedBytes', rules.highestWastedBytes, (l) => a.wastedBytes > l, (l) => `wasted ${a.wastedBytes} bytes (highest allowed ${l})`);
  rule(
    'highestUserWastedPercent',
    rules.highestUserWastedPercent,
    (l) => a.userWastedPercent > l,
    (l) => `user wasted ${pct(a.userWastedPercent)} of the image (highest allowed ${pct(l)})`,
  );
  return { pass: results.every((r) => r.status !== 'fail'), results };
}
