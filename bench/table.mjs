// Result table for bench/run.mjs (browser) and bench/node.ts (Node).

export const fmt = (x, d = 2) => (x === undefined ? '—' : x.toFixed(d));

export function printTable(rows) {
  const head = ['case', 'backend', 'first ms', 'median ms', 'iters', 'GFLOP/s', 'items/s', 'leaks'];
  const body = rows.map((r) =>
    r.error
      ? [r.case, r.backend, 'error: ' + r.error, '', '', '', '', '']
      : r.skipped
        ? [r.case, r.backend, 'skipped', '', '', '', '', '']
        : [r.case, r.backend, fmt(r.firstMs, 0), fmt(r.medianMs, 1), String(r.iters), fmt(r.gflops), r.itemsPerSec ? `${fmt(r.itemsPerSec, 1)} ${r.itemUnit}` : '—', String(r.leakedTensors)],
  );
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(w[i])).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
  for (const r of rows.filter((x) => x.skipped)) console.log(`skipped ${r.case} on ${r.backend}: ${r.skipped}`);
}
