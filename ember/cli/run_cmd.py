"""ember run MODEL [--input NAME=FILE ...] [-o OUT.npz] [--threads N] [--seed S]
[--mean M] [--std S] [--scale K]

Inputs come from .npy files or images (.png/.jpg/.jpeg, see ember.cli.images for
how they are resized, normalised and quantised); inputs not given are seeded
random values.
"""
import argparse
import os

import numpy as np

from ember.cli import images, metadata

EXAMPLES = """examples:
  ember run examples/demo_model.tflite                       # seeded random inputs
  ember run model.tflite --input image=x.npy -o out.npz      # by input name
  ember run model.tflite --input cat.jpg                     # the only input, from an image
  ember run model.tflite --input 0=cat.jpg --mean 127.5 --std 127.5   # pixels to [-1, 1]
  ember run model.tflite --input cat.jpg --scale 1/255       # pixels to [0, 1]

images: resized to the input's height x width (NHWC, or NCHW when dimension 1 is 1 or 3),
normalised by --mean/--std/--scale as (p*scale - mean)/std, else by the model's metadata,
else to [0, 1] for float and quantised inputs; then quantised with the input's own scale
and zero point. Reading images needs Pillow: pip install 'ember[images]'.
"""


def add_parser(sub):
    p = sub.add_parser("run", help="run a model on .npy or image inputs (or seeded random ones)",
                       description="Runs MODEL once and prints each output's name, shape, dtype "
                                   "and a summary. Inputs come from .npy files; inputs not given "
                                   "are filled with seeded random values (said so). Images "
                                   "(.png/.jpg) feed 4-D image inputs.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a .tflite file")
    p.add_argument("--input", "-i", action="append", default=[], metavar="NAME=FILE",
                   help="an input by name (or index) from a .npy file or an image (.png/.jpg); "
                        "just FILE for a model with one input; repeatable")
    p.add_argument("-o", "--output", metavar="OUT.npz", help="save the outputs (by name) here")
    p.add_argument("--threads", type=int, default=1, help="worker threads (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed for random inputs (default 0)")
    p.add_argument("--mean", metavar="M[,M,M]", help="images: subtract this (after --scale); "
                   "one value or one per channel")
    p.add_argument("--std", metavar="S[,S,S]", help="images: then divide by this")
    p.add_argument("--scale", metavar="K", help="images: first multiply pixels (0..255) by this, "
                   "e.g. 1/255")
    p.set_defaults(func=run)


def _random(d, rng):
    shape = [int(s) for s in d["shape"]]
    dt = np.dtype(d["dtype"])
    if np.issubdtype(dt, np.floating):
        return rng.random(shape).astype(dt)
    if dt == np.bool_:
        return rng.random(shape) < 0.5
    info = np.iinfo(dt)
    return rng.integers(max(info.min, -128), min(info.max, 127) + 1, size=shape, dtype=dt)


def _given_inputs(specs, details, image_args):
    """{input name: (array, what it is)} for the --input flags."""
    by_name = {d["name"]: d for d in details}
    out = {}
    for spec in specs:
        key, sep, path = spec.partition("=")
        if not sep:
            if len(details) != 1:
                raise ValueError(f"--input {spec!r}: the model has {len(details)} inputs, write it as "
                                 f"NAME=FILE (inputs: {', '.join(by_name)})")
            key, path = details[0]["name"], spec
        d = by_name.get(key)
        if d is None and key.isdigit() and int(key) < len(details):
            d = details[int(key)]
        if d is None:
            raise ValueError(f"--input {key!r}: the model has no such input "
                             f"(inputs: {', '.join(by_name)})")
        if not os.path.exists(path):
            raise ValueError(f"--input {key}: no such file {path!r}")
        if images.is_image(path):
            norm = image_args["norm"]
            idx = details.index(d)
            out[d["name"]] = images.load(path, d, key, norm=norm[idx] if idx < len(norm) else None,
                                         mean=image_args["mean"], std=image_args["std"],
                                         scale=image_args["scale"])
            continue
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as e:
            raise ValueError(f"--input {key}: cannot read {path} as .npy ({e}); inputs are .npy "
                             f"files or images ({', '.join(images.SUFFIXES)})") from None
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"--input {key}: {path} is an .npz archive; give one array as .npy")
        want = np.dtype(d["dtype"])
        if arr.dtype != want:
            if np.can_cast(arr.dtype, want, "same_kind"):
                arr = arr.astype(want)
            else:
                raise ValueError(f"--input {key}: {path} holds {arr.dtype}, the model wants {want}")
        out[d["name"]] = (arr, "from file")
    return out


def summary(a):
    if a.size == 0:
        return "empty"
    if a.dtype == np.bool_:
        return f"{int(a.sum())} true of {a.size}"
    f = a.astype(np.float64)
    return f"min {f.min():.6g}  max {f.max():.6g}  mean {f.mean():.6g}"


def run(args):
    import ember
    if not os.path.exists(args.model):
        raise ValueError(f"no such model file: {args.model}")
    it = ember.Interpreter(model_path=args.model, num_threads=args.threads)
    details = it.get_input_details()
    image_args = {"mean": images.parse_values(args.mean, "--mean") if args.mean else None,
                  "std": images.parse_values(args.std, "--std") if args.std else None,
                  "scale": images.parse_values(args.scale, "--scale") if args.scale else None,
                  "norm": metadata.from_model(it._model)}
    given = _given_inputs(args.input, details, image_args)
    arrays = {}
    rng = np.random.default_rng(args.seed)
    for d in details:
        if d["name"] in given:
            x, how = given[d["name"]]
            print(f"input  {d['name']}: {np.dtype(x.dtype).name}{list(x.shape)} {how}")
        else:
            x = _random(d, rng)
            print(f"input  {d['name']}: random {np.dtype(d['dtype']).name}{list(x.shape)} (seed {args.seed})")
        if list(x.shape) != [int(s) for s in d["shape"]]:
            it.resize_tensor_input(d["index"], list(x.shape), strict=True)
        arrays[d["name"]] = x
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], arrays[d["name"]])
    it.invoke()
    outputs = {}
    for d in it.get_output_details():
        y = it.get_tensor(d["index"])
        outputs[d["name"]] = y
        print(f"output {d['name']}: {np.dtype(y.dtype).name}{list(y.shape)}  {summary(y)}")
    if args.output:
        np.savez(args.output, **outputs)
        print(f"saved {len(outputs)} output(s) to {args.output}")
