#!/usr/bin/python3
"""Golden reference for src/engine/clip/model.ts: a small random CLIP in Hugging Face layout and its
outputs computed with torch's own building blocks (F.conv2d for the patch embedding, F.layer_norm,
F.multi_head_attention_forward with a causal attn_mask for the text tower), in float64.

Run with the system python that has torch (1.13 here), from the repository root:
    /usr/bin/python3 scripts/golden/clip_golden.py
Writes tests/fixtures/clip-golden/:
    config.json                  quick_gelu in both towers (the CLIP default)
    config_gelu.json             same architecture, hidden_act "gelu" (exact erf)
    config_gelu_tanh.json        same architecture, hidden_act "gelu_pytorch_tanh"
    model.safetensors            F32 weights + the int64 *.position_ids buffers HF checkpoints may carry
    model.bf16.safetensors       the same weights rounded to BF16
    inputs.json                  pixels NHWC [3, 32, 32, 3], ids [4, 16], eot positions [4]
    outputs*.json                image_embeds, text_embeds, logits_per_image per config / weight file
CI runs the comparison (tests/clip.golden.test.ts), never this generator.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "clip-golden")

VISION = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              image_size=32, patch_size=8, hidden_act="quick_gelu", layer_norm_eps=1e-5, num_channels=3)
TEXT = dict(vocab_size=512, hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=16, hidden_act="quick_gelu", layer_norm_eps=1e-5,
            bos_token_id=510, eos_token_id=511, pad_token_id=0)
PROJ = 32
LOGIT_SCALE = 3.2  # differs from logit_scale_init_value: the checkpoint's value must be used


def config_json(act):
    return {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": PROJ,
        "logit_scale_init_value": 2.6592, "initializer_factor": 1.0, "torch_dtype": "float32",
        "vision_config": {**VISION, "hidden_act": act, "model_type": "clip_vision_model"},
        "text_config": {**TEXT, "hidden_act": act, "model_type": "clip_text_model"},
    }


def make_weights(gen):
    """HF names and shapes; scales chosen so attention is far from uniform and LayerNorms matter."""
    w = {}

    def normal(shape, std):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * std).float()

    def encoder(prefix, D, I, L):
        for i in range(L):
            p = f"{prefix}.encoder.layers.{i}"
            for n in ["k_proj", "v_proj", "q_proj", "out_proj"]:
                w[f"{p}.self_attn.{n}.weight"] = normal((D, D), 1.5 / math.sqrt(D))
                w[f"{p}.self_attn.{n}.bias"] = normal((D,), 0.1)
            w[f"{p}.layer_norm1.weight"] = 1 + normal((D,), 0.2)
            w[f"{p}.layer_norm1.bias"] = normal((D,), 0.1)
            w[f"{p}.mlp.fc1.weight"] = normal((I, D), 1.0 / math.sqrt(D))
            w[f"{p}.mlp.fc1.bias"] = normal((I,), 0.1)
            w[f"{p}.mlp.fc2.weight"] = normal((D, I), 1.0 / math.sqrt(I))
            w[f"{p}.mlp.fc2.bias"] = normal((D,), 0.1)
            w[f"{p}.layer_norm2.weight"] = 1 + normal((D,), 0.2)
            w[f"{p}.layer_norm2.bias"] = normal((D,), 0.1)

    t, v = TEXT, VISION
    Dt, Dv, P = t["hidden_size"], v["hidden_size"], v["patch_size"]
    w["text_model.embeddings.token_embedding.weight"] = normal((t["vocab_size"], Dt), 0.5)
    w["text_model.embeddings.position_embedding.weight"] = normal((t["max_position_embeddings"], Dt), 0.3)
    encoder("text_model", Dt, t["intermediate_size"], t["num_hidden_layers"])
    w["text_model.final_layer_norm.weight"] = 1 + normal((Dt,), 0.2)
    w["text_model.final_layer_norm.bias"] = normal((Dt,), 0.1)
    w["vision_model.embeddings.class_embedding"] = normal((Dv,), 0.5)
    w["vision_model.embeddings.patch_embedding.weight"] = normal((Dv, 3, P, P), 1.0 / math.sqrt(3 * P * P))
    n_pos = (v["image_size"] // P) ** 2 + 1
    w["vision_model.embeddings.position_embedding.weight"] = normal((n_pos, Dv), 0.3)
    w["vision_model.pre_layrnorm.weight"] = 1 + normal((Dv,), 0.2)
    w["vision_model.pre_layrnorm.bias"] = normal((Dv,), 0.1)
    encoder("vision_model", Dv, v["intermediate_size"], v["num_hidden_layers"])
    w["vision_model.post_layernorm.weight"] = 1 + normal((Dv,), 0.2)
    w["vision_model.post_layernorm.bias"] = normal((Dv,), 0.1)
    w["visual_projection.weight"] = normal((PROJ, Dv), 1.0 / math.sqrt(Dv))
    w["text_projection.weight"] = normal((PROJ, Dt), 1.0 / math.sqrt(Dt))
    w["logit_scale"] = torch.tensor(LOGIT_SCALE, dtype=torch.float32)
    return w


def to_bf16(t):
    """Round-to-nearest-even to bfloat16, returned as float32 values and raw uint16 bits."""
    b = t.to(torch.bfloat16)
    return b.float(), b.view(torch.int16).numpy().view(np.uint16)


def write_safetensors(path, entries, metadata):
    """entries: list of (name, dtype string, shape, raw bytes). Format: u64 header len, JSON, data."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header, separators=(",", ":"))
    h += " " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h.encode())
        for b in blobs:
            f.write(b)


