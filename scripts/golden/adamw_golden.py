#!/usr/bin/python3
"""Torch references for the training machinery (src/engine/train/*).

Run with the interpreter that has torch (1.13 here):  /usr/bin/python3 scripts/golden/adamw_golden.py
Writes tests/fixtures/adamw/*.json (small; committed). CI compares against them, never runs this.

- steps.json     torch.optim.AdamW (foreach=False) on fixed parameters with fixed per-step gradients,
                 lr from task_vectors' cosine_lr; params/moments after every step; one variable gets
                 no gradient at one step (torch skips it entirely); a second run with clip_grad_norm_.
- schedule.json  task_vectors' cosine_lr for several (base_lr, warmup, steps) configs.
- losses.json    F.cross_entropy and CLIP's symmetric contrastive loss: values and input gradients.
- mlp.json       end-to-end: a 2-layer ReLU MLP, full-batch, AdamW(wd 0.1) + cosine warmup + clip 1.0,
                 descent and ascent (maximize=True); per-step losses, grad norms and final weights.
All tensors are float32; JSON numbers are the exact float32 values.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'adamw')
os.makedirs(OUT, exist_ok=True)


# --- task_vectors src/utils.py: cosine_lr (verbatim logic; param groups replaced by a list) ----------
def _warmup_lr(base_lr, warmup_length, step):
    return base_lr * (step + 1) / warmup_length


def cosine_lr_value(base_lr, warmup_length, steps, step):
    if step < warmup_length:
        lr = _warmup_lr(base_lr, warmup_length, step)
    else:
        e = step - warmup_length
        es = steps - warmup_length
        lr = 0.5 * (1 + np.cos(np.pi * e / es)) * base_lr
    return float(lr)


def f32list(t):
    return [float(x) for x in t.detach().numpy().astype(np.float32).reshape(-1)]


def tensor_json(t):
    return {'shape': list(t.shape), 'data': f32list(t)}


def dump(name, obj):
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    print('wrote', name)


rng = np.random.default_rng(20240607)


def randn(*shape, scale=1.0):
    return torch.from_numpy((rng.standard_normal(shape) * scale).astype(np.float32))


# --- schedule ---------------------------------------------------------------------------------------
sched = []
for base_lr, warmup, steps in [(1e-5, 500, 2000), (1e-3, 0, 10), (0.05, 3, 12), (1e-5, 500, 96), (2e-4, 7, 8)]:
    sched.append({'baseLr': base_lr, 'warmupSteps': warmup, 'totalSteps': steps,
                  'lrs': [cosine_lr_value(base_lr, warmup, steps, s) for s in range(steps)]})
dump('schedule.json', sched)


# --- AdamW on fixed gradients -----------------------------------------------------------------------
def adamw_run(clip):
    torch.manual_seed(0)
    shapes = {'w': (3, 4), 'b': (4,), 'c': (2, 2, 3), 'tiny': (5,)}
    init = {k: randn(*s) for k, s in shapes.items()}
    params = {k: torch.nn.Parameter(v.clone()) for k, v in init.items()}
    names = list(shapes)
    cfg = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    opt = torch.optim.AdamW([params[k] for k in names], lr=0.0, foreach=False, **cfg)
    base_lr, warmup, total = 0.02, 3, 8
    steps = []
    for s in range(total):
        lr = cosine_lr_value(base_lr, warmup, total, s)
        for g in opt.param_groups:
            g['lr'] = lr
        grads = {}
        for k in names:
            if k == 'c' and s == 4:
                grads[k] = None  # no gradient this step: torch skips the parameter entirely
                params[k].grad = None
                continue
            scale = 1e-7 if k == 'tiny' else (3.0 if clip else 1.0)  # 'tiny': eps matters
            g = randn(*shapes[k], scale=scale)
            grads[k] = g
            params[k].grad = g.clone()
        total_norm = None
        if clip:
            total_norm = float(torch.nn.utils.clip_grad_norm_([params[k] for k in names], 1.0))
        opt.step()
        steps.append({
            'lr': lr,
            'grads': {k: (f32list(g) if g is not None else None) for k, g in grads.items()},
            'totalNorm': total_norm,
            'params': {k: f32list(params[k]) for k in names},
            'expAvg': {k: f32list(opt.state[params[k]]['exp_avg']) for k in names},
            'expAvgSq': {k: f32list(opt.state[params[k]]['exp_avg_sq']) for k in names},
            'stepCount': {k: int(opt.state[params[k]]['step']) for k in names},
        })
    return {'config': {'betas': list(cfg['betas']), 'eps': cfg['eps'], 'weightDecay': cfg['weight_decay'],
                       'baseLr': base_lr, 'warmupSteps': warmup, 'totalSteps': total, 'maxGradNorm': 1.0 if clip else None},
            'init': {k: tensor_json(v) for k, v in init.items()}, 'steps': steps}


dump('steps.json', {'plain': adamw_run(False), 'clipped': adamw_run(True)})


# --- losses -----------------------------------------------------------------------------------------
def ce_case(logits_np, labels):
    logits = torch.tensor(logits_np, dtype=torch.float32, requires_grad=True)
    y = torch.tensor(labels, dtype=torch.long)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    return {'logits': tensor_json(logits), 'labels': labels, 'loss': float(loss), 'grad': f32list(logits.grad)}


def clip_case(logits_np):
    logits = torch.tensor(logits_np, dtype=torch.float32, requires_grad=True)
    n = logits.shape[0]
    target = torch.arange(n)
    loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
    loss.backward()
    return {'logits': tensor_json(logits), 'loss': float(loss), 'grad': f32list(logits.grad)}


ce = [
    ce_case(rng.standard_normal((5, 7)).astype(np.float32) * 2, [0, 6, 3, 3, 1]),
    ce_case((rng.standard_normal((4, 3)) * 1000).astype(np.float32), [2, 0, 1, 1]),  # huge logits: stability
    ce_case(np.zeros((3, 10), np.float32), [9, 0, 4]),  # uniform: loss = ln 10
]
clipl = [
    clip_case((rng.standard_normal((6, 6)) * 3).astype(np.float32)),
    clip_case((100 * np.eye(4) + rng.standard_normal((4, 4))).astype(np.float32)),
    clip_case(rng.standard_normal((1, 1)).astype(np.float32)),
]
dump('losses.json', {'crossEntropy': ce, 'clipContrastive': clipl})


# --- end-to-end: 2-layer MLP, full batch ------------------------------------------------------------
def mlp_run(maximize, steps, base_lr, warmup):
    n, d, h, c = 32, 8, 16, 4
    X = randn(n, d)
    y = torch.from_numpy(rng.integers(0, c, size=n).astype(np.int64))
    init = {
        'fc1.weight': randn(h, d, scale=0.8),
        'fc1.bias': randn(h, scale=0.1),
        'fc2.weight': randn(c, h, scale=0.8),
        'fc2.bias': randn(c, scale=0.1),
    }
    P = {k: torch.nn.Parameter(v.clone()) for k, v in init.items()}
    names = list(init)
    opt = torch.optim.AdamW([P[k] for k in names], lr=0.0, weight_decay=0.1, foreach=False, maximize=maximize)
    losses, norms, lrs = [], [], []
    for s in range(steps):
        lr = cosine_lr_value(base_lr, warmup, steps, s)
        for g in opt.param_groups:
            g['lr'] = lr
        opt.zero_grad()
        hid = torch.relu(X @ P['fc1.weight'].t() + P['fc1.bias'])
        logits = hid @ P['fc2.weight'].t() + P['fc2.bias']
        loss = F.cross_entropy(logits, y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_([P[k] for k in names], 1.0)
        opt.step()
        losses.append(float(loss))
        norms.append(float(norm))
        lrs.append(lr)
    return {'X': tensor_json(X), 'y': [int(v) for v in y], 'init': {k: tensor_json(v) for k, v in init.items()},
            'config': {'baseLr': base_lr, 'warmupSteps': warmup, 'steps': steps, 'weightDecay': 0.1, 'maxGradNorm': 1.0},
            'losses': losses, 'gradNorms': norms, 'lrs': lrs, 'final': {k: tensor_json(P[k]) for k in names}}


dump('mlp.json', {'descent': mlp_run(False, 12, 0.05, 3), 'ascent': mlp_run(True, 6, 0.01, 2)})
