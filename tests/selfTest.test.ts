import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/engine/backend';
import { runSelfTest, selfTestReference } from '../src/engine/selfTest';
import { tf } from '../src/engine/tf';

const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe('engine self-test', () => {
  afterAll(async () => {
    await selectBackend({ requested: 'wasm' });
  });

  const ref = selfTestReference({ seed: 1 });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`matches the float64 reference on ${backend}`, async () => {
      await selectBackend({ requested: backend });
      const before = tf.memory().numTensors;
      const r = await runSelfTest({ seed: 1 });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.backend).toBe(backend);
      expect(r.logits).toHaveLength(64);
      expect(maxAbsDiff(r.logits, ref.logits)).toBeLessThan(1e-4);
      expect(maxAbsDiff(r.probs, ref.probs)).toBeLessThan(1e-5);
      expect(Math.abs(r.checksum - ref.checksum)).toBeLessThan(1e-4);
      expect(r.probs.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    });
  }

  it('is seeded: another seed gives other numbers, the same seed the same ones', async () => {
    const a = await runSelfTest({ seed: 2, size: 16, depth: 3 });
    const b = await runSelfTest({ seed: 2, size: 16, depth: 3 });
    const c = await runSelfTest({ seed: 3, size: 16, depth: 3 });
    expect(b.logits).toEqual(a.logits);
    expect(maxAbsDiff(a.logits, c.logits)).toBeGreaterThan(1e-2);
  });

  it('the reference is not degenerate (logits spread, softmax not one-hot)', () => {
    expect(ref.checksum).toBeGreaterThan(0.1);
    expect(Math.max(...ref.probs)).toBeLessThan(0.99);
  });
});
