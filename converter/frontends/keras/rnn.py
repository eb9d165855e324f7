"""LSTM, GRU and SimpleRNN, unrolled over the (static) time axis into elementary ops.

Why unrolled rather than UNIDIRECTIONAL_SEQUENCE_LSTM/RNN: one lowering covers
all three cells and every Keras option (activations, go_backwards,
return_sequences/return_state, GRU's reset_after) with ops both LiteRT and
Ember run identically, needs no variable state tensors, and leaves the
sequence ops free for a later pass. The cost is ops proportional to the
sequence length, so the time dimension must be known.

Per step: the input projection for all steps is one FULLY_CONNECTED over the
whole sequence (keep_num_dims), UNPACKed along time; each step adds the
recurrent FULLY_CONNECTED of the previous state and SPLITs the gates. The
initial state is zero, so step 0 skips the recurrent product (which also keeps
an unknown batch size workable without a zeros tensor of dynamic shape).
"""
import numpy as np

from ember.converter.frontends.keras.layers import register


def _check(c, x):
    if x.rank != 3:
        raise c.fail(f"expects a (batch, time, features) input, got {x.shape}")
    if x.shape[1] is None:
        raise c.fail("the sequence length is unknown; the converter unrolls recurrences, give the "
                     "input a fixed length with input_shapes={name: (1, T, features)}")
    for opt in ("stateful", "unroll_mask"):
        if c.get(opt):
            raise c.fail(f"{opt}=True is not supported")
    if c.kwargs.get("mask") is not None:
        raise c.fail("masked recurrences are not supported")
    if len(c.inputs) > 1 or c.kwargs.get("initial_state") is not None:
        raise c.fail("an explicit initial_state is not supported")
    cell_cfg = (c.get("cell") or {}).get("config", {}) if isinstance(c.get("cell"), dict) else {}
    merged = dict(cell_cfg)
    merged.update(c.cfg)
    return merged


def _steps(c, x, kernel, bias, tag):
    """Input projections x_t @ kernel + bias for every step, in processing order."""
    e = c.e
    T = x.shape[1]
    units = kernel.shape[1]
    proj = e.op("FULLY_CONNECTED", [x, c.const(f"{tag}/kernel", kernel.T),
                                    c.const(f"{tag}/bias", bias) if bias is not None else None],
                (x.shape[0], T, units), c.out(f"/{tag}_proj"),
                {"fused_activation_function": "NONE", "keep_num_dims": True})
    steps = e.op_multi("UNPACK", [proj], [(x.shape[0], units)] * T, c.out(f"/{tag}_t"),
                       {"num": T, "axis": 1})
    return steps[::-1] if c.get("go_backwards") else steps


def _recur(c, h, rkernel, bias, name):
    return c.e.op("FULLY_CONNECTED", [h, c.const("recurrent_kernel", rkernel.T),
                                      c.const(f"{name}_rb", bias) if bias is not None else None],
                  (h.shape[0], rkernel.shape[1]), c.out(f"/{name}"),
                  {"fused_activation_function": "NONE", "keep_num_dims": False})


