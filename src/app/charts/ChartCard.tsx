import { useRef, useState, type ReactNode } from 'react';
import { elementToPng } from '../exporters';

/** A titled chart with a PNG export of exactly what is drawn. */
export function ChartCard({ title, fileName, children, testId, extra, note }: {
  title: string;
  fileName: string;
  children: ReactNode;
  testId?: string;
  extra?: ReactNode;
  note?: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [busy, setBusy] = useState(false);
  const png = async () => {
    if (!ref.current) return;
    setBusy(true);
    try {
      await elementToPng(ref.current, fileName, title);
    } finally {
      setBusy(false);
    }
  };
  return (
    <figure className="chart-card" data-testid={testId}>
      <figcaption>
        <span className="chart-title">{title}</span>
        <span className="chart-tools">
          {extra}
          <button type="button" className="btn btn-ghost btn-small" onClick={png} disabled={busy} title="Download this chart as a PNG image">
            PNG
          </button>
        </span>
      </figcaption>
      <div ref={ref} className="chart-body">
        {children}
      </div>
      {note && <p className="chart-note">{note}</p>}
    </figure>
  );
}
