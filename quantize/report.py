"""The quantisation report: where quantisation lost accuracy, tensor by tensor.

Both models run on the same samples with every intermediate kept; each quantised
tensor is dequantised and compared with the float model's tensor of the same name
(the quantiser keeps activation names; its copies carry ``_int8``/``_int16``/``_uint8``
suffixes, stripped here). Per tensor: scale and zero point, SQNR in dB
(10 log10(sum float^2 / sum (dequantised - float)^2) over all samples) and the
largest absolute error. Rows come worst first. The HTML report embeds a PNG plot
of SQNR along the graph (matplotlib, if installed); the Markdown one is the table.

The quantised model runs in Ember; if Ember cannot run it (an integer kernel it has
not got yet), LiteRT's reference kernels stand in and the report says so.
"""
import base64
import dataclasses
import html
import io
import math
import os
import re
from typing import List, Optional

import numpy as np

from ember.converter.ir import ConversionError
from ember.errors import EmberError

_SUFFIX = re.compile(r"_(int8|int16|uint8|requant|float)(_\d+)?$")
_last = {"summary": ""}


@dataclasses.dataclass
class Row:
    name: str
    op: str
    dtype: str
    scale: str
    zero_point: str
    sqnr_db: float
    max_err: float
    float_range: tuple
    order: int

    def cells(self):
        lo, hi = self.float_range
        return [self.name, self.op, self.dtype, self.scale, self.zero_point, _db(self.sqnr_db),
                f"{self.max_err:.4g}", f"[{lo:.4g}, {hi:.4g}]"]


HEAD = ["tensor", "op", "type", "scale", "zero point", "SQNR (dB)", "max error", "float range"]


def _db(v):
    return "inf" if math.isinf(v) else f"{v:.2f}"


