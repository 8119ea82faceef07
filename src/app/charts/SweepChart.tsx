import { useMemo } from 'react';
import { CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { accuracyOver } from '../../engine/eval/byClass';
import { fmtAlpha, pct } from '../format';
import { classNames, shownAlpha } from '../selectors';
import { useLab } from '../store';
import { C } from './colours';
import { SvgLegend, type LegendItem } from './Legend';
import { useChartFont } from './useChartFont';

/**
 * A label above a vertical reference line, kept inside the chart: anchored at its end near the right
 * edge and at its start near the left one (a centred "selected α = 3" at α = 3 would be cut off).
 */
function edgeLabel(value: string, at: number, domain: [number, number], style: { fontSize: number; fill: string; fontWeight?: number }) {
  const f = domain[1] > domain[0] ? (at - domain[0]) / (domain[1] - domain[0]) : 0.5;
  const anchor = f > 0.8 ? 'end' : f < 0.2 ? 'start' : 'middle';
  const dx = anchor === 'end' ? -4 : anchor === 'start' ? 4 : 0;
  return (props: { viewBox?: { x?: number; y?: number } }) => (
    <text x={(props.viewBox?.x ?? 0) + dx} y={(props.viewBox?.y ?? 0) - 7} textAnchor={anchor} {...style}>
      {value}
    </text>
  );
}

/**
 * CA and ASR of θ̂_c(α) = θ_b − α·τ̂_t against α (eq. 5) on the validation split, points appearing as
 * the sweep streams them. Vertical lines: the selected α (and the α the scrubber shows); horizontal:
 * the backdoored and zero-shot CA. TBAR+DECREE (§6) adds the proxy ASR — the inverted stamp's, which
 * the attack-agnostic rule reads — dotted beside the true ASR the defence could not measure. A thin
 * dash-dot line is the target class's own clean accuracy (from the points' per-class counts): with
 * every forget image labelled with the target, subtracting τ̂_t can take that class down first.
 */
export function SweepChart({ height = 280 }: { height?: number }) {
  const { points, sweep, alphas, backdooredCa, zeroShotCa, shown, target, targetName } = useLab(
    useShallow((s) => ({
      points: s.current.sweepPoints,
      sweep: s.current.sweep,
      alphas: s.current.sweep ? s.current.config.sweep.alphas : s.config.sweep.alphas,
      backdooredCa: s.current.sweep?.backdoored.ca ?? s.current.attack?.test.ca ?? null,
      zeroShotCa: s.current.zeroShot?.test.ca ?? null,
      shown: shownAlpha(s),
      target: s.current.config.attack.target,
      targetName: classNames(s)?.[s.current.config.attack.target] ?? null,
    })),
  );
  const data = useMemo(
    () =>
      [...points]
        .sort((a, b) => a.alpha - b.alpha)
        .map((p) => {
          const t = p.byClass ? accuracyOver(p.byClass, (k) => k === target) : null; // null: no image of the target class
          return { alpha: p.alpha, ca: p.val.ca * 100, asr: p.val.asr * 100, ...(p.proxyAsr !== undefined && { proxy: p.proxyAsr * 100 }), ...(t !== null && { targetCa: t * 100 }) };
        }),
    [points, target],
  );
  const hasProxy = points.some((p) => p.proxyAsr !== undefined);
  const hasTarget = data.some((d) => d.targetCa !== undefined);
  const targetLabel = `CA on “${targetName ?? `class ${target}`}”, the target class`;
  const fs = useChartFont();
  const selected = sweep?.alpha ?? null;
  const domain: [number, number] = [alphas[0] ?? 0, alphas[alphas.length - 1] ?? 1];
  // The scrubber's α: its own line; when it is close to the selected α, one label names both (two would overlap).
  const viewing = shown !== null && selected !== null && Math.abs(shown - selected) > 1e-9;
  const viewingNear = viewing && Math.abs(shown! - selected!) < 0.3 * (domain[1] - domain[0]);
  const ticks = useMemo(() => Array.from({ length: 6 }, (_, i) => +(domain[0] + ((domain[1] - domain[0]) * i) / 5).toFixed(3)), [domain[0], domain[1]]);
  const legend: LegendItem[] = [
    { label: 'CA (clean accuracy)', colour: C.ca, marker: 'dot' },
    { label: hasProxy ? 'ASR of the real trigger' : 'ASR (attack success)', colour: C.asr, dash: '7 4', marker: 'ring' },
  ];
  if (hasProxy) legend.push({ label: 'proxy ASR (DECREE stamp, picks α)', colour: C.proxy, dash: '2 3', marker: 'dot' });
  if (hasTarget) legend.push({ label: targetLabel, colour: C.caTarget, dash: '6 2 1 2', width: 1.8 });
  if (backdooredCa !== null) legend.push({ label: `backdoored CA ${pct(backdooredCa)}`, colour: C.ca, dash: '2 4', width: 1.6 });
  if (zeroShotCa !== null) legend.push({ label: `zero-shot CA ${pct(zeroShotCa)}`, colour: C.ref, dash: '2 4', width: 1.6 });
  return (
    <>
    <SvgLegend items={legend} fontSize={fs.label} />
    <div
      className="sweep-chart"
      style={{ height }}
      data-testid="sweep-chart"
      data-points={points.length}
      data-total={alphas.length}
      data-selected-alpha={selected ?? ''}
      data-target-line={hasTarget}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 22, right: 22, bottom: 18, left: 4 }}>
          <CartesianGrid stroke={C.grid} />
          <XAxis dataKey="alpha" type="number" domain={domain} ticks={ticks} stroke={C.muted} fontSize={fs.tick}
            tickFormatter={(v: number) => fmtAlpha(v)}
            label={{ value: 'α (scaling of the negated trigger vector)', position: 'insideBottom', offset: -10, fontSize: fs.label, fill: C.muted }} />
          <YAxis domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" width={Math.round(fs.tick * 3.9)} stroke={C.muted} fontSize={fs.tick} />
          <Tooltip
            formatter={(v, name) => [`${Number(v).toFixed(1)}%`, name]}
            labelFormatter={(a) => `α = ${fmtAlpha(Number(a))}`}
          />
          {backdooredCa !== null && (
            <ReferenceLine y={backdooredCa * 100} stroke={C.ca} strokeOpacity={0.7} strokeWidth={1.6} strokeDasharray="2 4" />
          )}
          {zeroShotCa !== null && (
            <ReferenceLine y={zeroShotCa * 100} stroke={C.ref} strokeWidth={1.6} strokeDasharray="2 4" />
          )}
          {viewing && (
            <ReferenceLine x={shown!} stroke={C.muted} strokeDasharray="4 3"
              label={viewingNear ? undefined : edgeLabel(`viewing ${fmtAlpha(shown!)}`, shown!, domain, { fontSize: fs.small, fill: C.muted })} />
          )}
          {selected !== null && (
            <ReferenceLine x={selected} stroke={C.ink} strokeWidth={2} ifOverflow="extendDomain"
              label={edgeLabel(`selected α = ${fmtAlpha(selected)}${viewingNear ? ` · viewing ${fmtAlpha(shown!)}` : ''}`, selected, domain, { fontSize: fs.label, fill: C.ink, fontWeight: 600 })}
              className="selected-alpha" />
          )}
          <Line name="CA (clean accuracy)" type="monotone" dataKey="ca" stroke={C.ca} strokeWidth={2.4}
            dot={{ r: 3, fill: C.ca, strokeWidth: 0 }} isAnimationActive={false} />
          <Line name={hasProxy ? 'ASR of the real trigger' : 'ASR (attack success)'} type="monotone" dataKey="asr" stroke={C.asr} strokeWidth={2.4} strokeDasharray="7 4"
            dot={{ r: 3.5, fill: '#fff', stroke: C.asr, strokeWidth: 1.8 }} legendType="plainline" isAnimationActive={false} />
          {hasTarget && (
            <Line name={targetLabel} type="monotone" dataKey="targetCa" stroke={C.caTarget} strokeWidth={1.8} strokeDasharray="6 2 1 2"
              dot={false} isAnimationActive={false} />
          )}
          {hasProxy && (
            <Line name="proxy ASR (DECREE stamp)" type="monotone" dataKey="proxy" stroke={C.proxy} strokeWidth={2} strokeDasharray="2 3"
              dot={{ r: 2.5, fill: C.proxy, strokeWidth: 0 }} isAnimationActive={false} />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
    </>
  );
}
