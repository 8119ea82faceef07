import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { useLab } from '../store';
import { C } from './colours';
import { SvgLegend } from './Legend';
import { useChartFont } from './useChartFont';

const NONE: never[] = [];

interface Row {
  epoch: number;
  tbarCa?: number;
  tbarRem?: number;
  gaCa?: number;
  gaRem?: number;
}

/** The paper's Figure 3: CA and 1 − ASR over epochs, TBAR against gradient ascent. Epoch 0 = θ_b. */
export function GaChart({ height = 230 }: { height?: number }) {
  const { perEpoch, gaPoints, start } = useLab(
    useShallow((s) => ({
      perEpoch: s.current.tbar?.perEpoch ?? NONE,
      gaPoints: s.current.gaPoints,
      start: s.current.attack?.test ?? null,
    })),
  );
  const fs = useChartFont();
  const rows = useMemo(() => {
    const by = new Map<number, Row>();
    const row = (e: number) => by.get(e) ?? (by.set(e, { epoch: e }), by.get(e)!);
    if (start && (perEpoch.length || gaPoints.length)) {
      Object.assign(row(0), { tbarCa: start.ca * 100, tbarRem: (1 - start.asr) * 100, gaCa: start.ca * 100, gaRem: (1 - start.asr) * 100 });
    }
    for (const p of perEpoch) Object.assign(row(p.epoch), { tbarCa: p.test.ca * 100, tbarRem: (1 - p.test.asr) * 100 });
    for (const p of gaPoints) Object.assign(row(p.epoch), { gaCa: p.test.ca * 100, gaRem: (1 - p.test.asr) * 100 });
    return [...by.values()].sort((a, b) => a.epoch - b.epoch);
  }, [perEpoch, gaPoints, start]);

  const last = rows.length ? rows[rows.length - 1].epoch : 1;
  const every = Math.max(1, Math.ceil(last / 10));
  const ticks = Array.from({ length: Math.floor(last / every) + 1 }, (_, i) => i * every);

  const chart = (title: string, tbarKey: keyof Row, gaKey: keyof Row, testId: string) => (
    <div className="ga-half" data-testid={testId}>
      <div className="ga-title" data-png-text>
        {title}
      </div>
      <div style={{ height }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={rows} margin={{ top: 8, right: 14, bottom: 16, left: 0 }}>
            <CartesianGrid stroke={C.grid} />
            <XAxis dataKey="epoch" type="number" domain={[0, 'dataMax']} allowDecimals={false} ticks={ticks} stroke={C.muted} fontSize={fs.tick}
              label={{ value: 'epoch', position: 'insideBottomRight', offset: -8, fontSize: fs.label, fill: C.muted }} />
            <YAxis domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" width={Math.round(fs.tick * 3.9)} stroke={C.muted} fontSize={fs.tick} />
            <Tooltip formatter={(v, n) => [`${Number(v).toFixed(1)}%`, n]} labelFormatter={(e) => `epoch ${e}`} />
            <Line name="TBAR" dataKey={tbarKey} stroke={C.tbar} strokeWidth={2.4} dot={{ r: 3.5, fill: C.tbar, strokeWidth: 0 }}
              connectNulls isAnimationActive={false} />
            <Line name="Gradient ascent" dataKey={gaKey} stroke={C.ga} strokeWidth={2.4} strokeDasharray="7 4"
              dot={{ r: 4, fill: '#fff', stroke: C.ga, strokeWidth: 2, }} connectNulls isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
  return (
    <>
      <SvgLegend items={[
        { label: 'TBAR (α re-selected each epoch)', colour: C.tbar, marker: 'dot' },
        { label: 'Gradient ascent', colour: C.ga, dash: '7 4', marker: 'ring' },
      ]} fontSize={fs.label} />
      <div className="ga-chart" data-testid="ga-chart" data-ga-points={gaPoints.length} data-tbar-points={perEpoch.length}>
        {chart('Clean accuracy (CA) ↑', 'tbarCa', 'gaCa', 'ga-ca')}
        {chart('Backdoor removed (1 − ASR) ↑', 'tbarRem', 'gaRem', 'ga-rem')}
      </div>
    </>
  );
}
