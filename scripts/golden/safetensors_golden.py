#!/usr/bin/python3
"""Golden safetensors files, written and read with an independent implementation of the format.

Run with /usr/bin/python3 (torch 1.13, numpy) from the repository root:

    /usr/bin/python3 scripts/golden/safetensors_golden.py          # fixtures + TS-writer cross-check
    /usr/bin/python3 scripts/golden/safetensors_golden.py --no-ts  # fixtures only

The `safetensors` Python package is not installed here, so this file implements the published format
(https://github.com/huggingface/safetensors, "Format") with struct + json:
  u64 little-endian header length N · N bytes UTF-8 JSON header · contiguous little-endian data.
Tensor values come from torch (float16 / bfloat16 casts, float64 → float32 rounding); the expected
float32 results are stored as uint32 bit patterns in expected.json, so NaN/Inf/-0 compare exactly.

Outputs (tests/fixtures/safetensors/):
  mixed.safetensors       F32, F16, BF16, F64 + I64/I32/U8/BOOL/U16 buffers; header keys in a different
                          order than the data layout; non-ASCII names and metadata; scalar; empty tensor.
  unaligned.safetensors   header not padded (odd N) and a 2-byte U8 tensor first: every float tensor
                          sits at an unaligned address (exercises the byte-wise decode paths).
  sharded/                model.safetensors.index.json + two shards (HF layout).
  expected.json           per file: metadata, skipped names, float tensors {dtype, shape, bits}; plus
                          f32_to_f16: [float32 bits, torch float16 bits] pairs for the writer's F16 path.

Cross-check (not run in CI): scripts/golden/safetensors_ts_sample.ts writes files with our TS writer into
scratch/; this script reads them with its own reader and checks values, padding and byte lengths.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "safetensors")

DTYPE_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
              "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1}
NP_DTYPE = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
            "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
FLOAT = {"F64", "F32", "F16", "BF16"}


# ------------------------------------------------------------------------------------------------
# independent writer / reader

def tensor_bytes(dtype, t):
    """Little-endian raw bytes of a torch tensor or numpy array in the given safetensors dtype."""
    if dtype == "BF16":
        assert t.dtype == torch.bfloat16
        return t.contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
    arr = t.numpy() if isinstance(t, torch.Tensor) else t
    return np.ascontiguousarray(arr).astype(NP_DTYPE[dtype]).tobytes()


def write_file(path, entries, metadata=None, key_order=None, pad=True, ensure_ascii=False):
    """entries: list of (name, dtype, shape, raw bytes) in DATA order; key_order: header key order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offsets = {}
    pos = 0
    for name, dtype, shape, raw in entries:
        n = int(np.prod(shape)) if len(shape) else 1
        assert len(raw) == n * DTYPE_SIZE[dtype], name
        offsets[name] = (dtype, list(shape), [pos, pos + len(raw)])
        pos += len(raw)
    for name in key_order or [e[0] for e in entries]:
        dtype, shape, off = offsets[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": off}
    hb = json.dumps(header, ensure_ascii=ensure_ascii, separators=(",", ":")).encode("utf-8")
    if pad:
        hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for _, _, _, raw in entries:
            f.write(raw)


def no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in header")
    return dict(pairs)


def read_file(path):
    """Strict reader per the spec; returns (metadata, {name: (dtype, shape, float32 torch tensor | None)}, N)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    assert n <= 100_000_000 and 8 + n <= len(buf), "bad header length"
    text = buf[8:8 + n].decode("utf-8")
    assert text.startswith("{"), "header must start with {"
    header = json.loads(text, object_pairs_hook=no_duplicate_keys)
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    data = buf[8 + n:]
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items())
    pos = 0
    for b, e, k in spans:
        assert b == pos and e >= b, f"non-contiguous data at {k}"
        pos = e
    assert pos == len(data), "data section not fully indexed"
    out = {}
    for name, v in header.items():
        dtype, shape, (b, e) = v["dtype"], v["shape"], v["data_offsets"]
        count = int(np.prod(shape)) if len(shape) else 1
        assert e - b == count * DTYPE_SIZE[dtype], f"{name}: shape/bytes mismatch"
        raw = data[b:e]
        if dtype not in FLOAT:
            out[name] = (dtype, shape, None)
        elif dtype == "BF16":
            i16 = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy())
            out[name] = (dtype, shape, i16.view(torch.bfloat16).float().reshape(shape))
        else:
            arr = np.frombuffer(raw, dtype=NP_DTYPE[dtype]).copy()
            out[name] = (dtype, shape, torch.from_numpy(arr).float().reshape(shape))
    return metadata, out, n


def bits(t):
    """float32 tensor → list of uint32 bit patterns (row-major)."""
    return [int(x) for x in t.contiguous().reshape(-1).numpy().astype("<f4").view("<u4")]


def expected_of(path):
    metadata, tensors, _ = read_file(path)
    floats = {name: {"dtype": d, "shape": s, "bits": bits(t)} for name, (d, s, t) in tensors.items() if t is not None}
    skipped = sorted(name for name, (_, _, t) in tensors.items() if t is None)
    return {"metadata": metadata, "tensors": floats, "skipped": skipped}


# ------------------------------------------------------------------------------------------------
# fixture contents

def f16_from_bits(b):
    return torch.from_numpy(np.array(b, dtype=np.uint16).view(np.int16)).view(torch.float16)


def bf16_from_bits(b):
    return torch.from_numpy(np.array(b, dtype=np.uint16).view(np.int16)).view(torch.bfloat16)


def mixed_entries(g):
    inf, nan = float("inf"), float("nan")
    f32_special = torch.tensor([0.0, -0.0, 1.0, -2.5, 1e-45, 1.1754942e-38, 3.4028235e38, inf, -inf, nan, 0.1, 123456.789],
                               dtype=torch.float32)
    f32_a = torch.cat([f32_special, torch.randn(12, generator=g)]).reshape(4, 6)
    f16_special = f16_from_bits([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x3C01, 0x7BFF, 0xFBFF,
                                 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00, 0x3555, 0xC000])
    f16_b = torch.cat([f16_special, (torch.randn(47, generator=g) * 3).half()]).reshape(3, 21)
    bf16_special = bf16_from_bits([0x0000, 0x8000, 0x0001, 0x3F80, 0xBF80, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x3EAA])
    bf16_c = torch.cat([bf16_special, torch.randn(14, generator=g).to(torch.bfloat16)]).reshape(2, 3, 4)
    f64_d = torch.tensor([1.0 / 3.0, 1e300, -1e300, 1e-50, 1.0 + 2.0 ** -24, 1.0 + 3 * 2.0 ** -24,
                          3.4028235677973366e38, 3.4028236e38, -0.0, float("nan"), 2.0 ** -149, 2.0 ** -150,
                          2.0 ** -150 * 1.5, 7.0], dtype=torch.float64).reshape(2, 7)
    scalar = torch.tensor(4.605170249938965, dtype=torch.float32)
    nonascii = torch.randn(2, 2, generator=g)
    empty = torch.zeros(0, 3, dtype=torch.float32)
    pos_ids = torch.arange(7, dtype=torch.int64).reshape(1, 7)
    entries = [  # data order (not the header's key order)
        ("f64.d", "F64", [2, 7], tensor_bytes("F64", f64_d)),
        ("text_model.embeddings.position_ids", "I64", [1, 7], tensor_bytes("I64", pos_ids)),
        ("f32.a", "F32", [4, 6], tensor_bytes("F32", f32_a)),
        ("empty.weight", "F32", [0, 3], tensor_bytes("F32", empty)),
        ("logit_scale", "F32", [], tensor_bytes("F32", scalar)),
        ("vision_模型.ñame.é", "F32", [2, 2], tensor_bytes("F32", nonascii)),
        ("i32.buf", "I32", [3], tensor_bytes("I32", torch.tensor([-1, 0, 2 ** 31 - 1], dtype=torch.int32))),
        ("f16.b", "F16", [3, 21], tensor_bytes("F16", f16_b)),
        ("bf16.c", "BF16", [2, 3, 4], tensor_bytes("BF16", bf16_c)),
        ("u16.buf", "U16", [2], tensor_bytes("U16", np.array([1, 65535], dtype=np.uint16))),
        ("mask", "BOOL", [5], tensor_bytes("BOOL", np.array([1, 0, 1, 1, 0], dtype=bool))),
        ("u8.buf", "U8", [3], tensor_bytes("U8", np.array([0, 128, 255], dtype=np.uint8))),
    ]
    key_order = ["mask", "f16.b", "logit_scale", "text_model.embeddings.position_ids", "bf16.c", "f32.a",
                 "u8.buf", "vision_模型.ñame.é", "empty.weight", "i32.buf", "f64.d", "u16.buf"]
    return entries, key_order


def unaligned_entries(g):
    return [
        ("u8.first", "U8", [2], bytes([1, 2])),
        ("f32", "F32", [5], tensor_bytes("F32", torch.randn(5, generator=g))),
        ("f16", "F16", [7], tensor_bytes("F16", torch.randn(7, generator=g).half())),
        ("bf16", "BF16", [3], tensor_bytes("BF16", torch.randn(3, generator=g).to(torch.bfloat16))),
        ("f64", "F64", [3], tensor_bytes("F64", torch.randn(3, generator=g, dtype=torch.float64))),
    ]


def f32_to_f16_cases(g):
    vals = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e6, 2.0 ** -14, 2.0 ** -24, 2.0 ** -25,
            2.0 ** -25 * 1.0000001, 3 * 2.0 ** -26, 2.0 ** -26, 1e-10, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11,
            1.0 + 2.0 ** -11 + 2.0 ** -20, 2049.0, 2051.0, 0.1, 1.0 / 3.0, 6.1e-5, 6.09e-5, 5.96e-8,
            float("inf"), float("-inf"), float("nan")]
    x = torch.cat([torch.tensor(vals, dtype=torch.float32),
                   torch.randn(200, generator=g) * torch.pow(10.0, torch.randint(-9, 6, (200,), generator=g).float())])
    h = x.half().view(torch.int16).numpy().view(np.uint16)
    return [[b, int(hb)] for b, hb in zip(bits(x), h)]


def main():
    g = torch.Generator().manual_seed(20240613)
    os.makedirs(os.path.join(OUT, "sharded"), exist_ok=True)
    expected = {}

    entries, key_order = mixed_entries(g)
    path = os.path.join(OUT, "mixed.safetensors")
    write_file(path, entries, {"format": "pt", "note": "ünïcode ✓ — TBAR"}, key_order)
    expected["mixed.safetensors"] = expected_of(path)
    expected["mixed.safetensors"]["order"] = [e[0] for e in entries if e[1] in FLOAT]

    path = os.path.join(OUT, "unaligned.safetensors")
    ents = unaligned_entries(g)
    write_file(path, ents, None, pad=False, ensure_ascii=True)
    n = struct.unpack("<Q", open(path, "rb").read(8))[0]
    if n % 2 == 0:  # make N odd so every float tensor is misaligned
        write_file(path, ents, {"x": "y"}, pad=False, ensure_ascii=True)
        n = struct.unpack("<Q", open(path, "rb").read(8))[0]
    assert n % 2 == 1
    expected["unaligned.safetensors"] = expected_of(path)

    # sharded: HF layout; position_ids (I64) in shard 1
    shard1 = [
        ("text_model.embeddings.position_ids", "I64", [1, 4], tensor_bytes("I64", torch.arange(4).reshape(1, 4))),
        ("a.weight", "F32", [2, 3], tensor_bytes("F32", torch.randn(2, 3, generator=g))),
        ("b.weight", "F16", [4], tensor_bytes("F16", torch.randn(4, generator=g).half())),
    ]
    shard2 = [
        ("c.bias", "F32", [3], tensor_bytes("F32", torch.randn(3, generator=g))),
        ("d.weight", "BF16", [2, 2], tensor_bytes("BF16", torch.randn(2, 2, generator=g).to(torch.bfloat16))),
    ]
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map = {}
    total = 0
    for fname, ents in zip(files, [shard1, shard2]):
        write_file(os.path.join(OUT, "sharded", fname), ents, {"format": "pt"})
        for name, dtype, shape, raw in ents:
            weight_map[name] = fname
            total += len(raw)
        expected["sharded/" + fname] = expected_of(os.path.join(OUT, "sharded", fname))
    with open(os.path.join(OUT, "sharded", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)

    expected["f32_to_f16"] = f32_to_f16_cases(g)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False)
    print("wrote fixtures to", OUT)

    if "--no-ts" not in sys.argv:
        check_ts_writer()


def check_ts_writer():
    """Read files written by our TS writer with the reader above (not part of CI)."""
    scratch = os.path.join(ROOT, "scratch")
    os.makedirs(scratch, exist_ok=True)
    subprocess.run(["npx", "tsx", "scripts/golden/safetensors_ts_sample.ts", scratch], cwd=ROOT, check=True)
    with open(os.path.join(scratch, "ts_written.json")) as f:
        ref = json.load(f)
    for kind in ["F32", "F16"]:
        path = os.path.join(scratch, f"ts_written_{kind}.safetensors")
        metadata, tensors, n = read_file(path)
        raw = open(path, "rb").read()
        assert (8 + n) % 8 == 0, "data section must start at a multiple of 8"
        text = raw[8:8 + n].decode("utf-8")
        stripped = text.rstrip(" ")
        assert len(text) - len(stripped) < 8 and stripped.endswith("}"), "padding must be < 8 spaces"
        assert metadata == ref["metadata"], (metadata, ref["metadata"])
        assert list(json.loads(text).keys())[1:] == [t["name"] for t in ref["tensors"]], "header order"
        assert sorted(tensors) == sorted(t["name"] for t in ref["tensors"])
        for t in ref["tensors"]:
            dtype, shape, got = tensors[t["name"]]
            assert dtype == kind and shape == t["shape"], (t["name"], dtype, shape)
            want = torch.from_numpy(np.array(t["bits"], dtype=np.uint32).view(np.float32)).reshape(shape)
            if kind == "F16":
                want = want.half().float()
            gb, wb = bits(got), bits(want)
            for a, b in zip(gb, wb):
                fa = np.array([a], dtype=np.uint32).view(np.float32)[0]
                fb = np.array([b], dtype=np.uint32).view(np.float32)[0]
                assert a == b or (np.isnan(fa) and np.isnan(fb)), (t["name"], hex(a), hex(b))
        print(f"TS writer {kind}: {len(tensors)} tensors read back by the Python reader, header N={n}: OK")


if __name__ == "__main__":
    main()