@dataclasses.dataclass
class Report:
    rows: List[Row]                  # worst first
    outputs: List[Row]
    samples: int
    runtime: str
    float_bytes: int
    quant_bytes: int

    @property
    def mean_output_sqnr(self) -> Optional[float]:
        vals = [r.sqnr_db for r in self.outputs if not math.isinf(r.sqnr_db)]
        if not self.outputs:
            return None
        return float(np.mean(vals)) if vals else math.inf

    def summary(self, n=5):
        lines = [f"quantisation report: {len(self.rows)} tensors compared on {self.samples} sample(s) "
                 f"(quantised model run by {self.runtime}); size {self.float_bytes:,} -> "
                 f"{self.quant_bytes:,} bytes"]
        if self.outputs:
            lines.append("outputs: " + ", ".join(f"{r.name} {_db(r.sqnr_db)} dB" for r in self.outputs))
        lines.append(f"{min(n, len(self.rows))} worst layers (SQNR, max error):")
        for r in self.rows[:n]:
            lines.append(f"  {_db(r.sqnr_db):>8} dB  {r.max_err:<10.4g} {r.op:<20} {r.name}")
        return "\n".join(lines)

    def to_markdown(self):
        out = ["# Quantisation report", "", self._intro(), "",
               "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
        for r in self.rows:
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in r.cells()) + " |")
        return "\n".join(out) + "\n"

    def _intro(self):
        m = self.mean_output_sqnr
        return (f"{len(self.rows)} tensors compared with the float model on {self.samples} "
                f"calibration sample(s); the quantised model ran in {self.runtime}. File size "
                f"{self.float_bytes:,} -> {self.quant_bytes:,} bytes. Mean output SQNR: "
                f"{_db(m) if m is not None else 'n/a'} dB. Worst first.")

    def plot_png(self):
        """SQNR along the graph as PNG bytes, or None without matplotlib."""
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return None
        rows = sorted(self.rows, key=lambda r: r.order)
        vals = [min(r.sqnr_db, 100.0) for r in rows]
        fig, ax = plt.subplots(figsize=(max(6, min(24, 0.18 * len(rows) + 4)), 3.6), dpi=100)
        colors = ["#c0392b" if v < 20 else "#e67e22" if v < 30 else "#2e86c1" for v in vals]
        ax.bar(range(len(rows)), vals, color=colors)
        ax.set_xlabel("tensor (graph order)")
        ax.set_ylabel("SQNR (dB, capped at 100)")
        ax.set_title("Quantisation SQNR per tensor")
        if len(rows) <= 40:
            ax.set_xticks(range(len(rows)))
            ax.set_xticklabels([r.name[-18:] for r in rows], rotation=70, fontsize=6)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        return buf.getvalue()

    def to_html(self):
        png = self.plot_png()
        plot = (f'<img alt="SQNR per tensor" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
                if png else "<p><em>No plot: matplotlib is not installed (pip install matplotlib).</em></p>")
        rows = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r.cells()) + "</tr>"
                         for r in self.rows)
        return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Ember quantisation report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}} th{{background:#eee}}
td:nth-child(6),td:nth-child(7){{text-align:right}}</style></head><body>
<h1>Quantisation report</h1>
<p>{html.escape(self._intro())}</p>
{plot}
<table><tr>{"".join(f"<th>{h}</th>" for h in HEAD)}</tr>
{rows}
</table></body></html>
"""

    def write(self, path):
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext in (".html", ".htm"):
            text = self.to_html()
        elif ext in (".md", ".markdown"):
            text = self.to_markdown()
        else:
            raise ConversionError(f"report {path}: write .html or .md")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def _as_bytes(model):
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    if isinstance(model, (str, os.PathLike)):
        with open(os.fspath(model), "rb") as f:
            return f.read()
    if hasattr(model, "subgraphs"):
        from ember.schema.writer import write
        return write(model)
    raise ConversionError(f"report: a model is bytes, a .tflite path or an IR model, not {type(model).__name__}")


def _interpreter(blob):
    import ember
    return ember.Interpreter(model_content=blob, experimental_preserve_all_tensors=True)


def _litert_stand_in(qblob, feed, why):
    """LiteRT for a model Ember cannot run yet: reference kernels, else the default ones
    (a custom op such as Convolution2DTransposeBias exists only in its XNNPACK delegate)."""
    try:
        from ai_edge_litert import interpreter as lrt
    except ImportError:
        raise ConversionError(f"report: Ember cannot run the quantised model ({why}) and LiteRT "
                              "is not installed to stand in") from None
    note = f"(Ember could not run it: {str(why)[:120]})"
    for kind, kw in (("reference", {"experimental_op_resolver_type": lrt.OpResolverType.BUILTIN_REF}),
                     ("default", {})):
        try:
            it, state = lrt.Interpreter(model_content=qblob, experimental_preserve_all_tensors=True, **kw), {}
            _run(it, feed, state)
            return it, state, f"LiteRT's {kind} kernels {note}"
        except RuntimeError as e:
            last = e
    raise ConversionError(f"report: neither Ember ({why}) nor LiteRT ({last}) runs the quantised model")


def _run(it, feed_by_name, state):
    details = it.get_input_details()
    shapes = [list(feed_by_name[d["name"]].shape) for d in details]
    if state.get("shapes") != shapes:
        for d, s in zip(details, shapes):
            if list(d["shape"]) != s:
                it.resize_tensor_input(d["index"], s)
        it.allocate_tensors()
        state["shapes"] = shapes
        state["details"] = {d["name"]: d for d in it.get_tensor_details()}
    for d in it.get_input_details():
        x = feed_by_name[d["name"]]
        if d["dtype"] != x.dtype:          # an integer input: quantise the float sample
            s, z = d["quantization"]
            info = np.iinfo(d["dtype"])
            x = np.clip(np.round(x / s) + z, info.min, info.max).astype(d["dtype"])
        it.set_tensor(d["index"], x)
    it.invoke()
    out = {}
    for name, d in state["details"].items():
        try:
            out[name] = it.get_tensor(d["index"])
        except ValueError:
            continue
    return out


def _producers(it):
    ops = {}
    try:
        for od in it._get_ops_details():
            for o in od["outputs"]:
                ops[int(o)] = od["op_name"]
    except Exception:       # noqa: BLE001 - op names are decoration only
        pass
    return ops


def report(float_model, quant_model, data, path=None, *, max_samples=None):
    """Compares ``quant_model`` with ``float_model`` on calibration ``data``.

    Models: .tflite bytes, paths or IR models. ``data``: any calibration source
    (ember.quantize.data). Writes ``path`` (.html or .md) if given; returns a Report.
    """
    from ember.converter.api import load
    from ember.quantize.data import input_specs, samples

    fblob, qblob = _as_bytes(float_model), _as_bytes(quant_model)
    specs = input_specs(load(fblob))
    runtime = "Ember"
    feeds = list(samples(data, specs, limit=max_samples))
    fit, fstate = _interpreter(fblob), {}
    try:
        qit, qstate = _interpreter(qblob), {}
        _run(qit, feeds[0], qstate)
    except EmberError as e:
        qit, qstate, runtime = _litert_stand_in(qblob, feeds[0], e)
    acc = {}
    for feed in feeds:
        fvals = _run(fit, feed, fstate)
        qvals = _run(qit, feed, qstate)
        for name, qv in qvals.items():
            d = qstate["details"][name]
            base = name if name in fvals else _SUFFIX.sub("", name)
            fv = fvals.get(base)
            if fv is None or fv.dtype != np.float32 or fv.shape != qv.shape:
                continue
            if np.issubdtype(qv.dtype, np.integer):
                qp = d["quantization_parameters"]
                if len(qp["scales"]) != 1 or qp["scales"][0] == 0:
                    continue
                deq = (qv.astype(np.float64) - qp["zero_points"][0]) * qp["scales"][0]
            elif qv.dtype == np.float32:
                deq = qv.astype(np.float64)
            else:
                continue
            f64 = fv.astype(np.float64)
            a = acc.setdefault(name, [0.0, 0.0, 0.0, np.inf, -np.inf])
            a[0] += float(np.sum(f64 * f64))
            a[1] += float(np.sum((deq - f64) ** 2))
            a[2] = max(a[2], float(np.max(np.abs(deq - f64), initial=0.0)))
            a[3] = min(a[3], float(f64.min(initial=np.inf)))
            a[4] = max(a[4], float(f64.max(initial=-np.inf)))
    producers = _producers(qit)
    rows, by_name = [], {}
    for order, (name, d) in enumerate(sorted(qstate["details"].items(), key=lambda kv: kv[1]["index"])):
        if name not in acc:
            continue
        sig, noise, mx, lo, hi = acc[name]
        qp = d["quantization_parameters"]
        if len(qp["scales"]) == 1:
            scale, zp = f"{float(qp['scales'][0]):.6g}", str(int(qp["zero_points"][0]))
        else:
            scale, zp = "-", "-"
        sqnr = math.inf if noise == 0 else (10 * math.log10(sig / noise) if sig > 0 else -math.inf)
        r = Row(name, producers.get(d["index"], "input"), np.dtype(d["dtype"]).name, scale, zp, sqnr,
                mx, (lo, hi), order)
        rows.append(r)
        by_name[name] = r
    outputs = [by_name[d["name"]] for d in qit.get_output_details() if d["name"] in by_name]
    # Float tensors other than outputs are inputs or float islands: the rows are about quantisation.
    out_names = {o.name for o in outputs}
    rows = [r for r in rows if r.dtype != "float32" or r.name in out_names]
    rows.sort(key=lambda r: (r.sqnr_db, -r.max_err))
    rep = Report(rows, outputs, len(feeds), runtime, len(fblob), len(qblob))
    if path is not None:
        rep.write(path)
    _last["summary"] = rep.summary()
    return rep


def last_summary():
    """The terminal summary (five worst layers) of the last report made in this process."""
    return _last["summary"]
