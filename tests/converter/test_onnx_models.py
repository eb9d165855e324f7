"""Whole networks written in PyTorch, exported by the legacy ONNX exporter (opsets 13 and 17),
converted with and without nhwc=True, run in Ember and LiteRT against onnxruntime."""
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import ember  # noqa: E402
from ember.converter import load  # noqa: E402
from ember.converter.passes import layout  # noqa: E402
from ember.schema.writer import write  # noqa: E402
from oracle import assert_close, ember as run_ember, litert  # noqa: E402

nn = torch.nn
F = torch.nn.functional


def _randomise_bn(net):
    g = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.2)
    return net


class VGGish(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 32), nn.ReLU(),
                                  nn.Dropout(0.5), nn.Linear(32, 10))

    def forward(self, x):
        return self.head(self.features(x))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU())
        self.blocks = nn.Sequential(Block(8, 8, 1), Block(8, 16, 2), Block(16, 16, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        y = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand, act):
        super().__init__()
        mid = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), act(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), act(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.use_res else y


class MobileNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.Hardswish())
        self.blocks = nn.Sequential(InvertedResidual(8, 8, 1, 2, nn.ReLU6),
                                    InvertedResidual(8, 16, 2, 3, nn.Hardswish),
                                    InvertedResidual(16, 16, 1, 3, nn.ReLU6))
        self.head = nn.Sequential(nn.Conv2d(16, 32, 1), nn.Hardswish(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten(), nn.Linear(32, 10))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.GELU(), nn.Linear(64, 32), nn.Tanh(),
                                 nn.Linear(32, 5), nn.Softmax(-1))

    def forward(self, x):
        return self.net(x)


class EncoderBlock(nn.Module):
    def __init__(self, d=32, heads=4):
        super().__init__()
        self.h, self.dk = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 64), nn.GELU(), nn.Linear(64, d))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.reshape(b, t, self.h, self.dk).transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / self.dk ** 0.5, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.ff(self.ln2(x))


IMAGE = (2, 3, 16, 16)
MODELS = {
    "vgg": (VGGish, IMAGE),
    "resnet": (ResNetish, IMAGE),
    "mobilenet": (MobileNetish, IMAGE),
    "mlp": (MLP, (3, 20)),
    "transformer": (EncoderBlock, (2, 6, 32)),
}
CNNS = ["vgg", "resnet", "mobilenet"]


def export(name, opset):
    cls, shape = MODELS[name]
    torch.manual_seed(0)
    net = _randomise_bn(cls()).eval()
    x = torch.randn(*shape)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(net, (x,), buf, dynamo=False, opset_version=opset,
                          input_names=["input"], output_names=["output"])
    return onnx.load_from_string(buf.getvalue()), x.numpy()


def _check(m, x, nhwc):
    want = ort.InferenceSession(m.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    xi = x.transpose(0, 2, 3, 1) if nhwc and x.ndim == 4 else x
    variants = {"convert": ember.convert(m, nhwc=nhwc)}
    ir_model = load(m, nhwc=nhwc)
    layout.run(ir_model)
    variants["layout"] = write(ir_model)
    for label, data in variants.items():
        assert_close(run_ember(data, [xi])[0], want, rtol=1e-4, what=f"{label}/ember")
        assert_close(litert(data, [xi])[0], want, rtol=1e-4, what=f"{label}/litert")


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_matches_onnxruntime(name, opset):
    m, x = export(name, opset)
    _check(m, x, nhwc=False)
    if name in CNNS:
        _check(m, x, nhwc=True)


def _transposes(ops):
    return [i for i, op in enumerate(ops) if op.type == "TRANSPOSE"]


@pytest.mark.parametrize("name", CNNS)
def test_cnn_has_transposes_only_at_the_edges(name):
    m, _ = export(name, 13)
    ir_model = load(m)
    assert len(_transposes(ir_model.main.ops)) > 4          # the frontend's NCHW wrapping
    layout.run(ir_model)
    ops = ir_model.main.ops
    # NCHW I/O: one transpose next to the input (the layout pass may move it below a PAD
    # of the input), none inside -- except where a Flatten of non-1x1 data legitimately
    # needs NCHW element order (the VGG head).
    g = ir_model.main
    near_input = {id(t) for t in g.inputs}
    near_input |= {id(o) for op in ops if any(id(i) in near_input for i in op.inputs)
                   for o in op.outputs}
    where = _transposes(ops)
    edge = [i for i in where if id(ops[i].inputs[0]) in near_input]
    assert len(edge) == 1, [op.type for op in ops]
    for i in set(where) - set(edge):
        nxt = g.consumers(ops[i].outputs[0])
        assert name == "vgg" and [c.type for c in nxt] == ["RESHAPE"], [o.type for o in ops]
    nhwc = load(m, nhwc=True)
    layout.run(nhwc)
    assert len(_transposes(nhwc.main.ops)) == (1 if name == "vgg" else 0), \
        [op.type for op in nhwc.main.ops]


def test_dynamic_batch_export_runs_at_any_batch():
    cls, shape = MODELS["resnet"]
    torch.manual_seed(0)
    net = _randomise_bn(cls()).eval()
    buf = io.BytesIO()
    torch.onnx.export(net, (torch.randn(*shape),), buf, dynamo=False, opset_version=13,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    m = onnx.load_from_string(buf.getvalue())
    for n in (1, 3):
        x = np.random.default_rng(n).standard_normal((n,) + shape[1:]).astype(np.float32)
        _check(m, x, nhwc=False)
