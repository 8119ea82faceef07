/**
 * tfjs's WebGPU backend in Node, through Dawn (npm `webgpu`, the WebGPU inside Chrome) on Chromium's
 * SwiftShader: the engine's sums over many tensors (webgpuAddN.ts) and the chunking itself; giving
 * back the buffers tfjs keeps (webgpuMemory.ts).
 *
 * The Dawn checks run in a child process (tests/dawn/checks.ts): Dawn loads Chromium's
 * Vulkan loader through LD_LIBRARY_PATH, which a running process cannot change. They need Debian
 * Chromium (`.ci/run` installs it); without it they are skipped here, and fail under CI=true.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addInChunks, addNChunkSize } from '../src/engine/webgpuAddN';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_LIB = '/usr/lib/chromium';
const haveSwiftShader = existsSync(path.join(CHROMIUM_LIB, 'libvulkan.so.1')) && existsSync(path.join(CHROMIUM_LIB, 'vk_swiftshader_icd.json'));

describe('addInChunks (the AddN split)', () => {
  it('adds 1…41 in chunks of 11 to 861, in three dispatches of ≤ 11, and frees only its partial sums', () => {
    const calls: number[][] = [];
    const released: number[] = [];
    let id = 1000;
    const values = new Map<number, number>(); // partial-sum id → value
    const val = (x: number) => values.get(x) ?? x;
    const inputs = Array.from({ length: 41 }, (_, i) => i + 1);
    const out = addInChunks(
      inputs,
      11,
      (xs) => {
        calls.push(xs);
        const s = ++id;
        values.set(s, xs.reduce((a, x) => a + val(x), 0));
        return s;
      },
      (x) => released.push(x),
    );
    expect(val(out)).toBe(861);
    // Level 1: 11 + 11 + 11 + 8 inputs; level 2: the 4 partial sums.
    expect(calls.map((c) => c.length)).toEqual([11, 11, 11, 8, 4]);
    expect(calls.every((c) => c.length <= 11)).toBe(true);
    expect(released.sort()).toEqual([1001, 1002, 1003, 1004]);
    expect(released.some((x) => inputs.includes(x))).toBe(false);
  });

  it('carries a lone last input to the next level without adding or freeing it', () => {
    const calls: string[][] = [];
    const released: string[] = [];
    const out = addInChunks(['a', 'b', 'c', 'd', 'e'], 2, (xs) => (calls.push(xs), `(${xs.join('+')})`), (x) => released.push(x));
    expect(out).toBe('(((a+b)+(c+d))+e)');
    expect(calls.every((c) => c.length === 2)).toBe(true);
    expect(released).toEqual(['(a+b)', '(c+d)', '((a+b)+(c+d))']);
  });

  it('binds (limit − 1) inputs per dispatch, and WebGPU’s guaranteed 8 when the limit is unknown', () => {
    expect(addNChunkSize(16)).toBe(15);
    expect(addNChunkSize(12)).toBe(11);
    expect(addNChunkSize(undefined)).toBe(7);
    expect(addNChunkSize(2)).toBe(2);
    expect(() => addInChunks([1, 2], 1, (xs) => xs[0], () => {})).toThrow(/chunk must be ≥ 2/);
  });
});

interface Measured {
  got: number;
  want: number;
}
interface GpuBytes {
  inUse: number;
  allocated: number;
}
/** tests/dawn/checks.ts's JSON line. */
interface DawnChecks {
  backend: string;
  maxStorageBuffersPerShaderStage: number;
  addN: Measured;
  norm: Measured;
  dot: Measured;
  gradNorm: Measured;
  loss: Measured;
  pool: { pooled: GpuBytes; released: number; afterRelease: GpuBytes; sumAfterRelease: number; pooledAgain: GpuBytes };
}

/** Run tests/dawn/checks.ts once for the tests below. */
let dawnResult: DawnChecks | undefined;
function dawnChecks(): DawnChecks {
  expect(haveSwiftShader, `Debian Chromium's SwiftShader is missing from ${CHROMIUM_LIB}`).toBe(true);
  dawnResult ??= JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', 'tests/dawn/checks.ts'], {
      cwd: ROOT,
      env: { ...process.env, LD_LIBRARY_PATH: CHROMIUM_LIB, VK_ICD_FILENAMES: path.join(CHROMIUM_LIB, 'vk_swiftshader_icd.json') },
      encoding: 'utf8',
      timeout: 120_000,
    })
      .trim()
      .split('\n')
      .at(-1)!,
  );
  return dawnResult!;
}

describe.skipIf(!haveSwiftShader && process.env.CI !== 'true')('the engine on WebGPU in Node (Dawn + SwiftShader)', () => {
  it('sums over 40 tensors right: addN, task-vector norm and dot, the training loop’s gradient norm', () => {
    const r = dawnChecks();
    expect(r.backend).toBe('webgpu');
    // More inputs than one shader may bind: the case that read 0 before the split.
    expect(r.maxStorageBuffersPerShaderStage).toBeLessThan(41);
    for (const k of ['addN', 'norm', 'dot', 'gradNorm', 'loss'] as const) {
      expect(Math.abs(r[k].got - r[k].want) / r[k].want, `${k}: got ${r[k].got}, want ${r[k].want}`).toBeLessThan(1e-6);
    }
  });

  it('gives back the buffers tfjs keeps after tensors are disposed, and keeps working after', () => {
    const { pooled, released, afterRelease, sumAfterRelease, pooledAgain } = dawnChecks().pool;
    const MiB = 2 ** 20;
    // 1 + 2 + 3 MiB of disposed tensors (and their 2× intermediates) stay allocated in tfjs's pool.
    expect(pooled.allocated - pooled.inUse).toBeGreaterThanOrEqual(6 * MiB);
    expect(released).toBe(pooled.allocated - pooled.inUse);
    expect(afterRelease.allocated).toBe(afterRelease.inUse);
    expect(sumAfterRelease).toBe(2000);
    // Buffers still go back to the pool after a release (tfjs stops pooling once its Map is empty).
    expect(pooledAgain.allocated - pooledAgain.inUse).toBeGreaterThanOrEqual(6 * MiB);
  });
});
