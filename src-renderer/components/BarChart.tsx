/** A round top for the axis (1, 2, 4, 5, 6, 8 × 10^k), even so that the middle tick is whole. */
function niceMax(v: number): number {
  if (v <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 5, 6, 8, 10]) if (m * p >= v && (m * p) % 2 === 0) return m * p;
  return 10 * p;
}

export interface BarSeries {
  key: string;
  label: string;
  /** CSS color. */
  color: string;
}

/**
 * A small stacked bar chart in SVG (one bar per point, e.g. per minute), with a
 * legend, the top value and the first/last labels. Each bar has a tooltip.
 */
export function BarChart({
  points,
  series,
  height = 140,
  label,
}: {
  points: { label: string; values: Record<string, number> }[];
  series: BarSeries[];
  height?: number;
  label: string;
}) {
  const width = 720;
  const pad = { top: 10, right: 8, bottom: 20, left: 40 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const totals = points.map((p) => series.reduce((s, x) => s + (p.values[x.key] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const empty = totals.every((t) => t === 0);
  const step = innerW / Math.max(1, points.length);
  const barW = Math.max(1, step * 0.72);
  const fmt = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n.toLocaleString('en-US'));
  return (
    <figure className="bar-chart" aria-label={label}>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={label}>
        <line x1={pad.left} x2={width - pad.right} y1={pad.top + innerH} y2={pad.top + innerH} className="axis" />
        <line x1={pad.left} x2={width - pad.right} y1={pad.top} y2={pad.top} className="grid" />
        <line x1={pad.left} x2={width - pad.right} y1={pad.top + innerH / 2} y2={pad.top + innerH / 2} className="grid" />
        <text x={pad.left - 6} y={pad.top + 4} className="tick" textAnchor="end">
          {fmt(max)}
        </text>
        <text x={pad.left - 6} y={pad.top + innerH / 2 + 4} className="tick" textAnchor="end">
          {fmt(Math.round(max / 2))}
        </text>
        <text x={pad.left - 6} y={pad.top + innerH + 4} className="tick" textAnchor="end">
          0
        </text>
        {points.map((p, i) => {
          let y = pad.top + innerH;
          const x = pad.left + i * step + (step - barW) / 2;
          const tip = `${p.label}\n${series.map((s) => `${s.label}: ${(p.values[s.key] ?? 0).toLocaleString('en-US')}`).join('\n')}`;
          return (
            <g key={i}>
              <title>{tip}</title>
              <rect x={pad.left + i * step} y={pad.top} width={step} height={innerH} fill="transparent" />
              {series.map((s) => {
                const v = p.values[s.key] ?? 0;
                if (v <= 0) return null;
                const h = Math.max(1, (v / max) * innerH);
                y -= h;
                return <rect key={s.key} x={x} y={y} width={barW} height={h} fill={s.color} rx={Math.min(2, barW / 3)} />;
              })}
            </g>
          );
        })}
        {points.length > 0 && (
          <>
            <text x={pad.left} y={height - 4} className="tick">
              {points[0].label}
            </text>
            <text x={width - pad.right} y={height - 4} className="tick" textAnchor="end">
              {points[points.length - 1].label}
            </text>
          </>
        )}
      </svg>
      {empty && <div className="chart-empty">No events in this period</div>}
      <figcaption className="chart-legend">
        {series.map((s) => (
          <span key={s.key}>
            <i style={{ background: s.color }} />
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
