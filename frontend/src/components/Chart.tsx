// A tiny SVG line chart: one or two series over the same x axis, each scaled to its own maximum.

export interface Series { label: string; color: string; values: (number | null)[]; format: (v: number) => string }

export function LineChart({ series, labels, height = 140 }: { series: Series[]; labels: string[]; height?: number }) {
  const width = 600;
  const pad = 28;
  const n = Math.max(2, labels.length);
  const x = (i: number) => pad + (i * (width - 2 * pad)) / (n - 1);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={series.map((s) => s.label).join(", ")}>
        <line x1={pad} y1={pad} x2={width - pad} y2={pad} class="axis" stroke-dasharray="2 4" />
        <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} class="axis" />
        {series.map((s, index) => {
          const max = Math.max(1e-9, ...s.values.filter((v): v is number => v !== null));
          const y = (v: number) => height - pad - (v / max) * (height - 2 * pad);
          const pts = s.values.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean).join(" ");
          return (
            <g key={s.label}>
              <polyline points={pts} fill="none" stroke={s.color} stroke-width={2} />
              {/* one series' maximum at the left, the other's at the right: the labels never overlap */}
              <text x={index % 2 ? width - pad : pad} y={12} text-anchor={index % 2 ? "end" : "start"}
                class="chart-max">{s.label} max {s.format(max)}</text>
            </g>
          );
        })}
        {labels.length > 0 && <text x={pad} y={height - 8} class="chart-label">{labels[0]}</text>}
        {labels.length > 1 && <text x={width - pad} y={height - 8} text-anchor="end" class="chart-label">{labels[labels.length - 1]}</text>}
      </svg>
      <figcaption class="small">
        {series.map((s) => <span key={s.label}><i style={{ background: s.color }} />{s.label}</span>)}
      </figcaption>
    </figure>
  );
}
