/**
 * Stage bookkeeping for the experiment session: which parts of the ExperimentConfig each stage's
 * output depends on, a stamp of those parts when the output was made, and the 'stale-stage' error a
 * later stage raises when its input was made from a different configuration (e.g. sweeping after the
 * trigger changed, before TBAR ran again for it).
 */
import { Rng } from '../rng';
import { forgetOf, type ExperimentConfig } from './config';

export type ConfigPart = 'model' | 'data' | 'seed' | 'splits' | 'templates' | 'trigger' | 'attack' | 'backdoor' | 'tbar' | 'sweep' | 'disentangle' | 'ga' | 'forget' | 'triggerVector';

export type StageName = 'loadModel' | 'loadData' | 'head' | 'attack' | 'decree' | 'tbar' | 'sweep';

/** Config parts each stored stage output depends on. */
export const STAGE_DEPENDS: Record<StageName, ConfigPart[]> = {
  loadModel: ['model'],
  loadData: ['data', 'seed', 'splits'],
  head: ['model', 'data', 'templates'],
  attack: ['model', 'data', 'seed', 'splits', 'templates', 'trigger', 'attack', 'backdoor'],
  decree: ['model', 'data', 'seed', 'splits', 'templates', 'trigger', 'attack', 'backdoor', 'forget'],
  tbar: ['model', 'data', 'seed', 'splits', 'templates', 'trigger', 'attack', 'backdoor', 'forget', 'tbar', 'triggerVector'],
  sweep: ['model', 'data', 'seed', 'splits', 'templates', 'trigger', 'attack', 'backdoor', 'forget', 'tbar', 'triggerVector', 'sweep'],
};

/** What to rerun, in the words of the UI's stage buttons. */
const RERUN: Record<StageName, string> = {
  loadModel: 'load the model (loadModel)',
  loadData: 'load the data (loadData)',
  head: 'rebuild the zero-shot head (run any stage)',
  attack: 'rerun the attack stage (attack)',
  decree: 'rerun DECREE (decree)',
  tbar: 'rerun TBAR (tbar)',
  sweep: 'rerun the α sweep (sweep)',
};

const WHAT: Record<StageName, string> = {
  loadModel: 'the loaded model θ_pre',
  loadData: 'the loaded data',
  head: 'the zero-shot head',
  attack: 'the backdoored model θ_b',
  decree: 'the trigger inverted by DECREE',
  tbar: 'the trigger vector τ̂_t',
  sweep: 'the α sweep',
};

/** JSON with object keys sorted (a canonical form to compare config parts). */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export type Stamp = Partial<Record<ConfigPart, string>>;

/** The stamp of a stage's dependencies under `config`. */
export function stampOf(stage: StageName, config: ExperimentConfig): Stamp {
  const s: Stamp = {};
  for (const p of STAGE_DEPENDS[stage]) s[p] = stableJson(p === 'forget' ? forgetOf(config) : config[p]);
  return s;
}

/** Parts whose value differs between two stamps of the same stage. */
export function changedParts(a: Stamp, b: Stamp): ConfigPart[] {
  const parts = new Set([...Object.keys(a), ...Object.keys(b)] as ConfigPart[]);
  return [...parts].filter((p) => a[p] !== b[p]);
}

export class StaleStageError extends Error {
  readonly code = 'stale-stage';
  constructor(
    readonly stage: StageName,
    readonly changed: ConfigPart[],
    message: string,
  ) {
    super(message);
    this.name = 'StaleStageError';
  }
}

/**
 * Throw StaleStageError unless `have` (the stamp stored with a stage's output, or null when the
 * stage never ran) matches `config`. `needer`: the job asking, for the message.
 */
export function requireFresh(stage: StageName, have: Stamp | null | undefined, config: ExperimentConfig, needer: string): void {
  if (!have) throw new StaleStageError(stage, [], `${needer} needs ${WHAT[stage]}, which does not exist yet: ${RERUN[stage]} first.`);
  const changed = changedParts(have, stampOf(stage, config));
  if (changed.length) {
    throw new StaleStageError(
      stage,
      changed,
      `${needer} needs ${WHAT[stage]} for this configuration, but it was made with a different ${changed.map((p) => `config.${p}`).join(', ')}: ${RERUN[stage]} first.`,
    );
  }
}

export function isFresh(stage: StageName, have: Stamp | null | undefined, config: ExperimentConfig): boolean {
  return !!have && changedParts(have, stampOf(stage, config)).length === 0;
}

/** An integer seed for a named sub-task of a run (data order, poisoning, …), from the master seed. */
export function derivedSeed(seed: number, label: string): number {
  return new Rng(seed).fork(label).nextUint32();
}
