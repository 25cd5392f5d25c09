import { formatBytes } from '../ui/format';

/** A half-circle gauge of the image's efficiency (1 − wasted / total). */
export function EfficiencyGauge({ efficiency, wastedBytes, sizeBytes }: { efficiency: number; wastedBytes: number; sizeBytes: number }) {
  const r = 52;
  const len = Math.PI * r;
  const pct = Math.max(0, Math.min(1, efficiency));
  const colour = pct >= 0.95 ? '#10b981' : pct >= 0.8 ? '#f59e0b' : '#f43f5e';
  return (
    <div className="flex items-center gap-4" data-testid="efficiency-gauge" data-efficiency={efficiency}>
      <svg width="130" height="76" viewBox="0 0 130 76" role="img" aria-label={`Efficiency ${(pct * 100).toFixed(1)}%`}>
        <path d="M 13 66 A 52 52 0 0 1 117 66" fill="none" stroke="currentColor" strokeOpacity="0.15" strokeWidth="12" strokeLinecap="round" />
        <path d="M 13 66 A 52 52 0 0 1 117 66" fill="none" stroke={colour} strokeWidth="12" strokeLinecap="round" strokeDasharray={`${len * pct} ${len}`} />
        <text x="65" y="62" textAnchor="middle" className="fill-current text-lg font-semibold">
          {/* floor, so 99.98 % never reads as 100 % */}
          {(Math.floor(pct * 1000) / 10).toFixed(1)}%
        </text>
      </svg>
      <dl className="text-sm">
        <dt className="text-slate-500">Efficiency</dt>
        <dd className="font-medium">{(efficiency * 100).toFixed(2)}%</dd>
        <dt className="mt-1 text-slate-500">Wasted</dt>
        <dd className="font-medium" data-testid="wasted-bytes">
          {formatBytes(wastedBytes)} of {formatBytes(sizeBytes)}
        </dd>
      </dl>
    </div>
  );
}
