/** A tiny inline SVG line of the last values; cheap enough for one per table row. */
export function Sparkline({ values, max, color = '#0284c7', label }: { values: number[]; max?: number; color?: string; label: string }) {
  const w = 80;
  const h = 22;
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const pts = values.map((v, i) => `${values.length === 1 ? w : (i / (values.length - 1)) * w},${h - 1 - (v / top) * (h - 2)}`).join(' ');
  return (
    <svg width={w} height={h} role="img" aria-label={label} data-points={values.length} className="overflow-visible">
      <polyline points={pts} fill="none" stroke={color} strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