def _split(c, t, n, name):
    return c.e.op_multi("SPLIT", [c.e.i32(f"{c.name}/{name}_axis", [1]), t],
                        [(t.shape[0], t.shape[1] // n)] * n, c.out(f"/{name}"), {"num_splits": n})


def _outputs(c, hs, states):
    e = c.e
    if c.get("return_sequences"):
        seq = e.op("PACK", hs, (hs[0].shape[0], len(hs), hs[0].shape[1]),
                   c.out(), {"values_count": len(hs), "axis": 1})
    else:
        seq = hs[-1]
    if c.get("return_state"):
        return [seq] + states
    return seq


@register("LSTM")
def lstm(c):
    x = c.x
    cfg = _check(c, x)
    e = c.e
    units = int(cfg["units"])
    use_bias = cfg.get("use_bias", True)
    w = c.weights(["kernel", "recurrent_kernel", "bias"] if use_bias else ["kernel", "recurrent_kernel"])
    kernel, rk = np.asarray(w[0], np.float32), np.asarray(w[1], np.float32)
    bias = np.asarray(w[2], np.float32) if use_bias else None
    act, ract = cfg.get("activation", "tanh"), cfg.get("recurrent_activation", "sigmoid")
    h = cst = None
    hs = []
    for t, xt in enumerate(_steps(c, x, kernel, bias, "input")):
        z = xt if h is None else e.binary("ADD", xt, _recur(c, h, rk, None, f"rec{t}"),
                                          c.out(f"/z{t}"))
        zi, zf, zc, zo = _split(c, z, 4, f"gates{t}")
        i = c.act(zi, ract, c.out(f"/i{t}"))
        f = c.act(zf, ract, c.out(f"/f{t}"))
        g = c.act(zc, act, c.out(f"/g{t}"))
        o = c.act(zo, ract, c.out(f"/o{t}"))
        ig = e.binary("MUL", i, g, c.out(f"/ig{t}"))
        cst = ig if cst is None else e.binary("ADD", e.binary("MUL", f, cst, c.out(f"/fc{t}")), ig,
                                              c.out(f"/c{t}"))
        h = e.binary("MUL", o, c.act(cst, act, c.out(f"/ct{t}")), c.out(f"/h{t}"))
        hs.append(h)
    return _outputs(c, hs, [h, cst])


@register("GRU")
def gru(c):
    x = c.x
    cfg = _check(c, x)
    e = c.e
    units = int(cfg["units"])
    use_bias = cfg.get("use_bias", True)
    reset_after = cfg.get("reset_after", True)
    w = c.weights(["kernel", "recurrent_kernel", "bias"] if use_bias else ["kernel", "recurrent_kernel"])
    kernel, rk = np.asarray(w[0], np.float32), np.asarray(w[1], np.float32)
    if use_bias:
        b = np.asarray(w[2], np.float32)
        in_b, rec_b = (b[0], b[1]) if b.ndim == 2 else (b, None)
    else:
        in_b = rec_b = None
    act, ract = cfg.get("activation", "tanh"), cfg.get("recurrent_activation", "sigmoid")
    hs = []
    h = None
    for t, xt in enumerate(_steps(c, x, kernel, in_b, "input")):
        xz, xr, xh = _split(c, xt, 3, f"xgates{t}")
        if reset_after:
            if h is None:
                rz, rr, rh = ([c.const(f"rec_bias{k}", rec_b[k * units:(k + 1) * units])
                               for k in range(3)] if rec_b is not None else (None, None, None))
            else:
                rz, rr, rh = _split(c, _recur(c, h, rk, rec_b, f"rec{t}"), 3, f"rgates{t}")
        else:
            if h is None:
                rz = rr = rh = None
            else:
                rz, rr = _split(c, _recur_part(c, h, rk[:, :2 * units], "zr", t), 2, f"rgates{t}")
        z = c.act(xz if rz is None else e.binary("ADD", xz, rz, c.out(f"/zs{t}")), ract, c.out(f"/z{t}"))
        r = c.act(xr if rr is None else e.binary("ADD", xr, rr, c.out(f"/rs{t}")), ract, c.out(f"/r{t}"))
        if reset_after:
            hh_in = xh if rh is None else e.binary("ADD", xh, e.binary("MUL", r, rh, c.out(f"/rh{t}")),
                                                   c.out(f"/hs{t}"))
        else:
            hh_in = xh if h is None else e.binary(
                "ADD", xh, _recur_part(c, e.binary("MUL", r, h, c.out(f"/rh{t}")), rk[:, 2 * units:],
                                       "h", t), c.out(f"/hs{t}"))
        hh = c.act(hh_in, act, c.out(f"/hh{t}"))
        # h = z * h_prev + (1 - z) * hh  ==  hh + z * (h_prev - hh)
        if h is None:
            one_minus = e.binary("SUB", c.const("one", np.float32(1.0)), z, c.out(f"/omz{t}"))
            h = e.binary("MUL", one_minus, hh, c.out(f"/h{t}"))
        else:
            d = e.binary("SUB", h, hh, c.out(f"/d{t}"))
            h = e.binary("ADD", hh, e.binary("MUL", z, d, c.out(f"/zd{t}")), c.out(f"/h{t}"))
        hs.append(h)
    return _outputs(c, hs, [h])


def _recur_part(c, h, rk, tag, t):
    return c.e.op("FULLY_CONNECTED", [h, c.const(f"recurrent_kernel_{tag}", rk.T), None],
                  (h.shape[0], rk.shape[1]), c.out(f"/rec_{tag}{t}"),
                  {"fused_activation_function": "NONE", "keep_num_dims": False})


@register("SimpleRNN")
def simple_rnn(c):
    x = c.x
    cfg = _check(c, x)
    e = c.e
    use_bias = cfg.get("use_bias", True)
    w = c.weights(["kernel", "recurrent_kernel", "bias"] if use_bias else ["kernel", "recurrent_kernel"])
    kernel, rk = np.asarray(w[0], np.float32), np.asarray(w[1], np.float32)
    bias = np.asarray(w[2], np.float32) if use_bias else None
    act = cfg.get("activation", "tanh")
    hs, h = [], None
    for t, xt in enumerate(_steps(c, x, kernel, bias, "input")):
        s = xt if h is None else e.binary("ADD", xt, _recur(c, h, rk, None, f"rec{t}"), c.out(f"/s{t}"))
        h = c.act(s, act, c.out(f"/h{t}"))
        hs.append(h)
    return _outputs(c, hs, [h])
