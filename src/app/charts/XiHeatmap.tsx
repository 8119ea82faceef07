import { memo, useMemo, useRef, useState } from 'react';
import type { XiCell } from '../../engine/experiment/results';
import { useShallow } from 'zustand/react/shallow';
import { fmtAlpha, pct } from '../format';
import { useLab, xiCellAvailable } from '../store';
import type { XiTerm } from '../urlState';
import { C, xiColour } from './colours';

const W = 470;
const H = 408;
const PLOT = { left: 58, top: 18, size: 330 };
const LEGEND = { left: 410, width: 14 };

interface Geometry {
  range: number;
  /** Half the finest cell side: the plot spans [−range − half, range + half]. */
  half: number;
  levels: number[];
}

/** Grid size n of a cell's pass: XiCell.level indexes config.disentangle.levels (results.ts). */
const gridSize = (g: Geometry, level: number) => g.levels[level] ?? g.levels[g.levels.length - 1];
const spacing = (g: Geometry, level: number) => (2 * g.range) / (gridSize(g, level) - 1);

/** The finest cell covering (ac, at), or null. */
function cellAt(cells: XiCell[], g: Geometry, ac: number, at: number): XiCell | null {
  let best: XiCell | null = null;
  for (const c of cells) {
    const d = spacing(g, c.level) / 2 + 1e-9;
    if (Math.abs(c.alphaC - ac) <= d && Math.abs(c.alphaT - at) <= d && (!best || gridSize(g, c.level) > gridSize(g, best.level))) best = c;
  }
  return best;
}

/** α* (ASR exactly 0) and TBAR's selected α (a rule, e.g. ASR ≤ 1%) can differ: say so, or a student sees two α for one model. */
function starVsSelected(star: number, selected: number | null): string {
  if (selected === null || Math.abs(star - selected) < 1e-9) return '';
  return `; the cleaned model uses α = ${fmtAlpha(selected)}, the sweep rule's choice`;
}

/**
 * The map's choices: ξ itself, or one term of eq. 2. All three share ξ's colour scale [0, 2], so the
 * two term maps add up, colour for colour, to the ξ map.
 */
const TERMS: { term: XiTerm; button: string; legend: string; explain: string }[] = [
  { term: 'xi', button: 'ξ', legend: 'ξ — bright = disentangled', explain: '' },
  {
    term: 'clean',
    button: 'clean images',
    legend: 'clean-image term of ξ',
    explain: 'On clean images: how often adding α_t·τ_t changes the prediction of θ_pre + α_c·τ̂_c (the trigger vector leaking into the task).',
  },
  {
    term: 'triggered',
    button: 'triggered images',
    legend: 'triggered-image term of ξ',
    explain: 'On triggered images: how often adding α_c·τ̂_c changes the prediction of θ_pre + α_t·τ_t. These are still images of the task, so it also counts what fine-tuning changes on them (θ_pre’s zero-shot → fine-tuned gap).',
  },
];

/** The SVG cells, coarse first so finer ones paint over them. */
const Cells = memo(function Cells({ cells, g, term }: { cells: XiCell[]; g: Geometry; term: XiTerm }) {
  const span = 2 * (g.range + g.half);
  const k = PLOT.size / span;
  const sorted = [...cells].sort((a, b) => gridSize(g, a.level) - gridSize(g, b.level));
  return (
    <g clipPath="url(#xi-clip)" shapeRendering="crispEdges">
      {sorted.map((c) => {
        const d = spacing(g, c.level);
        const x = PLOT.left + (c.alphaC - d / 2 + g.range + g.half) * k;
        const y = PLOT.top + (g.range + g.half - (c.alphaT + d / 2)) * k;
        return <rect key={`${c.level}:${c.alphaC}:${c.alphaT}`} x={x} y={y} width={d * k + 0.5} height={d * k + 0.5} fill={xiColour(c[term])} />;
      })}
    </g>
  );
});

/**
 * The weight-disentanglement error ξ(α_c, α_t) of eq. 2 over [−range, range]², filling in coarse to
 * fine as the worker streams cells. Bright = low error (the two tasks do not interfere), as in the
 * paper's Figure 2.
 */
