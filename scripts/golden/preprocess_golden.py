#!/usr/bin/python3
"""Golden reference for src/engine/clip/preprocess.ts (Hugging Face CLIPImageProcessor, PIL path).

Run from the repository root with the system Python (it has PIL and numpy):

    /usr/bin/python3 scripts/golden/preprocess_golden.py

transformers itself is not installed here, so this script repeats the exact steps of
CLIPImageProcessor.preprocess (transformers/models/clip/image_processing_clip.py) with the same PIL
calls transformers makes:

1. convert_to_rgb: PIL ``image.convert("RGB")``.
2. resize: target size from image_transforms.get_resize_output_image_size(size, default_to_square=False):
   ``new_short = size; new_long = int(size * long / short)`` (truncation), then
   image_transforms.resize -> ``PIL.Image.resize((width, height), resample=BICUBIC, reducing_gap=None)``
   on the uint8 RGB image (so PIL's 8-bit fixed-point resampler runs).
3. center_crop: image_transforms.center_crop: ``top = (h - crop_h) // 2``, ``left = (w - crop_w) // 2``.
4. rescale: ``image.astype(float64) * (1/255)`` then ``.astype(float32)``.
5. normalize: ``(image - mean) / std`` with mean/std as float32 arrays (image is float32).

The JPEGs are decoded by PIL here and the decoded RGB pixels are written as lossless PNGs, so the
TypeScript test runs its preprocessing on exactly the pixels PIL resized (JPEG decoders differ).

Outputs (tests/fixtures/preprocess/):
  in_<name>.png                    PIL-decoded RGB input
  out_<case>.png                   PIL resized + center-cropped uint8 (before /255), compared exactly
  float_<case>.f32                 'float' mode reference: PIL mode 'F' per channel (double
                                   coefficients, no quantisation/rounding), clipped to [0, 255],
                                   float32 little-endian, HWC
  norm_<case>.f32                  the final normalised tensor (float32 HWC) for small cases
  normalize_table.json             normalise(v/255) for v = 0..255 per channel (float32 path)
  manifest.json                    the case list
"""
import json
import os
import sys

import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SHARED = os.path.abspath(os.path.join(ROOT, '..', 'shared', 'data'))
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'preprocess')

# transformers.image_utils OPENAI_CLIP_MEAN / OPENAI_CLIP_STD
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

# name -> JPEG path relative to ../shared/data
INPUTS = {
    'car_wheel': 'imagenet-sample-100/n02974003_car_wheel.JPEG',  # 300x225 landscape, slight shrink
    'eggnog': 'imagenet-sample-100/n07932039_eggnog.JPEG',  # 240x320 portrait, shrink
    'water_jug': 'imagenet-sample-100/n04560804_water_jug.JPEG',  # 240x163, upscale, odd crop diff
    'overskirt': 'imagenet-sample-100/n03866082_overskirt.JPEG',  # 68x121, big upscale
    'panpipe': 'imagenet-sample-100/n03884397_panpipe.JPEG',  # 140x180 upscale
    'toaster': 'imagenet-sample-100/n04442312_toaster.JPEG',  # 300x300 square
    'lampshade': 'imagenet-sample-100/n03637318_lampshade.JPEG',  # 252x420 portrait, odd crop diff
    'mixing_bowl': 'imagenet-sample-100/n03775546_mixing_bowl.JPEG',  # 500x375 typical ImageNet
    'cifar_cat_0000': 'cifar10-test-jpg/test/cat/0000.jpg',  # 32x32
    'cifar_ship_0001': 'cifar10-test-jpg/test/ship/0001.jpg',  # 32x32
}

# (case name, input name, size, write float reference, write normalised tensor)
CASES = [
    ('car_wheel_224', 'car_wheel', 224, False, False),
    ('eggnog_224', 'eggnog', 224, False, False),
    ('water_jug_224', 'water_jug', 224, False, False),
    ('overskirt_224', 'overskirt', 224, False, False),
    ('panpipe_224', 'panpipe', 224, False, False),
    ('toaster_224', 'toaster', 224, False, False),
    ('lampshade_224', 'lampshade', 224, False, False),
    ('mixing_bowl_224', 'mixing_bowl', 224, False, False),
    ('mixing_bowl_64', 'mixing_bowl', 64, True, True),  # strong downscale (antialiasing support x5.9)
    ('cifar_cat_0000_224', 'cifar_cat_0000', 224, False, False),  # what the lab does with CIFAR
    ('cifar_ship_0001_224', 'cifar_ship_0001', 224, False, False),
    ('cifar_ship_0001_64', 'cifar_ship_0001', 64, True, True),  # upscale x2, float reference
]


