import { useLab } from '../store';

/** Font sizes (px) for chart text: larger in presenter mode, where the room is far away. */
export function useChartFont(): { tick: number; label: number; small: number } {
  const presenter = useLab((s) => s.presenter);
  return presenter ? { tick: 16, label: 17, small: 15 } : { tick: 12, label: 12, small: 11 };
}
