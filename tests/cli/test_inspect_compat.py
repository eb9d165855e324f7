"""`ember inspect`: the nodes an Edge TPU (Coral's documented rules) or a microcontroller build
could not take, in the text report and in --json (fields added to schema v1)."""
import json

import numpy as np

from clihelp import DEMO, ember_cli
from ember.schema.builder import ModelBuilder

Q8 = {"scale": [0.05], "zero_point": [0]}


def inspect_json(path):
    r = ember_cli("inspect", path, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def int8_model(signature=None):
    """An int8 graph with nodes the Edge TPU takes and nodes it cannot, one rule each."""
    b = ModelBuilder(description="edgetpu probe")
    x = b.input("x", [1, 8, 8, 4], "int8", quant=Q8, shape_signature=signature)
    w = b.const("w", np.ones([4, 3, 3, 4], np.int8), quant={"scale": [0.01] * 4, "zero_point": [0] * 4,
                                                           "quantized_dimension": 0})
    bias = b.const("bias", np.zeros([4], np.int32), quant={"scale": [0.0005] * 4, "zero_point": [0] * 4})
    c = b.tensor("c", [1, 8, 8, 4], "int8", quant=Q8)
    b.op("CONV_2D", [x, w, bias], [c], options=("Conv2DOptions", {"padding": "SAME", "stride_w": 1,
                                                                   "stride_h": 1}))                    # 0 ok
    p = b.tensor("p", [1, 4, 4, 4], "int8", quant=Q8)
    b.op("AVERAGE_POOL_2D", [c], [p], options=("Pool2DOptions", {
        "padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2,
        "fused_activation_function": "RELU"}))                                                        # 1 limit
    m = b.tensor("m", [1, 4], "int8", quant=Q8)
    b.op("MEAN", [p, b.const("xy", np.array([1, 2], np.int32))], [m],
         options=("ReducerOptions", {"keep_dims": False}))                                           # 2 ok
    mc = b.tensor("mc", [1, 4, 4], "int8", quant=Q8)
    b.op("MEAN", [p, b.const("ch", np.array([3], np.int32))], [mc],
         options=("ReducerOptions", {"keep_dims": False}))                                           # 3 limit
    a = b.tensor("a", [1], "int32")
    b.op("ARG_MAX", [m, b.const("ax", np.array([1], np.int32))], [a],
         options=("ArgMaxOptions", {"output_type": "INT32"}))                                        # 4 op+dtype
    s = b.tensor("s", [1, 4], "int8", quant={"scale": [1 / 256], "zero_point": [-128]})
    b.op("SOFTMAX", [m], [s], options=("SoftmaxOptions", {"beta": 1.0}))                            # 5 ok
    b.output(a, s, mc)
    return b.build()


def test_float_model_maps_nowhere_and_says_why():
    doc = inspect_json(DEMO)
    e = doc["edgetpu"]
    assert e["compatible"] is False and e["nodes"] == 6 and len(e["unsupported"]) == 6
    assert all("dtype" in u["kinds"] for u in e["unsupported"])
    assert doc["micro"]["compatible"] is True and doc["micro"]["checked_by"] in ("rules", "ember.micro.unsupported")
    r = ember_cli("inspect", DEMO)
    assert "edge tpu: none of its 6 nodes: the model is not int8/uint8-quantised" in r.stdout
    assert "microcontroller: every node can be built" in r.stdout


def test_each_edgetpu_rule(tmp_path):
    path = tmp_path / "probe.tflite"
    path.write_bytes(int8_model())
    e = inspect_json(path)["edgetpu"]
    by_node = {u["node"]: u for u in e["unsupported"]}
    assert sorted(by_node) == [1, 3, 4], e
    assert by_node[1]["kinds"] == ["limit"] and "fused activation" in by_node[1]["reasons"][0]
    assert by_node[3]["kinds"] == ["limit"] and "axis [3]" in by_node[3]["reasons"][0]
    assert set(by_node[4]["kinds"]) == {"op", "dtype"} and by_node[4]["op"] == "ARG_MAX"
    assert e["first_unsupported_node"] == 1 and e["ops"] == ["ARG_MAX", "AVERAGE_POOL_2D", "MEAN"]
    r = ember_cli("inspect", path)
    assert "3 of 6 nodes cannot map; the compiler stops at node 1 (AVERAGE_POOL_2D)" in r.stdout
    assert "ops not on the Edge TPU's list: ARG_MAX" in r.stdout


def test_dynamic_shapes(tmp_path):
    path = tmp_path / "dyn.tflite"
    path.write_bytes(int8_model(signature=[-1, 8, 8, 4]))
    doc = inspect_json(path)
    conv = [u for u in doc["edgetpu"]["unsupported"] if u["node"] == 0]
    assert conv and "dynamic" in conv[0]["kinds"]
    micro = doc["micro"]
    if micro["checked_by"] == "rules":
        assert 0 in [u["node"] for u in micro["unsupported"]]
        assert any("dynamic shape" in r for u in micro["unsupported"] for r in u["reasons"])
    else:
        assert micro["compatible"] is False


def test_quantisation_at_the_edges_does_not_cut_the_graph(tmp_path):
    b = ModelBuilder(description="edges")
    x = b.input("x", [1, 4, 4, 3], "float32")
    q = b.tensor("q", [1, 4, 4, 3], "int8", quant=Q8)
    b.op("QUANTIZE", [x], [q])
    r = b.tensor("r", [1, 4, 4, 3], "int8", quant=Q8)
    b.op("RELU", [q], [r])
    y = b.tensor("y", [1, 4, 4, 3], "float32")
    b.op("DEQUANTIZE", [r], [y])
    b.output(y)
    path = tmp_path / "edges.tflite"
    path.write_bytes(b.build())
    e = inspect_json(path)["edgetpu"]
    assert [u["node"] for u in e["unsupported"]] == [0, 2]
    assert all(u["at_edge"] for u in e["unsupported"]) and e["first_unsupported_node"] is None
    out = ember_cli("inspect", path).stdout
    assert "1 of 3 nodes can map; the float<->int8 conversions" in out


def test_micro_rules_resource_variables_and_strings(tmp_path):
    b = ModelBuilder(description="micro probe")
    x = b.input("x", [2], "float32")
    h = b.tensor("h", [], "resource")
    b.op("VAR_HANDLE", [], [h], options=("VarHandleOptions", {"shared_name": "v"}))
    b.op("ASSIGN_VARIABLE", [h, x], [])
    y = b.tensor("y", [2], "float32")
    b.op("READ_VARIABLE", [h], [y])
    b.output(y)
    path = tmp_path / "vars.tflite"
    path.write_bytes(b.build())
    m = inspect_json(path)["micro"]
    assert m["compatible"] is False
    if m["checked_by"] == "rules":
        assert sorted(m["ops"]) == ["ASSIGN_VARIABLE", "READ_VARIABLE", "VAR_HANDLE"]


def test_compat_helpers_normalise_micro_answers():
    from ember.cli import compat
    assert compat._normalise("op GATHER_ND: no kernel") == {"node": None, "op": "GATHER_ND", "reasons": ["no kernel"]}
    assert compat._normalise("input 'x': dynamic") == {"node": None, "op": None, "reasons": ["input 'x': dynamic"]}
    assert compat._normalise((3, "TOPK_V2", "no kernel")) == {"node": 3, "op": "TOPK_V2", "reasons": ["no kernel"]}
    assert compat._normalise({"node": 1, "op": "X", "reason": "why"})["reasons"] == ["why"]
