/**
 * A chart legend: one small SVG per item (a line sample — solid, dashed or dotted, with an optional
 * marker — and its label), laid out as wrapping HTML. SVG so that PNG exports include it.
 */
export interface LegendItem {
  label: string;
  colour: string;
  dash?: string;
  width?: number;
  marker?: 'dot' | 'ring';
}

/** Average glyph width as a share of the font size. */
const CHAR = 0.62;

export function SvgLegend({ items, testId, fontSize = 12 }: { items: LegendItem[]; testId?: string; fontSize?: number }) {
  const h = Math.round(fontSize * 1.6);
  const y = h / 2;
  return (
    <ul className="svg-legend" aria-label="Legend" data-testid={testId}>
      {items.map((it) => {
        const w = Math.ceil(30 + it.label.length * CHAR * fontSize);
        return (
          <li key={it.label}>
            <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-label={it.label}>
              <line x1={0} x2={24} y1={y} y2={y} stroke={it.colour} strokeWidth={it.width ?? 2.4} strokeDasharray={it.dash} />
              {it.marker === 'dot' && <circle cx={12} cy={y} r={3.2} fill={it.colour} />}
              {it.marker === 'ring' && <circle cx={12} cy={y} r={3.4} fill="#fff" stroke={it.colour} strokeWidth={1.8} />}
              <text x={30} y={y + fontSize * 0.36} fontSize={fontSize} fill="#3b4457">
                {it.label}
              </text>
            </svg>
          </li>
        );
      })}
    </ul>
  );
}