# ---- reference forward (float64, torch building blocks) ----------------------------------------

def act_fn(name):
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return lambda x: F.gelu(x)
    if name == "gelu_pytorch_tanh":
        return lambda x: F.gelu(x, approximate="tanh")
    raise ValueError(name)


def encoder(x, w, prefix, cfg, attn_mask):
    """x [B, T, D]; torch's multi-head attention with the HF q/k/v/out weights."""
    D, H, eps, act = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"], act_fn(cfg["hidden_act"])
    for i in range(cfg["num_hidden_layers"]):
        p = f"{prefix}.encoder.layers.{i}."
        g = lambda n: w[p + n]
        h = F.layer_norm(x, (D,), g("layer_norm1.weight"), g("layer_norm1.bias"), eps)
        hT = h.transpose(0, 1)  # [T, B, D]
        a, _ = F.multi_head_attention_forward(
            hT, hT, hT, D, H,
            torch.cat([g("self_attn.q_proj.weight"), g("self_attn.k_proj.weight"), g("self_attn.v_proj.weight")]),
            torch.cat([g("self_attn.q_proj.bias"), g("self_attn.k_proj.bias"), g("self_attn.v_proj.bias")]),
            None, None, False, 0.0, g("self_attn.out_proj.weight"), g("self_attn.out_proj.bias"),
            training=False, need_weights=False, attn_mask=attn_mask)
        x = x + a.transpose(0, 1)
        h = F.layer_norm(x, (D,), g("layer_norm2.weight"), g("layer_norm2.bias"), eps)
        x = x + F.linear(act(F.linear(h, g("mlp.fc1.weight"), g("mlp.fc1.bias"))), g("mlp.fc2.weight"), g("mlp.fc2.bias"))
    return x


