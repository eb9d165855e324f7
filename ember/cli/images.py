"""Images (.png/.jpg/.jpeg) as model inputs for ``ember run``.

An image feeds a 4-D input of batch 1: NHWC, or NCHW when dimension 1 is 1 or 3
and the last is neither. It is converted to the input's channels (1: greyscale,
3: RGB, 4: RGBA), resized (bilinear) to the input's height and width (a dynamic
height or width takes the image's own), then normalised from pixel values
p in [0, 255]:

  * with any of ``--mean/--std/--scale``: (p * scale - mean) / std, where the
    missing ones default to scale 1, mean 0, std 1 (mean and std take one value
    or one per channel, scale takes a number or a fraction such as 1/255);
  * else with the model's TFLite metadata NormalizationOptions for the input:
    (p - mean) / std, as the metadata defines it;
  * else a float (or quantised int8/uint8) input gets p / 255, so [0, 1];
    an integer input with no quantisation gets p unchanged.

The result is cast to the input's dtype; a quantised input is quantised with its
own scale and zero point (round half to even, clipped to the dtype's range).
Pillow is an optional extra: ``pip install 'ember[images]'``.
"""
import os

import numpy as np

SUFFIXES = (".png", ".jpg", ".jpeg")
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def is_image(path):
    return os.path.splitext(path)[1].lower() in SUFFIXES


def parse_values(text, flag):
    """'127.5' or '123.7,116.3,103.5' or '1/255' -> [float]."""
    out = []
    for part in str(text).split(","):
        num, _, den = part.strip().partition("/")
        try:
            v = float(num) / (float(den) if den else 1.0)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{flag} {text!r}: write a number, a fraction (1/255) or one per "
                             "channel (123.7,116.3,103.5)") from None
        out.append(v)
    return out


def layout(shape):
    """'NCHW' or 'NHWC' for a 4-D input shape."""
    return "NCHW" if shape[1] in (1, 3) and shape[3] not in (1, 3) else "NHWC"


def _per_channel(values, channels, what, key):
    a = np.asarray(values, np.float64)
    if a.size not in (1, channels):
        raise ValueError(f"--input {key}: {what} has {a.size} values for {channels} channel(s)")
    return a


def load(path, detail, key, norm=None, mean=None, std=None, scale=None):
    """(array shaped for the input, one line saying what was done)."""
    shape = [int(s) for s in detail["shape"]]
    sig = [int(s) for s in detail.get("shape_signature", shape)]
    if len(shape) != 4:
        raise ValueError(f"--input {key}: an image needs a 4-D input; this one is {shape}")
    order = layout(shape)
    c_axis, hw = (1, (2, 3)) if order == "NCHW" else (3, (1, 2))
    channels = shape[c_axis]
    if channels not in _MODES:
        raise ValueError(f"--input {key}: the input has {channels} channels; images give 1, 3 or 4")
    if shape[0] > 1 and sig[0] != -1:
        raise ValueError(f"--input {key}: the input takes a batch of {shape[0]}; an image is one "
                         "(give a .npy file instead)")
    try:
        from PIL import Image
    except ImportError:
        raise ValueError("reading images needs Pillow: pip install 'ember[images]' "
                         "(or pip install pillow)") from None
    try:
        with Image.open(path) as im:
            im.load()
            src_size = im.size
            img = im.convert(_MODES[channels])
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise ValueError(f"--input {key}: cannot read {path} as an image ({e})") from None
    h = shape[hw[0]] if sig[hw[0]] != -1 else src_size[1]
    w = shape[hw[1]] if sig[hw[1]] != -1 else src_size[0]
    if img.size != (w, h):
        img = img.resize((w, h), Image.BILINEAR)
    p = np.asarray(img, np.float64).reshape(h, w, channels)

    dtype = np.dtype(detail["dtype"])
    q = detail.get("quantization_parameters", {})
    q_scales = list(q.get("scales", [])) if q else []
    q_zps = list(q.get("zero_points", [])) if q else []
    quantised = bool(q_scales) and q_scales[0] != 0 and np.issubdtype(dtype, np.integer)

    if mean is not None or std is not None or scale is not None:
        s = (scale or [1.0])[0]
        m = _per_channel(mean if mean is not None else [0.0], channels, "--mean", key)
        d = _per_channel(std if std is not None else [1.0], channels, "--std", key)
        if np.any(d == 0):
            raise ValueError(f"--input {key}: --std must not be 0")
        x = (p * s - m) / d
        how = f"(p*{s:g} - {_fmt(m)}) / {_fmt(d)} (flags)"
    elif norm and norm.get("mean") and norm.get("std"):
        m = _per_channel(norm["mean"], channels, "the metadata's mean", key)
        d = _per_channel(norm["std"], channels, "the metadata's std", key)
        if np.any(d == 0):
            raise ValueError(f"--input {key}: the model's metadata has a std of 0")
        x = (p - m) / d
        how = f"(p - {_fmt(m)}) / {_fmt(d)} (model metadata)"
    elif np.issubdtype(dtype, np.floating) or quantised:
        x = p / 255.0
        how = "p / 255 (default: [0, 1])"
    else:
        x = p
        how = "raw pixel values (integer input without quantisation)"

    if quantised:
        info = np.iinfo(dtype)
        zp = q_zps[0] if q_zps else 0
        x = np.clip(np.round(x / q_scales[0] + zp), info.min, info.max)
        how += f", quantised with scale {q_scales[0]:.6g} zero point {zp}"
    elif np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        x = np.clip(np.round(x), info.min, info.max)
    arr = x.astype(dtype)
    if order == "NCHW":
        arr = arr.transpose(2, 0, 1)
    arr = arr[np.newaxis]
    line = (f"{os.path.basename(path)} {src_size[0]}x{src_size[1]} -> {w}x{h} {_MODES[channels]} "
            f"{order}, {how}")
    return arr, line


def _fmt(a):
    vals = sorted(set(float(v) for v in np.ravel(a)))
    return f"{vals[0]:g}" if len(vals) == 1 else "[" + ",".join(f"{v:g}" for v in np.ravel(a)) + "]"