export function XiHeatmap() {
  const { cells, range, levels, alphaStar, selected, term, pinned } = useLab(
    useShallow((s) => ({
      term: s.xiTerm,
      pinned: s.xiCell,
      cells: s.current.xiCells,
      range: s.current.disentangle?.range ?? s.current.config.disentangle.range,
      levels: s.current.config.disentangle.levels,
      alphaStar: s.current.disentangle?.alphaStar ?? null,
      selected: s.current.sweep?.alpha ?? null,
    })),
  );
  const finest = Math.max(...levels);
  const g: Geometry = useMemo(() => ({ range, half: range / (finest - 1), levels }), [range, finest, levels]);
  const unique = useMemo(() => new Set(cells.map((c) => `${c.alphaC},${c.alphaT}`)).size, [cells]);
  const [hover, setHover] = useState<{ cell: XiCell; x: number; y: number } | null>(null);
  const setTerm = useLab((s) => s.setXiTerm);
  const inspect = useLab((s) => s.inspectXiCell);
  const inspectable = useLab(xiCellAvailable);
  const shown = TERMS.find((t) => t.term === term) ?? TERMS[0];
  const svgRef = useRef<SVGSVGElement>(null);

  const span = 2 * (g.range + g.half);
  const k = PLOT.size / span;
  const px = (a: number) => PLOT.left + (a + g.range + g.half) * k;
  const py = (a: number) => PLOT.top + (g.range + g.half - a) * k;
  const ticks = useMemo(() => {
    const step = g.range >= 2 ? 1 : g.range >= 1 ? 0.5 : g.range / 2;
    const out: number[] = [];
    for (let v = -Math.floor(g.range / step) * step; v <= g.range + 1e-9; v += step) out.push(+v.toFixed(6));
    return out;
  }, [g.range]);

  /** The cell under the pointer, and where the pointer is in the wrapper (px). */
  const pointed = (e: React.MouseEvent<SVGSVGElement>) => {
    const svg = svgRef.current;
    if (!svg) return null;
    const r = svg.getBoundingClientRect();
    const sx = ((e.clientX - r.left) / r.width) * W;
    const sy = ((e.clientY - r.top) / r.height) * H;
    const ac = (sx - PLOT.left) / k - g.range - g.half;
    const at = g.range + g.half - (sy - PLOT.top) / k;
    const cell = Math.abs(ac) <= g.range + g.half && Math.abs(at) <= g.range + g.half ? cellAt(cells, g, ac, at) : null;
    return cell ? { cell, x: e.clientX - r.left, y: e.clientY - r.top } : null;
  };
  const onMove = (e: React.MouseEvent<SVGSVGElement>) => setHover(pointed(e));
  const onClick = (e: React.MouseEvent<SVGSVGElement>) => {
    const p = pointed(e);
    if (p) inspect({ alphaC: p.cell.alphaC, alphaT: p.cell.alphaT });
  };
  /** Arrow keys move the inspected cell over the finest grid (Escape closes the inspector). */
  const onKey = (e: React.KeyboardEvent<SVGSVGElement>) => {
    if (e.key === 'Escape' && pinned) return inspect(null);
    const move = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
    if (!move || cells.length === 0) return;
    e.preventDefault();
    const step = 2 * g.half;
    const from = pinned ?? { alphaC: 0, alphaT: 0 };
    const clamp = (v: number) => Math.max(-g.range, Math.min(g.range, +v.toFixed(6)));
    const cell = cellAt(cells, g, clamp(from.alphaC + move[0] * step), clamp(from.alphaT + move[1] * step));
    if (cell) inspect({ alphaC: cell.alphaC, alphaT: cell.alphaT });
  };
  const pinnedCell = pinned && cells.length ? cellAt(cells, g, pinned.alphaC, pinned.alphaT) : null;

  const markers = [
    { ac: 0, at: 0, label: 'θ_pre' },
    { ac: 1, at: 0, label: 'θ̂_c' },
    { ac: 1, at: 1, label: 'θ_b' },
  ].filter((m) => Math.abs(m.ac) <= g.range && Math.abs(m.at) <= g.range);

  return (
    <div className="xi-wrap" data-testid="xi-heatmap" data-cells={unique} data-total={finest * finest} data-term={term}>
      <div className="seg xi-terms" role="group" aria-label="What the map shows">
        {TERMS.map((t) => (
          <button key={t.term} type="button" className="seg-btn" aria-pressed={term === t.term} onClick={() => setTerm(t.term)} data-testid={`xi-term-${t.term}`}>
            {t.button}
          </button>
        ))}
      </div>
      <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className={`xi-svg${cells.length ? ' is-clickable' : ''}`} role="img" tabIndex={cells.length ? 0 : -1}
        aria-label="Heatmap of the disentanglement error ξ over α_c and α_t; click a cell, or use the arrow keys, to see its images"
        onMouseMove={onMove} onMouseLeave={() => setHover(null)} onClick={onClick} onKeyDown={onKey} data-testid="xi-svg">
        <defs>
          <clipPath id="xi-clip">
            <rect x={PLOT.left} y={PLOT.top} width={PLOT.size} height={PLOT.size} />
          </clipPath>
          <linearGradient id="xi-legend" x1="0" y1="1" x2="0" y2="0">
            {Array.from({ length: 11 }, (_, i) => (
              <stop key={i} offset={`${i * 10}%`} stopColor={xiColour((i / 10) * 2)} />
            ))}
          </linearGradient>
        </defs>
        <rect x={PLOT.left} y={PLOT.top} width={PLOT.size} height={PLOT.size} fill="#f0f2f6" />
        {cells.length === 0 && (
          <text x={PLOT.left + PLOT.size / 2} y={PLOT.top + PLOT.size / 2} textAnchor="middle" fontSize={13} fill={C.muted}>
            The map fills in here, coarse to fine.
          </text>
        )}
        <Cells cells={cells} g={g} term={term} />
        <rect x={PLOT.left} y={PLOT.top} width={PLOT.size} height={PLOT.size} fill="none" stroke={C.muted} strokeWidth={1} />
        {ticks.map((t) => (
          <g key={t} fontSize={12} fill={C.muted}>
            <line x1={px(t)} x2={px(t)} y1={PLOT.top + PLOT.size} y2={PLOT.top + PLOT.size + 5} stroke={C.muted} />
            <text x={px(t)} y={PLOT.top + PLOT.size + 18} textAnchor="middle">{fmtAlpha(t)}</text>
            <line x1={PLOT.left - 5} x2={PLOT.left} y1={py(t)} y2={py(t)} stroke={C.muted} />
            <text x={PLOT.left - 8} y={py(t) + 4} textAnchor="end">{fmtAlpha(t)}</text>
          </g>
        ))}
        <text x={PLOT.left + PLOT.size / 2} y={H - 8} textAnchor="middle" fontSize={13} fill={C.ink} fontStyle="italic">
          α_c (clean vector τ̂_c)
        </text>
        <text transform={`translate(16 ${PLOT.top + PLOT.size / 2}) rotate(-90)`} textAnchor="middle" fontSize={13} fill={C.ink} fontStyle="italic">
          α_t (trigger vector α*·τ̂_t)
        </text>
        {cells.length > 0 && markers.map((m) => (
          <g key={m.label} pointerEvents="none">
            <circle cx={px(m.ac)} cy={py(m.at)} r={4} fill="#fff" stroke={C.ink} strokeWidth={1.5} />
            <text x={px(m.ac) + 7} y={py(m.at) - 6} fontSize={12} fill={C.ink} stroke="#fff" strokeWidth={3} paintOrder="stroke">{m.label}</text>
          </g>
        ))}
        {pinnedCell && (() => {
          const d = spacing(g, pinnedCell.level);
          return (
            <rect x={px(pinnedCell.alphaC - d / 2)} y={py(pinnedCell.alphaT + d / 2)} width={d * k} height={d * k} fill="none"
              stroke={C.ink} strokeWidth={2.5} pointerEvents="none" data-testid="xi-pinned" />
          );
        })()}
        <rect x={LEGEND.left} y={PLOT.top} width={LEGEND.width} height={PLOT.size} fill="url(#xi-legend)" stroke={C.muted} strokeWidth={0.5} />
        {[0, 0.5, 1, 1.5, 2].map((v) => (
          <text key={v} x={LEGEND.left + LEGEND.width + 5} y={PLOT.top + PLOT.size - (v / 2) * PLOT.size + 4} fontSize={11} fill={C.muted}>
            {v}
          </text>
        ))}
        <text transform={`translate(${LEGEND.left - 6} ${PLOT.top + PLOT.size / 2}) rotate(-90)`} textAnchor="middle" fontSize={12} fill={C.ink}>
          {shown.legend}
        </text>
      </svg>
      {hover && (
        <div className="xi-tip" style={{ left: hover.x + 14, top: hover.y + 10 }} data-testid="xi-tooltip">
          <div>
            α_c = {fmtAlpha(hover.cell.alphaC)}, α_t = {fmtAlpha(hover.cell.alphaT)}
          </div>
          <div className="xi-tip-main">ξ = {hover.cell.xi.toFixed(3)}</div>
          <div className="muted">
            clean {pct(hover.cell.clean)} + triggered {pct(hover.cell.triggered)} disagree
          </div>
          <div className="muted">{gridSize(g, hover.cell.level)}×{gridSize(g, hover.cell.level)} grid{inspectable ? ' · click for its images' : ''}</div>
        </div>
      )}
      {shown.explain && <p className="xi-caption" data-testid="xi-term-explain">{shown.explain}</p>}
      <p className="xi-caption">
        {alphaStar !== null ? <>α* = {fmtAlpha(alphaStar)}: the smallest α with validation ASR = 0 (§5.1){starVsSelected(alphaStar, selected)}. </> : null}
        {unique} of {finest * finest} cells
      </p>
    </div>
  );
}
