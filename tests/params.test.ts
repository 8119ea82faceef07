/**
 * The form's bounds (src/app/params.ts) against the engine's validation (validate.ts): every value the
 * form accepts must be one the engine runs, or a user can type a setting that stops every stage.
 */
import { describe, expect, it } from 'vitest';
import { alphaGridFromText, defaultExperimentConfig, MICRO_DECREE } from '../src/app/defaults';
import { ALL_NUMBER_FIELDS, checkNumber, setPath, type NumberField } from '../src/app/params';
import { configIssues } from '../src/engine/experiment/validate';

function engineIssuesAt(field: NumberField, value: number): string[] {
  let c = defaultExperimentConfig();
  if (field.path.startsWith('forget.')) c = { ...c, forget: { trigger: 'decree', decree: { ...MICRO_DECREE } } };
  return configIssues(setPath(c, field.path, value))
    .filter((i) => i.path === field.path)
    .map((i) => i.message);
}

describe('form fields', () => {
  it('every bound the form accepts, the engine accepts; every bound the form excludes, the engine refuses', () => {
    for (const f of ALL_NUMBER_FIELDS) {
      for (const [v, excluded] of [
        [f.min, f.exclusiveMin],
        [f.max, f.exclusiveMax],
      ] as const) {
        if (excluded) {
          expect(checkNumber(f, v), `${f.path} = ${v}`).not.toBeNull();
          expect(engineIssuesAt(f, v), `${f.path} = ${v} is refused by the engine, so the form excludes it`).not.toEqual([]);
        } else {
          expect(checkNumber(f, v), `${f.path} = ${v}`).toBeNull();
          expect(engineIssuesAt(f, v), `${f.path} = ${v}`).toEqual([]);
        }
      }
    }
  });

  it('says the bounds as the field shows them', () => {
    const poison = ALL_NUMBER_FIELDS.find((f) => f.path === 'attack.poisonRate')!;
    expect(checkNumber(poison, 0)).toBe('Poison rate must be above 0% and below 100%');
    expect(checkNumber(poison, 0.005)).toBeNull();
    const epochs = ALL_NUMBER_FIELDS.find((f) => f.path === 'attack.epochs')!;
    expect(checkNumber(epochs, 0)).toBe('Epochs must be at least 1 and at most 100');
    expect(checkNumber(epochs, 2.5)).toBe('Epochs must be a whole number');
  });
});

describe('the α grid fields', () => {
  const grid = (to: string, step: string) => alphaGridFromText(to, step);
  it('builds 0, step, …, to exactly when to is a whole number of steps', () => {
    expect(grid('3', '0.1')).toEqual({ alphas: Array.from({ length: 31 }, (_, i) => +(i * 0.1).toFixed(6)) });
    expect(grid('2', '0.5')).toEqual({ alphas: [0, 0.5, 1, 1.5, 2] });
    expect(grid('1', '1')).toEqual({ alphas: [0, 1] });
  });
  it('never moves the typed largest α, and refuses grids the engine or the link would refuse', () => {
    expect(grid('3', '10')).toEqual({ error: expect.stringMatching(/step 10 is larger than the largest α 3/) }); // was [0]
    expect(grid('3', '5')).toEqual({ error: expect.stringMatching(/larger than/) }); // was [0, 5]
    expect(grid('2.5', '0.7')).toEqual({ error: 'The largest α 2.5 is not a whole number of steps of 0.7: try 2.1 or 2.8, or another step.' });
    expect(grid('20', '0.3')).toEqual({ error: 'The largest α 20 is not a whole number of steps of 0.3: try 19.8, or another step.' }); // 20.1 > 20
    expect(grid('3', 'Infinity')).toEqual({ error: expect.stringMatching(/step must be a number above 0/) });
    expect(grid('3', '')).toEqual({ error: expect.stringMatching(/step must be a number above 0/) });
    expect(grid('0', '0.1')).toEqual({ error: expect.stringMatching(/largest α must be a number above 0/) });
    expect(grid('20', '0.01')).toEqual({ error: expect.stringMatching(/2001 values of α; at most 401/) });
  });
});
