"""A device build's plan reuses the model's inputs once their last reader has run (the
micro API has the caller set inputs before every invoke, as TFLite Micro does): some later
activation must share the input's bytes. The probe compiles the device's own planner."""
import shutil

import ember
from conftest import need
from ember.micro import probe

import micro_models as models


def _overlaps(a, b):
    return a["offset"] < b["offset"] + b["bytes"] and b["offset"] < a["offset"] + a["bytes"]


def test_device_plan_reuses_the_input():
    need(shutil.which("gcc") or shutil.which("cc"), "no host C compiler for the plan probe")
    model = bytes(models.digits_int8())
    it = ember.Interpreter(model_content=model)
    it.allocate_tensors()
    inp = it.get_input_details()[0]["index"]
    tensors = probe.plan(model)["subgraphs"][0]["tensors"]
    planned = [t for t in tensors if t["mem"] == 2 and t["bytes"] > 0]
    x = next(t for t in planned if t["index"] == inp)
    shared = [t["index"] for t in planned if t["index"] != inp and _overlaps(x, t)]
    assert shared, "the input's memory is never reused on the device"
