/**
 * The bench cases in Node (`npx tsx bench/node.ts [wasm,cpu] [case,…]`): same registry and timer as
 * the browser page, on tfjs-wasm / tfjs-cpu in Node. Prints a table; writes nothing.
 */
import { CASES } from '../src/bench/cases';
import { runCase, type BenchResult, type BenchSkip } from '../src/bench/runner';
import { initNodeBackend } from '../tests/nodeBackend';
import { printTable } from './table.mjs';

const backends = (process.argv[2] ?? 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];
const only = process.argv[3]?.split(',');

const rows: (BenchResult | BenchSkip)[] = [];
for (const b of backends) {
  await initNodeBackend(b);
  for (const c of CASES.filter((x) => !only || only.includes(x.name))) {
    const r = await runCase(c);
    if ('skipped' in r) console.log(`${b}: ${c.name} skipped: ${r.skipped}`);
    else console.log(`${b}: ${c.name} ${r.medianMs.toFixed(1)} ms${r.gflops ? ` · ${r.gflops.toFixed(2)} GFLOP/s` : ''}`);
    rows.push(r);
  }
}
console.log('');
printTable(rows);
