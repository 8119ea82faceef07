"""Golden references for src/engine/triggers/wanet.ts, computed with PyTorch.

Run with /usr/bin/python3 (torch 1.13):  /usr/bin/python3 scripts/golden/wanet_golden.py
Writes tests/fixtures/wanet/<case>.json. The WaNet construction is the one in CleanCLIP
backdoor/utils.py `apply_trigger(patch_type='warped')`, with input_height = S and a given k, s:
  ins = rand(1, 2, k, k)·2 − 1;  ins = ins / mean(|ins|)
  noise_grid = F.interpolate(ins, size=S, mode='bicubic', align_corners=True).permute(0, 2, 3, 1)
  identity_grid = stack((y, x), 2) of meshgrid(linspace(−1, 1, S))
  grid = clamp((identity_grid + s·noise_grid / S)·grid_rescale, −1, 1)
  out = F.grid_sample(x, grid, align_corners=True)      (bilinear, zero padding)
The raw `ins` (before the mean-|ins| normalisation) is exported so the TS test injects it.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'wanet')


def fmt(t):
    # %.9g round-trips float32 exactly.
    return [float('%.9g' % v) for v in t.reshape(-1).tolist()]


def case(name, size, k, s, grid_rescale=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    ins_raw = torch.rand(1, 2, k, k, generator=g) * 2 - 1
    image = torch.rand(1, 3, size, size, generator=g)  # NCHW in [0, 1)

    ins = ins_raw / torch.mean(torch.abs(ins_raw))
    up = F.interpolate(ins, size=size, mode='bicubic', align_corners=True)  # [1, 2, S, S]
    noise_grid = up.permute(0, 2, 3, 1)
    array1d = torch.linspace(-1, 1, steps=size)
    x, y = torch.meshgrid(array1d, array1d, indexing='ij')
    identity_grid = torch.stack((y, x), 2)[None, ...]
    grid = torch.clamp((identity_grid + s * noise_grid / size) * grid_rescale, -1, 1)
    out = F.grid_sample(image, grid, mode='bilinear', padding_mode='zeros', align_corners=True)

    data = {
        'source': 'scripts/golden/wanet_golden.py, torch ' + torch.__version__,
        'size': size, 'k': k, 's': s, 'gridRescale': grid_rescale,
        'ins': fmt(ins_raw[0]),                      # [2, k, k] raw U[-1, 1)
        'noiseGrid': fmt(up[0]),                     # [2, S, S] after bicubic (channel 0 = column offset)
        'image': fmt(image[0].permute(1, 2, 0)),     # [S, S, 3] NHWC
        'output': fmt(out[0].permute(1, 2, 0)),      # [S, S, 3] NHWC
    }
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(data, f, separators=(',', ':'))
    print(name, 'max |out − in| =', float((out - image).abs().max()))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    case('s32_k4_s1', 32, 4, 1.0, seed=1)
    case('s32_k32_s1', 32, 32, 1.0, seed=2)
    case('s32_k4_s8', 32, 4, 8.0, seed=3)            # strong warp: exercises the clamp at the border
    case('s7_k3_s3_r09', 7, 3, 3.0, 0.9, seed=4)     # small odd size, grid_rescale ≠ 1