def forward(w32, vcfg, tcfg, pixels_nhwc, ids, eot):
    w = {k: v.double() for k, v in w32.items()}
    # vision
    D, eps, P = vcfg["hidden_size"], vcfg["layer_norm_eps"], vcfg["patch_size"]
    px = torch.from_numpy(pixels_nhwc).double().permute(0, 3, 1, 2)  # NCHW
    patches = F.conv2d(px, w["vision_model.embeddings.patch_embedding.weight"], stride=P)  # [B, D, g, g]
    patches = patches.flatten(2).transpose(1, 2)
    B = px.shape[0]
    cls = w["vision_model.embeddings.class_embedding"].expand(B, 1, D)
    x = torch.cat([cls, patches], 1) + w["vision_model.embeddings.position_embedding.weight"]
    x = F.layer_norm(x, (D,), w["vision_model.pre_layrnorm.weight"], w["vision_model.pre_layrnorm.bias"], eps)
    x = encoder(x, w, "vision_model", vcfg, None)
    pooled = F.layer_norm(x[:, 0], (D,), w["vision_model.post_layernorm.weight"], w["vision_model.post_layernorm.bias"], eps)
    image_embeds = pooled @ w["visual_projection.weight"].T
    # text
    Dt, L = tcfg["hidden_size"], ids.shape[1]
    ids_t = torch.from_numpy(ids).long()
    x = F.embedding(ids_t, w["text_model.embeddings.token_embedding.weight"]) + w["text_model.embeddings.position_embedding.weight"][:L]
    causal = torch.triu(torch.full((L, L), float("-inf"), dtype=torch.float64), 1)
    x = encoder(x, w, "text_model", tcfg, causal)
    x = F.layer_norm(x, (Dt,), w["text_model.final_layer_norm.weight"], w["text_model.final_layer_norm.bias"], tcfg["layer_norm_eps"])
    pooled = x[torch.arange(x.shape[0]), torch.from_numpy(eot).long()]
    text_embeds = pooled @ w["text_projection.weight"].T
    # logits_per_image
    ni = image_embeds / image_embeds.norm(dim=-1, keepdim=True)
    nt = text_embeds / text_embeds.norm(dim=-1, keepdim=True)
    logits = w["logit_scale"].exp() * ni @ nt.T
    return {"image_embeds": image_embeds.tolist(), "text_embeds": text_embeds.tolist(), "logits_per_image": logits.tolist()}


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20240601)
    w32 = make_weights(gen)
    rng = np.random.default_rng(7)

    # Inputs. Pixels are multiples of 1/64 in [-2, 2): exact in float32 and short in JSON.
    pixels = (rng.integers(-128, 128, size=(3, 32, 32, 3)) / 64.0).astype(np.float32)
    L, eos, bos = TEXT["max_position_embeddings"], TEXT["eos_token_id"], TEXT["bos_token_id"]
    ids = np.zeros((4, L), dtype=np.int64)
    lengths = [7, 5, L, 2]  # incl. bos and eos; row 3 is "bos eos"
    for r, n in enumerate(lengths):
        ids[r, 0] = bos
        ids[r, 1:n - 1] = rng.integers(1, 500, size=n - 2)
        ids[r, n - 1] = eos
    ids[1, 5:] = eos  # padded with the eos id: the FIRST eos must be pooled
    eot = np.array([n - 1 for n in lengths], dtype=np.int64)
    with open(os.path.join(OUT, "inputs.json"), "w") as f:
        json.dump({"pixels_shape": list(pixels.shape), "pixels": [float(v) for v in pixels.reshape(-1)],
                   "ids": ids.tolist(), "eot_index": eot.tolist()}, f, separators=(",", ":"))

    # Weight files.
    order = list(w32.keys())
    pos_ids = [("text_model.embeddings.position_ids", torch.arange(L)),
               ("vision_model.embeddings.position_ids", torch.arange((VISION["image_size"] // VISION["patch_size"]) ** 2 + 1))]
    entries = [(n, "F32", tuple(w32[n].shape), w32[n].numpy().astype("<f4").tobytes()) for n in order]
    entries += [(n, "I64", (1, t.numel()), t.numpy().astype("<i8").tobytes()) for n, t in pos_ids]
    write_safetensors(os.path.join(OUT, "model.safetensors"), entries, {"format": "pt"})
    w_bf16, bf16_entries = {}, []
    for n in order:
        vals, bits = to_bf16(w32[n])
        w_bf16[n] = vals
        bf16_entries.append((n, "BF16", tuple(w32[n].shape), bits.astype("<u2").tobytes()))
    write_safetensors(os.path.join(OUT, "model.bf16.safetensors"), bf16_entries, {"format": "pt"})

    # Configs and outputs.
    variants = [("", "quick_gelu", w32), ("_gelu", "gelu", w32), ("_gelu_tanh", "gelu_pytorch_tanh", w32), ("_bf16", "quick_gelu", w_bf16)]
    for suffix, act, weights in variants:
        cfg = config_json(act)
        if suffix != "_bf16":
            with open(os.path.join(OUT, f"config{suffix}.json"), "w") as f:
                json.dump(cfg, f, indent=2)
        out = forward(weights, cfg["vision_config"], cfg["text_config"], pixels, ids, eot)
        with open(os.path.join(OUT, f"outputs{suffix}.json"), "w") as f:
            json.dump(out, f)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
