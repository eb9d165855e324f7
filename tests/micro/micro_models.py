"""Test models for the micro target, built with ember.schema.builder: one float model
holding every op the issue names (conv, depthwise, FC, pooling, add, softmax, reshape,
pad, concat), its int8 twin from Ember's own quantiser, and a too-big model."""
import numpy as np

from ember.schema.builder import ModelBuilder

IN_SHAPE = (1, 8, 8, 3)


def float_all_ops(seed=0, softmax=True):
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    f = np.float32
    x = b.input("x", list(IN_SHAPE), "float32")
    pads = b.const("pads", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32))
    xp = b.tensor("xp", [1, 10, 10, 3], "float32")
    b.op("PAD", [x, pads], [xp])
    w = b.const("conv_w", (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(f))
    bias = b.const("conv_b", (rng.standard_normal(8) * 0.1).astype(f))
    c = b.tensor("conv", [1, 8, 8, 8], "float32")
    b.op("CONV_2D", [xp, w, bias], [c], options=("Conv2DOptions", {
        "padding": "VALID", "stride_w": 1, "stride_h": 1, "fused_activation_function": "RELU"}))
    dw = b.const("dw_w", (rng.standard_normal((1, 3, 3, 8)) * 0.3).astype(f))
    dwb = b.const("dw_b", (rng.standard_normal(8) * 0.1).astype(f))
    d = b.tensor("dw", [1, 8, 8, 8], "float32")
    b.op("DEPTHWISE_CONV_2D", [c, dw, dwb], [d], options=("DepthwiseConv2DOptions", {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 1}))
    s = b.tensor("sum", [1, 8, 8, 8], "float32")
    b.op("ADD", [c, d], [s], options=("AddOptions", {"fused_activation_function": "NONE"}))
    mp = b.tensor("maxpool", [1, 4, 4, 8], "float32")
    ap = b.tensor("avgpool", [1, 4, 4, 8], "float32")
    pool = {"padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2}
    b.op("MAX_POOL_2D", [s], [mp], options=("Pool2DOptions", pool))
    b.op("AVERAGE_POOL_2D", [s], [ap], options=("Pool2DOptions", pool))
    cat = b.tensor("concat", [1, 4, 4, 16], "float32")
    b.op("CONCATENATION", [mp, ap], [cat], options=("ConcatenationOptions", {"axis": 3}))
    shape = b.const("shape", np.array([1, 256], np.int32))
    flat = b.tensor("flat", [1, 256], "float32")
    b.op("RESHAPE", [cat, shape], [flat], options=("ReshapeOptions", {"new_shape": [1, 256]}))
    fw = b.const("fc_w", (rng.standard_normal((10, 256)) * 0.05).astype(f))
    fb = b.const("fc_b", (rng.standard_normal(10) * 0.1).astype(f))
    logits = b.tensor("logits", [1, 10], "float32")
    b.op("FULLY_CONNECTED", [flat, fw, fb], [logits])
    if not softmax:
        b.output(logits)
        return b.build()
    y = b.tensor("probs", [1, 10], "float32")
    b.op("SOFTMAX", [logits], [y], options=("SoftmaxOptions", {"beta": 1.0}))
    b.output(y)
    return b.build()


def calibration(n=16, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *IN_SHAPE[1:])).astype(np.float32)


def int8_all_ops(tmp_path, softmax=True):
    """The float model quantised to int8 end to end (int8 input and output)."""
    import ember
    src = tmp_path / "float.tflite"
    src.write_bytes(float_all_ops(softmax=softmax))
    cal = tmp_path / "cal.npy"
    np.save(cal, calibration())
    out = tmp_path / "int8.tflite"
    ember.convert(str(src), output=str(out), quantize="int8", calibration=str(cal),
                  input_type="int8", output_type="int8")
    return out.read_bytes()


def too_big_for_pico():
    """3 MB of float weights: more than the Pico's 2 MB of flash."""
    b = ModelBuilder()
    x = b.input("x", [1, 1024], "float32")
    w = b.const("w", np.zeros((768, 1024), np.float32))
    y = b.tensor("y", [1, 768], "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [y])
    b.output(y)
    return b.build()


# ---- the examples' digits CNN (examples/digits.keras) ------------------------------------

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples"


def digits_data():
    return dict(np.load(EXAMPLES / "digits_data.npz"))


def digits_float():
    import ember
    return ember.convert(str(EXAMPLES / "digits.keras"))


def digits_int8():
    """int8 end to end (int8 image in, int8 scores out), calibrated on the training split."""
    import ember
    return ember.convert(str(EXAMPLES / "digits.keras"), quantize="int8",
                         calibration=digits_data()["x_calib"], input_type="int8", output_type="int8")


def drop_final_softmax(model):
    """The model with its last op (a SOFTMAX) removed: it outputs the scores instead."""
    from ember.schema import builder as _b
    m = _b.read_model(model)
    sg = m.subgraphs[0]
    last = sg.operators[-1]
    code = m.operatorCodes[last.opcodeIndex]
    assert max(code.builtinCode, code.deprecatedBuiltinCode) == _b._enum_members("BuiltinOperator")["SOFTMAX"]
    new, old = int(last.inputs[0]), int(last.outputs[0])
    sg.operators = sg.operators[:-1]
    sg.outputs = [new if int(o) == old else int(o) for o in sg.outputs]
    for sig in m.signatureDefs or []:
        for t in sig.outputs or []:
            if t.tensorIndex == old:
                t.tensorIndex = new
    return _b.write_model(m)


def runs_on_host(model):
    """None when Ember's host interpreter prepares the model, else its error."""
    import ember
    try:
        ember.Interpreter(model_content=model).allocate_tensors()
    except ember.EmberError as e:
        return str(e)
    return None


def quantize_input(model, x):
    """float images -> the int8 model's input, with its own scale and zero point."""
    import ember
    it = ember.Interpreter(model_content=model)
    d = it.get_input_details()[0]
    scale, zp = d["quantization"]
    return np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
