/**
 * Exports: a run as JSON (the full ExperimentConfig and every result, exactly what the UI shows) and
 * CSV (sweep points, ξ cells, per-epoch curves); charts as PNG; any bytes as a download.
 */
import { EXPERIMENT_CONFIG_VERSION } from '../engine/experiment/config';
import { accuracyOver } from '../engine/eval/byClass';
import type { SweepPoint } from '../engine/experiment/results';
import { summarize, type RunRecord } from './runs';

export const RUN_FORMAT = 'tbar-lab-run';

export function runJson(run: RunRecord): string {
  const doc = {
    format: RUN_FORMAT,
    formatVersion: 1,
    configVersion: EXPERIMENT_CONFIG_VERSION,
    exportedAt: new Date().toISOString(),
    id: run.id,
    createdAt: new Date(run.createdAt).toISOString(),
    backend: run.backend,
    config: run.config,
    cleanBaseline: run.cleanBaseline,
    summary: summarize(run),
    results: {
      model: run.model,
      data: run.data,
      zeroShot: run.zeroShot,
      attack: run.attack,
      decree: run.decree,
      tbar: run.tbar,
      sweep: run.sweep,
      disentangle: run.disentangle,
      gradientAscent: run.ga,
    },
    streams: { sweepPoints: run.sweepPoints, xiCells: run.xiCells, gaPoints: run.gaPoints, losses: run.losses },
    timingsMs: run.timings,
  };
  return JSON.stringify(doc, null, 2);
}

const csvRow = (cells: (string | number | boolean | null | undefined)[]) =>
  cells.map((c) => (c === null || c === undefined ? '' : typeof c === 'string' && /[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : String(c))).join(',');

export function runCsv(run: RunRecord, what: 'sweep-csv' | 'xi-csv' | 'epochs-csv'): string {
  const rows: string[] = [];
  if (what === 'sweep-csv') {
    // TBAR+DECREE: the proxy ASR (the inverted stamp's, which the rule read) as a last column.
    // With per-class counts: CA on the target class's own images and on the others (eval/byClass.ts).
    const proxy = run.sweepPoints.some((p) => p.proxyAsr !== undefined);
    const byClass = run.sweepPoints.some((p) => p.byClass !== undefined);
    const t = run.config.attack.target;
    const split = (p: SweepPoint) => (p.byClass ? [accuracyOver(p.byClass, (k) => k === t), accuracyOver(p.byClass, (k) => k !== t)] : [null, null]);
    rows.push(csvRow(['alpha', 'val_ca', 'val_asr', 'selected', ...(proxy ? ['val_proxy_asr'] : []), ...(byClass ? ['val_ca_target_class', 'val_ca_other_classes'] : [])]));
    for (const p of run.sweepPoints) rows.push(csvRow([p.alpha, p.val.ca, p.val.asr, run.sweep?.alpha === p.alpha, ...(proxy ? [p.proxyAsr ?? ''] : []), ...(byClass ? split(p) : [])]));
  } else if (what === 'xi-csv') {
    rows.push(csvRow(['level', 'alpha_c', 'alpha_t', 'xi', 'clean', 'triggered']));
    for (const c of run.xiCells) rows.push(csvRow([c.level, c.alphaC, c.alphaT, c.xi, c.clean, c.triggered]));
  } else {
    rows.push(csvRow(['method', 'epoch', 'alpha', 'test_ca', 'test_asr', 'one_minus_asr']));
    for (const p of run.tbar?.perEpoch ?? []) rows.push(csvRow(['tbar', p.epoch, p.alpha, p.test.ca, p.test.asr, 1 - p.test.asr]));
    for (const p of run.gaPoints) rows.push(csvRow(['gradient-ascent', p.epoch, null, p.test.ca, p.test.asr, 1 - p.test.asr]));
  }
  return rows.join('\n') + '\n';
}

export function downloadBytes(fileName: string, mimeType: string, data: string | Uint8Array | Blob): void {
  const blob = data instanceof Blob ? data : new Blob([data as BlobPart], { type: mimeType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Inline the computed styles an SVG needs to render the same outside the page (fonts, fills, strokes). */
function inlineStyles(src: Element, dst: Element) {
  const cs = getComputedStyle(src);
  const props = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity', 'fill-opacity', 'stroke-opacity', 'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline', 'visibility'];
  const style = props.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';');
  (dst as SVGElement).setAttribute('style', style);
  for (let i = 0; i < src.children.length; i++) inlineStyles(src.children[i], dst.children[i]);
}

/**
 * Render an element holding SVG charts (recharts, the ξ heatmap) and canvases to a PNG at 2× scale,
 * with a title and white background, and download it.
 */
export async function elementToPng(root: HTMLElement, fileName: string, title: string): Promise<void> {
  const scale = 2;
  const rect = root.getBoundingClientRect();
  const pad = 16;
  const titleH = 28;
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil((rect.width + 2 * pad) * scale);
  canvas.height = Math.ceil((rect.height + 2 * pad + titleH) * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#1b2130';
  ctx.font = '600 15px system-ui, sans-serif';
  ctx.fillText(title, pad, pad + 14);
  const ox = pad - rect.left;
  const oy = pad + titleH - rect.top;

  const svgs = Array.from(root.querySelectorAll('svg')).filter((s) => s.getBoundingClientRect().width > 40);
  for (const svg of svgs) {
    const r = svg.getBoundingClientRect();
    const clone = svg.cloneNode(true) as SVGSVGElement;
    inlineStyles(svg, clone);
    clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    clone.setAttribute('width', String(r.width));
    clone.setAttribute('height', String(r.height));
    const xml = new XMLSerializer().serializeToString(clone);
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(xml)}`;
    await img.decode();
    ctx.drawImage(img, r.left + ox, r.top + oy, r.width, r.height);
  }
  for (const c of Array.from(root.querySelectorAll('canvas'))) {
    const r = c.getBoundingClientRect();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(c, r.left + ox, r.top + oy, r.width, r.height);
  }
  // Legends and labels drawn as HTML (recharts legends): their text, in place.
  ctx.fillStyle = '#3b4457';
  ctx.font = '12px system-ui, sans-serif';
  for (const el of Array.from(root.querySelectorAll('[data-png-text]'))) {
    const r = el.getBoundingClientRect();
    ctx.fillText(el.textContent ?? '', r.left + ox, r.top + oy + r.height * 0.75);
  }
  const blob = await new Promise<Blob | null>((res) => canvas.toBlob(res, 'image/png'));
  if (blob) downloadBytes(fileName, 'image/png', blob);
}
