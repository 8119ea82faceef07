/**
 * Wall-clock timing of experiment stages for tests and benches: `time(stage, f)` awaits f and records
 * its seconds in `seconds[stage]`, rounded to `decimals` places.
 */
export type StageTimer = <T>(stage: string, f: () => Promise<T>) => Promise<T>;

export function stageTimer(seconds: Record<string, number>, decimals = 1): StageTimer {
  return async (stage, f) => {
    const t0 = performance.now();
    const r = await f();
    seconds[stage] = +((performance.now() - t0) / 1000).toFixed(decimals);
    return r;
  };
}
