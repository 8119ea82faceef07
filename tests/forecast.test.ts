/**
 * The run-time forecast (src/app/forecast.ts) counts the images each stage puts through the vision
 * tower. Checked against the engine itself: every image through ClipModel.encodeImage is counted while
 * a session runs each stage (training forwards included), and the forecast must match that count —
 * from above, within the target-class images the triggered passes skip.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { forecastSeconds, measuredRates, stageWork } from '../src/app/forecast';
import { runAllSeconds, timeLeft } from '../src/app/selectors';
import type { LabState } from '../src/app/store';
import { STAGES } from '../src/app/pipeline';
import { ClipModel } from '../src/engine/clip/model';
import { alphaGrid, defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { MICRO_DECREE } from '../src/engine/experiment/decreeDefaults';
import { ExperimentSession } from '../src/engine/experiment/session';
import type { StageId } from '../src/app/pipeline';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { nodeFileSource } from './util/nodeFiles';

describe('run-time forecast', () => {
  it('counts the default experiment\'s images stage by stage', () => {
    const c = defaultExperimentConfig('sig', 0); // train 2000, val 500, test 1000, forget 2000; α 0…3 by 0.1; ξ 17² × 200
    const w = (s: StageId, clean = false) => stageWork(s, c, clean);
    expect(w('zeroShot')).toEqual({ train: 0, eval: 2000 });
    expect(w('attack')).toEqual({ train: 8000, eval: 2000 });
    expect(w('attack', true)).toEqual({ train: 16000, eval: 4000 });
    expect(w('tbar')).toEqual({ train: 8000, eval: 4 * (6 * 1000 + 2000) }); // 4 epochs × (6 coarse α on val + test)
    expect(w('sweep')).toEqual({ train: 0, eval: 31 * 1000 + 2000 });
    expect(w('disentangle')).toEqual({ train: 0, eval: 17 * 17 * 400 });
    expect(w('ga')).toEqual({ train: 2000 * c.ga.epochs, eval: c.ga.epochs * 2000 });
    expect(w('decree')).toEqual({ train: 0, eval: 0 }); // the known trigger: no inversion
    expect(w('model')).toBeNull(); // loading: downloads and decoding, not counted
    const agnostic = { ...c, forget: { trigger: 'decree' as const, decree: { ...MICRO_DECREE } } }; // 3 restarts × 300 steps × 32, θ_b and θ_pre
    expect(stageWork('decree', agnostic, false)).toEqual({ train: 2 * 3 * 300 * 32, eval: 2 * 500 });
    expect(stageWork('sweep', agnostic, false)).toEqual({ train: 0, eval: 31 * 1500 + 2000 }); // + the proxy's ASR on val
    expect(stageWork('attack', { ...c, backdoor: { kind: 'file', name: 'b.safetensors' } }, true)).toEqual({ train: 0, eval: 2000 });
    expect(stageWork('tbar', { ...c, triggerVector: { kind: 'file', name: 't.safetensors' } }, false)).toEqual({ train: 0, eval: 0 });
  });

  it('turns measured times into seconds per image: the sweep\'s rate once it has run, else the zero-shot score\'s', () => {
    const c = defaultExperimentConfig('sig', 0);
    expect(measuredRates(c, { zeroShotMs: 400 })).toBeNull(); // no training rate yet
    expect(measuredRates(c, { trainSeconds: 8 })).toBeNull(); // no evaluation rate yet
    expect(measuredRates(c, { zeroShotMs: 400, trainSeconds: 8 })).toEqual({ train: 8 / 8000, eval: 0.4 / 2000 });
    expect(measuredRates(c, { zeroShotMs: 400, liveImagesPerSec: 500 })).toEqual({ train: 1 / 500, eval: 0.4 / 2000 });
    expect(measuredRates(c, { zeroShotMs: 400, sweepMs: 3300, trainSeconds: 8 })).toEqual({ train: 8 / 8000, eval: 3.3 / 33000 });
    // TBAR + gradient ascent at 1 ms per trained image and 0.1 ms per evaluated one.
    const s = forecastSeconds(['tbar', 'ga', 'decree'], c, false, { train: 1e-3, eval: 1e-4 });
    expect(s).toBeCloseTo((8000 + 2000 * c.ga.epochs) * 1e-3 + (32000 + 2000 * c.ga.epochs) * 1e-4, 9);
  });

  it('the header\'s time left: the queued stages, and the share of the running one its progress has not reached', () => {
    const c = defaultExperimentConfig('sig', 0);
    const state = (running: StageId, fraction: number, queued: StageId[], o: { clean?: boolean; liveStage?: 'clean' | 'attack' } = {}) =>
      ({
        stages: Object.fromEntries(STAGES.map((id) => [id, { status: id === running ? 'running' : queued.includes(id) ? 'queued' : 'done', progress: id === running ? { fraction } : null }])),
        current: { config: c, cleanBaseline: !!o.clean, timings: { zeroShot: 400 }, attack: running === 'attack' ? null : { trainSeconds: 8 } },
        live: running === 'attack' ? { attack: { stage: o.liveStage ?? 'attack', imagesPerSec: 1000 } } : {},
      }) as unknown as LabState;
    const rates = { train: 1e-3, eval: 2e-4 };
    const f = (stages: StageId[], clean = false) => forecastSeconds(stages, c, clean, rates);
    expect(timeLeft(state('tbar', 0.25, ['sweep', 'disentangle', 'ga']))).toBeCloseTo(f(['sweep', 'disentangle', 'ga']) + 0.75 * f(['tbar']), 9);
    expect(timeLeft(state('ga', 0.5, []))).toBeNull(); // nothing queued: the stage's own bar says it
    // The attack with the clean baseline, halfway through its first (clean) fine-tune: 1.5 of its 2 runs left.
    expect(timeLeft(state('attack', 0.5, ['tbar'], { clean: true, liveStage: 'clean' }))).toBeCloseTo(f(['tbar'], true) + 0.75 * f(['attack'], true), 9);
    expect(timeLeft(state('attack', 0.5, ['tbar'], { clean: true, liveStage: 'attack' }))).toBeCloseTo(f(['tbar'], true) + 0.25 * f(['attack'], true), 9);
    // Before the zero-shot score has a time, no forecast.
    const early = state('attack', 0.5, ['tbar']);
    (early.current as { timings: object }).timings = {};
    expect(timeLeft(early)).toBeNull();
  });

  it('"Run everything" is not forecast from a run of another model or backend', () => {
    const c = defaultExperimentConfig('sig', 0);
    const measured = { config: c, cleanBaseline: false, backend: 'wasm', timings: { zeroShot: 400 }, attack: { trainSeconds: 8 } };
    const hub = { ...c, model: { kind: 'hub' as const, repo: 'openai/clip-vit-base-patch32' } };
    expect(runAllSeconds({ config: hub, current: measured, mock: false, backend: { name: 'wasm' } } as unknown as LabState)).toBeNull();
    expect(runAllSeconds({ config: c, current: measured, mock: false, backend: { name: 'webgpu' } } as unknown as LabState)).toBeNull();
  });

  describe('against the engine', () => {
    let n = 0;
    const encode = ClipModel.prototype.encodeImage;
    ClipModel.prototype.encodeImage = function (this: ClipModel, ...args: Parameters<ClipModel['encodeImage']>) {
      n += args[0].shape[0];
      return encode.apply(this, args);
    };
    afterAll(() => {
      ClipModel.prototype.encodeImage = encode;
    });

    it('each stage\'s count is the images the session puts through the vision tower (from above, within the skipped target images)', async () => {
      const known = defaultExperimentConfig('sig', 0);
      known.splits = { train: 100, val: 40, test: 50, forget: 30 };
      known.attack = { ...known.attack, epochs: 2, batchSize: 32 };
      known.tbar = { ...known.tbar, epochs: 2, batchSize: 32 };
      known.sweep = { ...known.sweep, alphas: alphaGrid(2, 0.5) };
      known.disentangle = { range: 1, levels: [3, 5], samples: 20 };
      known.ga = { epochs: 2 };
      // TBAR+DECREE: the inversion, and the proxy's ASR in TBAR's per-epoch search and the sweep.
      const agnostic = { ...known, forget: { trigger: 'decree' as const, decree: { ...MICRO_DECREE, images: 20, steps: 4, batchSize: 8, restarts: 2 } } };
      const s = new ExperimentSession({ files: nodeFileSource() });
      try {
        await s.loadModel(known);
        await s.loadData(known);
        const stages: [StageId, ExperimentConfig, () => Promise<unknown>][] = [
          ['zeroShot', known, () => s.zeroShot(known)],
          ['attack', known, () => s.attack(known, true)],
          ['tbar', known, () => s.tbar(known)],
          ['sweep', known, () => s.sweep(known)],
          ['disentangle', known, () => s.disentangle(known)],
          ['ga', known, () => s.gradientAscent(known)],
          ['attack', agnostic, () => s.attack(agnostic, true)],
          ['decree', agnostic, () => s.decree(agnostic)],
          ['tbar', agnostic, () => s.tbar(agnostic)],
          ['sweep', agnostic, () => s.sweep(agnostic)],
        ];
        for (const [stage, c, run] of stages) {
          n = 0;
          await run();
          const w = stageWork(stage, c, true)!;
          const counted = n;
          const what = `${stage} (${c.forget?.trigger ?? 'known'}): counted ${counted}`;
          expect(w.train + w.eval, what).toBeGreaterThanOrEqual(counted);
          expect(w.train + w.eval, what).toBeLessThanOrEqual(counted * 1.1);
        }
      } finally {
        s.dispose();
      }
    });
  });
});
