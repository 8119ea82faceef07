/**
 * A chart legend drawn as SVG (so PNG exports include it), one row of items: a line sample (solid,
 * dashed or dotted, optionally with a marker) and a label.
 */
export interface LegendItem {
  label: string;
  colour: string;
  dash?: string;
  width?: number;
  marker?: 'dot' | 'ring';
}

const CHAR = 6.6; // average glyph width at 12 px

export function SvgLegend({ items, testId }: { items: LegendItem[]; testId?: string }) {
  let x = 4;
  const placed = items.map((it) => {
    const at = x;
    x += 30 + it.label.length * CHAR + 18;
    return { ...it, at };
  });
  return (
    <svg className="svg-legend" width={x} height={20} viewBox={`0 0 ${x} 20`} role="list" aria-label="Legend" data-testid={testId}>
      {placed.map((it) => (
        <g key={it.label} role="listitem" transform={`translate(${it.at} 0)`}>
          <line x1={0} x2={24} y1={10} y2={10} stroke={it.colour} strokeWidth={it.width ?? 2.4} strokeDasharray={it.dash} />
          {it.marker === 'dot' && <circle cx={12} cy={10} r={3.2} fill={it.colour} />}
          {it.marker === 'ring' && <circle cx={12} cy={10} r={3.4} fill="#fff" stroke={it.colour} strokeWidth={1.8} />}
          <text x={30} y={14} fontSize={12} fill="#3b4457">
            {it.label}
          </text>
        </g>
      ))}
    </svg>
  );
}
