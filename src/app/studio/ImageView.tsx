import { memo, useEffect, useRef } from 'react';
import type { ImageStrip } from '../../engine/experiment/results';

/** Image `index` of a strip on a canvas at its own resolution, shown `display` px wide (or filling its box), pixelated. */
export const StripImage = memo(function StripImage({ strip, index, display, title, testId }: {
  strip: ImageStrip;
  index: number;
  display: number | 'fill';
  title?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const n = strip.size;
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(n, n);
    const src = strip.pixels.subarray(index * n * n * 3, (index + 1) * n * n * 3);
    for (let i = 0; i < n * n; i++) {
      img.data[i * 4] = src[i * 3];
      img.data[i * 4 + 1] = src[i * 3 + 1];
      img.data[i * 4 + 2] = src[i * 3 + 2];
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [strip, index, n]);
  return (
    <canvas ref={ref} width={n} height={n} className="pixelated" style={display === 'fill' ? { width: '100%', height: 'auto', aspectRatio: '1' } : { width: display, height: display }} title={title} data-testid={testId} />
  );
});
