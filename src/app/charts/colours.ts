/**
 * Colours (Okabe–Ito, safe for the common colour-vision deficiencies). CA and ASR also differ in line
 * style and marker, so the charts read in greyscale too.
 */
export const C = {
  ca: '#0072B2',
  asr: '#D55E00',
  tbar: '#009E73',
  ga: '#CC79A7',
  /** TBAR+DECREE's proxy ASR: Okabe–Ito orange, beside the true ASR's vermillion (dotted, not dashed). */
  proxy: '#E69F00',
  /** CA on the target class's own images (Okabe–Ito sky blue, beside CA's blue; thin, dash-dot). */
  caTarget: '#56B4E9',
  ink: '#1b2130',
  muted: '#6b7486',
  grid: '#e5e8ef',
  ref: '#8a93a6',
} as const;

/** Viridis, 11 stops (matplotlib), for the ξ heatmap. */
const VIRIDIS = [
  [68, 1, 84], [72, 36, 117], [65, 68, 135], [53, 95, 141], [42, 120, 142], [33, 145, 140],
  [34, 168, 132], [68, 191, 112], [122, 209, 81], [189, 223, 38], [253, 231, 37],
];

/** Viridis at t ∈ [0, 1] (0 = dark purple, 1 = bright yellow). */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** ξ ∈ [0, 2] → colour: low error bright (the paper's Figure 2: "large bright regions at the center"). */
export const xiColour = (xi: number) => viridis(1 - xi / 2);
