import { useEffect, useRef, useState } from 'react';
import type { PaintedParams } from '../../engine/triggers/types';
import { defaultTrigger, PAINTED_MAX_SIDE } from '../defaults';
import { useLab } from '../store';
import { clonePixels, decodePainted, encodePainted, fillAll, hexToRgb, resample, stroke, toRgba, type BrushSpec, type Pixels, type Tool } from './paint';

const PALETTE = ['#000000', '#ffffff', '#d62728', '#ff7f0e', '#ffdd00', '#2ca02c', '#1f77b4', '#9467bd'];
const SIDES = [8, 16, 32, 64].filter((n) => n <= PAINTED_MAX_SIDE);
const TOOLS: { id: Tool; label: string; title: string }[] = [
  { id: 'brush', label: 'Brush', title: 'Paint colour (and set the mask to the opacity)' },
  { id: 'opacity', label: 'Opacity', title: 'Paint the mask only: how strongly the pattern replaces the image' },
  { id: 'eraser', label: 'Eraser', title: 'Make pixels transparent (mask 0): the image shows through' },
  { id: 'fill', label: 'Fill', title: 'Apply the current tool to the whole pattern' },
];
const DISPLAY = 240;

/** Draw a trigger: pattern colours and mask (opacity) on a small canvas, shown large. */
export function PaintStudio({ params, disabled = false }: { params: PaintedParams; disabled?: boolean }) {
  const setTriggerParams = useLab((s) => s.setTriggerParams);
  const canvas = useRef<HTMLCanvasElement>(null);
  const px = useRef<Pixels>(decodePainted(params));
  const committed = useRef(params.pattern + params.mask);
  const last = useRef<[number, number] | null>(null);
  const commitTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [tool, setTool] = useState<Tool>('brush');
  const [size, setSize] = useState(2);
  const [opacity, setOpacity] = useState(1);
  const [colour, setColour] = useState('#d62728');
  const [view, setView] = useState<'pattern' | 'mask'>('pattern');
  const [, redraw] = useState(0);

  const draw = () => {
    const c = canvas.current;
    const p = px.current;
    if (!c) return;
    if (c.width !== p.w || c.height !== p.h) {
      c.width = p.w;
      c.height = p.h;
    }
    c.getContext('2d')!.putImageData(new ImageData(toRgba(p, view), p.w, p.h), 0, 0);
  };

  // A new trigger from outside (URL, another run, reset): take its pixels.
  useEffect(() => {
    const k = params.pattern + params.mask;
    if (k !== committed.current) {
      px.current = decodePainted(params);
      committed.current = k;
      redraw((n) => n + 1);
    }
  }, [params]);
  useEffect(draw);

  const commit = () => {
    if (commitTimer.current) clearTimeout(commitTimer.current);
    commitTimer.current = null;
    const enc = encodePainted(px.current);
    committed.current = enc.pattern + enc.mask;
    setTriggerParams(enc);
  };
  /** While drawing: the preview follows every ~150 ms. */
  const commitSoon = () => {
    if (!commitTimer.current) commitTimer.current = setTimeout(commit, 150);
  };

  const brush = (): BrushSpec => ({ tool, size, colour: hexToRgb(colour), opacity: tool === 'eraser' ? 0 : opacity });
  const at = (e: React.PointerEvent): [number, number] => {
    const r = canvas.current!.getBoundingClientRect();
    const p = px.current;
    return [Math.floor(((e.clientX - r.left) / r.width) * p.w), Math.floor(((e.clientY - r.top) / r.height) * p.h)];
  };
  const onDown = (e: React.PointerEvent) => {
    e.preventDefault();
    if (disabled) return;
    if (tool === 'fill') {
      fillAll(px.current, { ...brush(), tool: 'brush' });
      draw();
      commit();
      return;
    }
    canvas.current!.setPointerCapture?.(e.pointerId);
    const [x, y] = at(e);
    last.current = [x, y];
    stroke(px.current, x, y, x, y, brush());
    draw();
    commitSoon();
  };
  const onMove = (e: React.PointerEvent) => {
    if (!last.current) return;
    const [x, y] = at(e);
    stroke(px.current, last.current[0], last.current[1], x, y, brush());
    last.current = [x, y];
    draw();
    commitSoon();
  };
  const onUp = () => {
    if (!last.current) return;
    last.current = null;
    commit();
  };

  const setSide = (n: number) => {
    px.current = resample(clonePixels(px.current), n, n);
    draw();
    commit();
  };
  const clear = () => {
    fillAll(px.current, { tool: 'eraser', size: 1, colour: [0, 0, 0], opacity: 0 });
    draw();
    commit();
  };
  const reset = () => {
    const d = defaultTrigger('painted').params;
    px.current = decodePainted({ ...params, ...d });
    draw();
    commit();
  };

  const p = px.current;
  const aspect = p.w / p.h;
  return (
    <fieldset className="paint plain" data-testid="paint-studio" disabled={disabled}>
      <div className="paint-title">
        Paint the trigger
        <span className="help">
          {disabled && <b>Locked while a step runs. </b>}Colour is the pattern; opacity is the mask (x′ = (1 − m)·x + m·p). Up to 64×64, stamped at the size above.
        </span>
      </div>
      <div className="paint-canvas-wrap">
        <canvas
          ref={canvas}
          className="paint-canvas pixelated"
          data-testid="paint-canvas"
          style={{ width: aspect >= 1 ? DISPLAY : DISPLAY * aspect, height: aspect >= 1 ? DISPLAY / aspect : DISPLAY, cursor: 'crosshair', touchAction: 'none' }}
          onPointerDown={onDown}
          onPointerMove={onMove}
          onPointerUp={onUp}
          onPointerCancel={onUp}
          aria-label={`Trigger pattern, ${p.w} by ${p.h} pixels: draw with the mouse`}
        />
        <div className="seg" role="group" aria-label="Layer shown">
          {(['pattern', 'mask'] as const).map((v) => (
            <button key={v} type="button" className="seg-btn" aria-pressed={view === v} onClick={() => setView(v)}>
              {v === 'pattern' ? 'Pattern' : 'Mask'}
            </button>
          ))}
        </div>
      </div>
      <div className="paint-tools">
        <div className="seg tool-seg" role="group" aria-label="Tool">
          {TOOLS.map((t) => (
            <button key={t.id} type="button" className="seg-btn" aria-pressed={tool === t.id} title={t.title} onClick={() => setTool(t.id)} data-testid={`tool-${t.id}`}>
              {t.label}
            </button>
          ))}
        </div>
        <div className="palette" role="group" aria-label="Colour">
          {PALETTE.map((c) => (
            <button key={c} type="button" className="swatch" style={{ background: c }} aria-pressed={colour === c} aria-label={`colour ${c}`}
              onClick={() => { setColour(c); if (tool === 'eraser' || tool === 'opacity') setTool('brush'); }} />
          ))}
          <label className="picker" title="Any colour">
            <input type="color" value={colour} onChange={(e) => setColour(e.target.value)} aria-label="Pick any colour" />
          </label>
        </div>
        <div className="sliders">
        <label className="slider">
          <span>Brush {size} px</span>
          <input type="range" min={1} max={8} value={size} onChange={(e) => setSize(+e.target.value)} />
        </label>
        <label className="slider">
          <span>Opacity {Math.round(opacity * 100)}%</span>
          <input type="range" min={0} max={100} value={Math.round(opacity * 100)} onChange={(e) => setOpacity(+e.target.value / 100)} />
        </label>
        </div>
        <div className="row">
          <label className="inline">
            Canvas
            <select value={p.w} onChange={(e) => setSide(+e.target.value)} aria-label="Canvas resolution">
              {SIDES.map((n) => (
                <option key={n} value={n}>{n}×{n}</option>
              ))}
            </select>
          </label>
          <button type="button" className="btn btn-ghost btn-small" onClick={clear}>Clear</button>
          <button type="button" className="btn btn-ghost btn-small" onClick={reset}>Checkerboard</button>
        </div>
      </div>
    </fieldset>
  );
}
