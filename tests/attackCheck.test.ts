import { describe, expect, it } from 'vitest';
import { attackWarnings, moreDataCost, suggestedTrainSplit, whyNoBackdoor } from '../src/app/attackCheck';
import { attackSecondsAt } from '../src/app/forecast';
import { defaultExperimentConfig, defaultTrigger } from '../src/app/defaults';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import type { TriggerKind } from '../src/engine/triggers/types';

const micro = (kind: TriggerKind): ExperimentConfig => ({ ...defaultExperimentConfig(), trigger: defaultTrigger(kind, 0) as ExperimentConfig['trigger'] });
const hub = (kind: TriggerKind): ExperimentConfig => ({ ...micro(kind), model: { kind: 'hub', repo: 'openai/clip-vit-base-patch32' } });

describe('attackWarnings: did the backdoor take?', () => {
  it('a paper-like attack (the micro CLIP with SIG: CA 94.5%, ASR 99.8%, clean 94.8%) gets no warning', () => {
    expect(attackWarnings({ test: { ca: 0.945, asr: 0.998 }, cleanTest: { ca: 0.948, asr: 0.002 } }, micro('sig'))).toEqual([]);
  });

  it('BadNet on the micro CLIP (ASR 1.2%) is flagged, with the measured reason and SIG as the way out', () => {
    const w = attackWarnings({ test: { ca: 0.94, asr: 0.012 } }, micro('badnet'));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('did not take');
    expect(w[0]).toContain('1.2%');
    expect(w[0]).toContain('2 px');
    expect(w[0]).toContain('SIG takes');
  });

  it('a loaded checkpoint whose backdoor the chosen trigger does not fire is told apart from an attack that did not take', () => {
    const c: ExperimentConfig = { ...micro('badnet'), backdoor: { kind: 'file', name: 'theta-b.safetensors' } };
    const w = attackWarnings({ test: { ca: 0.93, asr: 0.02 } }, c);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/loaded checkpoint sends only 2\.0%.*not backdoored, or its trigger and target are not the ones chosen.*DECREE/);
    expect(w[0]).not.toContain('2 px');
    expect(attackWarnings({ test: { ca: 0.93, asr: 0.97 } }, c)).toEqual([]);
  });

  it('the threshold is ASR 50%: 49.9% warns, 50% does not', () => {
    expect(attackWarnings({ test: { ca: 0.9, asr: 0.499 } }, micro('blended'))).toHaveLength(1);
    expect(attackWarnings({ test: { ca: 0.9, asr: 0.5 } }, micro('blended'))).toEqual([]);
  });

  it('on the micro CLIP, Blended’s advice is the amount of data it takes with; WaNet’s is that the tower cannot see it', () => {
    expect(whyNoBackdoor(micro('blended'))).toContain('20,000 training images at 3% (600 poisoned) give ASR 92%');
    expect(whyNoBackdoor(micro('wanet'))).toContain('half a pixel');
    expect(suggestedTrainSplit(micro('blended'))).toBe(20_000);
    expect(suggestedTrainSplit({ ...micro('blended'), splits: { train: 20_000, val: 500, test: 1000, forget: 500 } })).toBeNull();
    expect(suggestedTrainSplit(micro('wanet'))).toBeNull();
    expect(suggestedTrainSplit(hub('blended'))).toBeNull();
  });

  it('a Hub model gets the generic advice, not the micro CLIP’s measurements', () => {
    const w = attackWarnings({ test: { ca: 0.8, asr: 0.1 } }, hub('wanet'));
    expect(w[0]).toContain('higher poison rate');
    expect(w[0]).not.toContain('micro CLIP');
    expect(whyNoBackdoor(hub('badnet'))).toBeNull();
    expect(whyNoBackdoor(micro('sig'))).toBeNull();
  });

  it('a real CLIP on CIFAR that did not take is pointed to the paper’s 43,000 training images, with the poisoned counts', () => {
    const cifar: ExperimentConfig = { ...hub('badnet'), data: { kind: 'cifar100' } };
    expect(suggestedTrainSplit(cifar)).toBe(43_000);
    const w = attackWarnings({ test: { ca: 0.7, asr: 0.05 } }, cifar);
    expect(w[0]).toContain('poisoned about 60 of 2,000 training images; the paper poisons 3% of 43,000 (1,290) over 6 epochs');
    expect(w[0]).toContain('1,290 poisoned at this rate');
    expect(attackWarnings({ test: { ca: 0.7, asr: 0.05 } }, { ...cifar, attack: { ...cifar.attack, poisonRate: 0.1 } })[0]).toContain('about 200 of 2,000');
    // already at the paper's size, or data the lab cannot size (a folder, shapes): the generic advice
    expect(suggestedTrainSplit({ ...cifar, splits: { ...cifar.splits, train: 43_000 } })).toBeNull();
    expect(suggestedTrainSplit({ ...cifar, data: { kind: 'folder', name: 'mine' } })).toBeNull();
    expect(suggestedTrainSplit(hub('badnet'))).toBeNull(); // shapes
    expect(attackWarnings({ test: { ca: 0.7, asr: 0.05 } }, hub('badnet'))[0]).toContain('Try a higher poison rate, more epochs or a larger trigger.');
  });

  it('clean accuracy more than 3 points below the clean fine-tune is flagged with the gap', () => {
    const w = attackWarnings({ test: { ca: 0.9, asr: 0.99 }, cleanTest: { ca: 0.948, asr: 0 } }, micro('sig'));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('4.8 points below');
    expect(attackWarnings({ test: { ca: 0.92, asr: 0.99 }, cleanTest: { ca: 0.948, asr: 0 } }, micro('sig'))).toEqual([]);
  });

  it('missing numbers (NaN, no clean baseline) never produce a warning', () => {
    expect(attackWarnings({ test: { ca: NaN, asr: NaN }, cleanTest: null }, micro('badnet'))).toEqual([]);
  });
});

describe('what a larger training split would cost, from the run\'s own fine-tuning time', () => {
  it('scales the measured seconds by the images seen, doubled with the clean baseline; nothing when untimed', () => {
    // 2000 images fine-tuned in 100 s → 43,000 in 2150 s (21.5×), 4300 s with the clean baseline.
    const run = hub('badnet'); // the run's epochs cancel: the larger split trains as many
    expect(attackSecondsAt(run, 100, 2000, 43_000, false)).toBeCloseTo(2150, 9);
    expect(attackSecondsAt(run, 100, 2000, 43_000, true)).toBeCloseTo(4300, 9);
    expect(attackSecondsAt(run, undefined, 2000, 43_000, false)).toBeNull(); // θ_b from a file, or a run saved before runs were timed
    expect(attackSecondsAt(run, 0, 2000, 43_000, false)).toBeNull();
    expect(attackSecondsAt(run, 100, 0, 43_000, false)).toBeNull();
    expect(moreDataCost({ trainSeconds: 100 }, run, 2000, 43_000, false)).toBe('22× the images: this run fine-tuned for 1 min 40 s, so about 35 min 50 s on this device');
    expect(moreDataCost({ trainSeconds: 9 }, run, 2000, 20_000, true)).toBe('10× the images: this run fine-tuned for 9.0 s, so about 3 min 00 s on this device with the clean baseline');
    expect(moreDataCost({ trainSeconds: 4 }, run, 2000, 5_000, false)).toBe('2.5× the images: this run fine-tuned for 4.0 s, so about 10 s on this device');
  });
});
