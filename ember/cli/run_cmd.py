"""ember run MODEL [--input NAME=FILE.npy ...] [-o OUT.npz] [--threads N] [--seed S]"""
import os

import numpy as np


def add_parser(sub):
    p = sub.add_parser("run", help="run a model on .npy inputs (or seeded random ones)",
                       description="Runs MODEL once and prints each output's name, shape, dtype "
                                   "and a summary. Inputs come from .npy files; inputs not given "
                                   "are filled with seeded random values (said so).")
    p.add_argument("model", help="a .tflite file")
    p.add_argument("--input", "-i", action="append", default=[], metavar="NAME=FILE.npy",
                   help="an input by name (or index) from a .npy file; repeatable")
    p.add_argument("-o", "--output", metavar="OUT.npz", help="save the outputs (by name) here")
    p.add_argument("--threads", type=int, default=1, help="worker threads (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed for random inputs (default 0)")
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


def _given_inputs(specs, details):
    by_name = {d["name"]: d for d in details}
    out = {}
    for spec in specs:
        if "=" not in spec:
            raise ValueError(f"--input {spec!r}: write it as NAME=FILE.npy")
        key, path = spec.split("=", 1)
        d = by_name.get(key)
        if d is None and key.isdigit() and int(key) < len(details):
            d = details[int(key)]
        if d is None:
            raise ValueError(f"--input {key!r}: the model has no such input "
                             f"(inputs: {', '.join(by_name)})")
        if not os.path.exists(path):
            raise ValueError(f"--input {key}: no such file {path!r}")
        arr = np.load(path, allow_pickle=False)
        want = np.dtype(d["dtype"])
        if arr.dtype != want:
            if np.can_cast(arr.dtype, want, "same_kind"):
                arr = arr.astype(want)
            else:
                raise ValueError(f"--input {key}: {path} holds {arr.dtype}, the model wants {want}")
        out[d["name"]] = arr
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
    given = _given_inputs(args.input, details)
    rng = np.random.default_rng(args.seed)
    for d in details:
        x = given.get(d["name"])
        if x is None:
            x = _random(d, rng)
            print(f"input  {d['name']}: random {np.dtype(d['dtype']).name}{list(x.shape)} (seed {args.seed})")
        else:
            print(f"input  {d['name']}: {np.dtype(x.dtype).name}{list(x.shape)} from file")
        if list(x.shape) != [int(s) for s in d["shape"]]:
            it.resize_tensor_input(d["index"], list(x.shape), strict=True)
        given[d["name"]] = x
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], given[d["name"]])
    it.invoke()
    outputs = {}
    for d in it.get_output_details():
        y = it.get_tensor(d["index"])
        outputs[d["name"]] = y
        print(f"output {d['name']}: {np.dtype(y.dtype).name}{list(y.shape)}  {summary(y)}")
    if args.output:
        np.savez(args.output, **outputs)
        print(f"saved {len(outputs)} output(s) to {args.output}")