def resize_output_size(height, width, size):
    """image_transforms.get_resize_output_image_size(size=int, default_to_square=False, max_size=None)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)  # (height, width)


def center_crop_offsets(height, width, crop):
    """image_transforms.center_crop: top = (h - crop_h) // 2, left = (w - crop_w) // 2."""
    return (height - crop) // 2, (width - crop) // 2


def hf_resize_crop_uint8(img, size):
    h, w = img.height, img.width
    rh, rw = resize_output_size(h, w, size)
    # image_transforms.resize: PIL takes (width, height)
    resized = np.array(img.resize((rw, rh), resample=Image.BICUBIC, reducing_gap=None))
    top, left = center_crop_offsets(rh, rw, size)
    crop = resized[top:top + size, left:left + size]
    assert crop.shape == (size, size, 3) and crop.dtype == np.uint8
    return crop, (rh, rw), (top, left)


def float_resize_crop(img, size):
    """PIL's 32-bit float resampler (mode 'F'), channel by channel: same coefficients in double,
    no quantisation, no rounding between passes. Clipped to [0, 255] like the TS 'float' mode."""
    arr = np.asarray(img).astype(np.float32)
    rh, rw = resize_output_size(img.height, img.width, size)
    chans = [np.array(Image.fromarray(arr[:, :, c], mode='F').resize((rw, rh), resample=Image.BICUBIC))
             for c in range(3)]
    out = np.stack(chans, axis=-1)
    top, left = center_crop_offsets(rh, rw, size)
    return np.clip(out[top:top + size, left:left + size], 0, 255).astype(np.float32)


def rescale_normalize(u8):
    """image_transforms.rescale (float64 multiply, cast to float32) then normalize (float32)."""
    x = (u8.astype(np.float64) * (1 / 255)).astype(np.float32)
    mean = np.array(MEAN, dtype=np.float32)
    std = np.array(STD, dtype=np.float32)
    return ((x - mean) / std).astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    imgs = {}
    inputs = []
    for name, rel in INPUTS.items():
        src = os.path.join(SHARED, rel)
        img = Image.open(src).convert('RGB')  # convert_to_rgb; decodes the JPEG with PIL/libjpeg
        img.load()
        imgs[name] = img
        png = f'in_{name}.png'
        Image.fromarray(np.asarray(img)).save(os.path.join(OUT, png), optimize=True)
        inputs.append({'name': name, 'source': f'../shared/data/{rel}', 'png': png,
                       'width': img.width, 'height': img.height})

    cases = []
    for case, name, size, want_float, want_norm in CASES:
        img = imgs[name]
        crop, (rh, rw), (top, left) = hf_resize_crop_uint8(img, size)
        png = f'out_{case}.png'
        Image.fromarray(crop).save(os.path.join(OUT, png), optimize=True)
        entry = {'case': case, 'input': name, 'size': size, 'resized': [rh, rw], 'crop': [top, left],
                 'png': png}
        if want_float:
            f = float_resize_crop(img, size)
            entry['float'] = f'float_{case}.f32'
            f.astype('<f4').tofile(os.path.join(OUT, entry['float']))
            entry['floatVsUint8MaxAbs'] = float(np.abs(f - crop.astype(np.float32)).max())
        if want_norm:
            entry['norm'] = f'norm_{case}.f32'
            rescale_normalize(crop).astype('<f4').tofile(os.path.join(OUT, entry['norm']))
        cases.append(entry)
        print(f'{case}: {img.width}x{img.height} -> resized {rw}x{rh} -> crop at (top={top}, left={left})',
              file=sys.stderr)

    table = rescale_normalize(np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)[None])[0]
    with open(os.path.join(OUT, 'normalize_table.json'), 'w') as fh:
        json.dump({'mean': MEAN, 'std': STD, 'values': table.astype(float).tolist()}, fh)

    manifest = {
        'generator': 'scripts/golden/preprocess_golden.py',
        'pil': Image.__version__ if hasattr(Image, '__version__') else __import__('PIL').__version__,
        'numpy': np.__version__,
        'inputs': inputs,
        'cases': cases,
    }
    with open(os.path.join(OUT, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1)
        fh.write('\n')


if __name__ == '__main__':
    main()
