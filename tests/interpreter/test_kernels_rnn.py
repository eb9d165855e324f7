"""UNIDIRECTIONAL_SEQUENCE_LSTM and UNIDIRECTIONAL_SEQUENCE_RNN (float) vs LiteRT,
including state carried across invokes in variable tensors."""
import numpy as np
import pytest

from ember.schema.builder import ModelBuilder
from oracle import assert_close


def _interp_pair(model):
    import ember
    from ai_edge_litert import interpreter as lrt
    a = lrt.Interpreter(model_content=bytes(model), num_threads=1)
    b = ember.Interpreter(model_content=bytes(model), num_threads=1)
    a.allocate_tensors()
    b.allocate_tensors()
    return a, b


def _step(it, x):
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).copy()


def assert_sequence_matches(model, xs, rtol=2e-5, reset_at=None):
    """Invokes LiteRT and Ember on each input in turn (state carries over)."""
    a, b = _interp_pair(model)
    for k, x in enumerate(xs):
        if reset_at is not None and k == reset_at:
            a.reset_all_variables()
            b.reset_all_variables()
        assert_close(_step(b, x), _step(a, x), rtol=rtol, what=f"invoke {k}")


# ---- RNN ---------------------------------------------------------------------

def _rnn_model(T, B, I, U, time_major, act, seed=0):
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    shape = [T, B, I] if time_major else [B, T, I]
    x = b.input("x", shape, "float32")
    w = b.const("w", (rng.standard_normal([U, I]) * 0.5).astype(np.float32))
    r = b.const("r", (rng.standard_normal([U, U]) * 0.3).astype(np.float32))
    bias = b.const("bias", (rng.standard_normal([U]) * 0.1).astype(np.float32))
    h = b.tensor("h", [B, U], "float32", is_variable=True)
    y = b.tensor("y", shape[:2] + [U], "float32")
    b.op("UNIDIRECTIONAL_SEQUENCE_RNN", [x, w, r, bias, h], [y],
         options=("SequenceRNNOptions", {"time_major": time_major,
                                         "fused_activation_function": act}))
    b.output(y)
    return b.build(), shape


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("act", ["TANH", "RELU", "NONE", "RELU6", "RELU_N1_TO_1"])
def test_rnn(time_major, act):
    model, shape = _rnn_model(5, 3, 4, 6, time_major, act)
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    assert_sequence_matches(model, xs, reset_at=2)


def test_rnn_bad_shapes():
    import ember
    b = ModelBuilder()
    x = b.input("x", [2, 3, 4], "float32")
    w = b.const("w", np.zeros([5, 3], np.float32))            # wrong input size
    r = b.const("r", np.zeros([5, 5], np.float32))
    bias = b.const("bias", np.zeros([5], np.float32))
    h = b.tensor("h", [2, 5], "float32", is_variable=True)
    y = b.tensor("y", [2, 3, 5], "float32")
    b.op("UNIDIRECTIONAL_SEQUENCE_RNN", [x, w, r, bias, h], [y],
         options=("SequenceRNNOptions", {"time_major": False}))
    b.output(y)
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=b.build()).allocate_tensors()


# ---- LSTM --------------------------------------------------------------------

