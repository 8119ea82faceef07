/**
 * The fine-tuning memory plan as the panels show it, BEFORE a stage runs: the same chooseBatchSize
 * (engine/memory/plan.ts, pure arithmetic, no tfjs) the worker applies, on the loaded model's
 * config.json and the backend the worker selected, so "the batch will be 12, because…" is known up
 * front. The worker records what it really used in the stage's result (BatchLimit).
 */
import type { BackendInfo } from '../engine/backend';
import type { CLIPConfig } from '../engine/clip/config';
import { chooseBatchSize, deviceBudget, formatGiB, MemoryPlanError } from '../engine/memory/plan';
import { fmtBytes } from './format';

export interface BatchPlanView {
  kind: 'fits' | 'limited' | 'cannot';
  batchSize: number | null;
  text: string;
}

export function batchPlanView(
  clip: CLIPConfig | undefined,
  backend: Pick<BackendInfo, 'name' | 'limits'> | null,
  requested: number,
  classes: number,
  gpuMemoryBytes?: number,
): BatchPlanView | null {
  if (!clip || !backend || !(requested >= 1)) return null;
  const budget = deviceBudget(backend, gpuMemoryBytes ? { gpuMemoryBytes } : {});
  try {
    const c = chooseBatchSize(clip, requested, budget, { backend: backend.name, classes });
    if (c.limitedBy) {
      return {
        kind: 'limited',
        batchSize: c.batchSize,
        text: `On this device each batch of ${requested} runs in chunks of ${c.batchSize} whose gradients are summed, so the steps are the recipe's: ${c.limitedBy}.`,
      };
    }
    return {
      kind: 'fits',
      batchSize: c.batchSize,
      text: `Memory: one training step at batch ${c.batchSize} needs ${fmtBytes(c.plan.peakBytes)} of the ${formatGiB(budget.totalBytes)} this backend may use (${budget.source}, less headroom).`,
    };
  } catch (e) {
    if (e instanceof MemoryPlanError) return { kind: 'cannot', batchSize: null, text: `This device cannot fine-tune this model: ${e.message}` };
    throw e;
  }
}
