import { memo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { fmtTick } from '../format';
import { C } from './colours';
import { useChartFont } from './useChartFont';

/** At most `max` points, evenly picked (a long run still draws in a blink). */
function thin(values: number[], max = 300): { step: number; loss: number }[] {
  const every = Math.max(1, Math.ceil(values.length / max));
  const out: { step: number; loss: number }[] = [];
  for (let i = 0; i < values.length; i += every) out.push({ step: i + 1, loss: values[i] });
  if (values.length && out[out.length - 1].step !== values.length) out.push({ step: values.length, loss: values[values.length - 1] });
  return out;
}

/** Training loss per step, drawn live. */
export const LossChart = memo(function LossChart({ losses, colour = C.ink, height = 150, testId }: { losses: number[]; colour?: string; height?: number; testId?: string }) {
  const data = thin(losses);
  const fs = useChartFont();
  return (
    <div className="loss-chart" data-testid={testId} data-steps={losses.length} style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 6, right: 12, bottom: 14, left: 0 }}>
          <CartesianGrid stroke={C.grid} vertical={false} />
          <XAxis dataKey="step" type="number" domain={[1, 'dataMax']} tickCount={5} allowDecimals={false} fontSize={fs.small} stroke={C.muted}
            label={{ value: 'step', position: 'insideBottomRight', offset: -8, fontSize: fs.small, fill: C.muted }} />
          <YAxis width={Math.round(fs.small * 4)} fontSize={fs.small} stroke={C.muted} tickFormatter={fmtTick} domain={[0, 'auto']} />
          <Tooltip formatter={(v) => [Number(v).toFixed(4), 'loss']} labelFormatter={(l) => `step ${l}`} />
          <Line type="monotone" dataKey="loss" stroke={colour} strokeWidth={1.6} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});