def _lstm_model(T=4, B=2, I=3, C=5, O=None, time_major=False, cifg=False, peephole=False,
                projection=False, proj_bias=True, layer_norm=False, cell_clip=0.0,
                proj_clip=0.0, act="TANH", n_inputs=24, seed=0):
    O = O or (4 if projection else C)
    rng = np.random.default_rng(seed)
    bld = ModelBuilder()

    def w(name, shape, s=0.4):
        return bld.const(name, (rng.standard_normal(shape) * s).astype(np.float32))

    shape = [T, B, I] if time_major else [B, T, I]
    x = bld.input("x", shape, "float32")
    ins = [x]
    ins += [-1 if (cifg and g == "i") else w(f"w_{g}", [C, I]) for g in "ifco"]
    ins += [-1 if (cifg and g == "i") else w(f"r_{g}", [C, O]) for g in "ifco"]
    ins += [w(f"p_{g}", [C]) if peephole and not (cifg and g == "i") else -1 for g in "ifo"]
    ins += [-1 if (cifg and g == "i") else w(f"b_{g}", [C], 0.2) for g in "ifco"]
    ins += [w("proj_w", [O, C]) if projection else -1,
            w("proj_b", [O], 0.1) if projection and proj_bias else -1]
    ins += [bld.tensor("h", [B, O], "float32", is_variable=True),
            bld.tensor("c", [B, C], "float32", is_variable=True)]
    if n_inputs == 24:
        ins += [w(f"ln_{g}", [C]) if layer_norm and not (cifg and g == "i") else -1
                for g in "ifco"]
    y = bld.tensor("y", shape[:2] + [O], "float32")
    bld.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [y],
           options=("UnidirectionalSequenceLSTMOptions",
                    {"fused_activation_function": act, "cell_clip": cell_clip,
                     "proj_clip": proj_clip, "time_major": time_major}))
    bld.output(y)
    return bld.build(), shape


LSTM_VARIANTS = [
    dict(),
    dict(time_major=True),
    dict(cifg=True),
    dict(peephole=True),
    dict(peephole=True, cifg=True),
    dict(projection=True),
    dict(projection=True, proj_bias=False, proj_clip=0.3),
    dict(layer_norm=True),
    dict(layer_norm=True, cifg=True, peephole=True),
    dict(layer_norm=True, projection=True, time_major=True),
    dict(cell_clip=0.5),
    dict(n_inputs=20),
    dict(n_inputs=20, peephole=True, projection=True, cifg=True, cell_clip=1.0, proj_clip=0.5),
    dict(act="RELU"),
    dict(act="RELU6", B=1, T=7),
    dict(act="NONE"),
    dict(B=3, T=1, I=8, C=16, time_major=True),
]


@pytest.mark.parametrize("kw", LSTM_VARIANTS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "basic")
def test_lstm(kw):
    model, shape = _lstm_model(**kw)
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    assert_sequence_matches(model, xs, rtol=5e-5, reset_at=2)


def test_lstm_state_persists_and_resets():
    """Same input twice gives different outputs (state carried), equal again after reset."""
    import ember
    model, shape = _lstm_model()
    it = ember.Interpreter(model_content=model)
    it.allocate_tensors()
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    y1, y2 = _step(it, x), _step(it, x)
    assert not np.allclose(y1, y2)
    it.reset_all_variables()
    np.testing.assert_array_equal(_step(it, x), y1)


@pytest.mark.parametrize("bad", ["half_cifg", "proj_bias_only", "bad_state", "no_proj_mismatch"])
def test_lstm_bad_models(bad):
    import ember
    if bad == "half_cifg":
        model, _ = _lstm_model(cifg=True)
        # put back an input-gate bias while the input weights stay absent
        from ember.schema.builder import read_model, write_model
        m = read_model(model)
        op = m.subgraphs[0].operators[0]
        op.inputs = list(op.inputs)
        op.inputs[12] = op.inputs[13]
        model = write_model(m)
    elif bad == "proj_bias_only":
        model, _ = _lstm_model()
        from ember.schema.builder import read_model, write_model
        m = read_model(model)
        op = m.subgraphs[0].operators[0]
        op.inputs = list(op.inputs)
        op.inputs[17] = op.inputs[12]
        model = write_model(m)
    elif bad == "bad_state":
        model, _ = _lstm_model()
        from ember.schema.builder import read_model, write_model
        m = read_model(model)
        op = m.subgraphs[0].operators[0]
        m.subgraphs[0].tensors[op.inputs[19]].shape = [2, 7]
        model = write_model(m)
    else:
        model, _ = _lstm_model(O=3)       # no projection but output size != cell size
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=model).allocate_tensors()
