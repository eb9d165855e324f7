"""Range observers: what calibration learns about each float tensor.

- ``minmax`` (the default): the smallest and largest value over all samples - what
  TensorFlow's calibrator records, so the ranges (and the parameters made from them)
  match TensorFlow's for the same samples.
- ``percentile``: the 0.01th..99.99th percentiles, which ignores rare outliers that
  would otherwise stretch the scale for every other value.
- ``mse``: the clipping range, among shrinkings of the min..max range, whose
  quantise-dequantise round trip has the least mean squared error on the observed
  values (per tensor, for the activation type being produced).

``percentile`` and ``mse`` work on a uniform random subsample of each tensor's values
(at most ``RESERVOIR`` of them, every sample weighted alike), so memory stays bounded
on big models.
"""
import numpy as np

from ember.converter.ir import ConversionError
from ember.quantize.common import activation_quant, dequantize_values, quantize_values

RESERVOIR = 32768
METHODS = ("minmax", "percentile", "mse")


class MinMax:
    def __init__(self):
        self.lo, self.hi = np.inf, -np.inf
        self.count = 0

    def observe(self, x):
        x = np.asarray(x)
        if x.size == 0:
            return
        finite = x[np.isfinite(x)] if not np.all(np.isfinite(x)) else x
        if finite.size:
            self.lo = min(self.lo, float(finite.min()))
            self.hi = max(self.hi, float(finite.max()))
        self.count += 1

    @property
    def seen(self):
        return self.lo <= self.hi

    def range(self, dtype=np.int8):
        return self.lo, self.hi


class _Sampled(MinMax):
    """Min/max plus a bounded uniform subsample (smallest random keys win)."""

    def __init__(self, seed=0):
        super().__init__()
        self._rng = np.random.default_rng(seed)
        self._vals = np.empty(0, np.float32)
        self._keys = np.empty(0, np.float64)

    def observe(self, x):
        x = np.asarray(x, np.float32).ravel()
        x = x[np.isfinite(x)]
        super().observe(x)
        if x.size == 0:
            return
        keys = self._rng.random(x.size)
        if self._keys.size >= RESERVOIR:
            cut = self._keys.max()
            keep = keys < cut
            x, keys = x[keep], keys[keep]
        vals = np.concatenate([self._vals, x])
        allk = np.concatenate([self._keys, keys])
        if allk.size > RESERVOIR:
            idx = np.argpartition(allk, RESERVOIR - 1)[:RESERVOIR]
            vals, allk = vals[idx], allk[idx]
        self._vals, self._keys = vals, allk


class Percentile(_Sampled):
    def __init__(self, percentile=99.99, seed=0):
        super().__init__(seed)
        self.percentile = float(percentile)

    def range(self, dtype=np.int8):
        if self._vals.size == 0:
            return self.lo, self.hi
        lo = float(np.percentile(self._vals, 100.0 - self.percentile))
        hi = float(np.percentile(self._vals, self.percentile))
        # Never clip further than the data on a side with few values (e.g. a ReLU's 0).
        return max(lo, self.lo), min(hi, self.hi)


class MSE(_Sampled):
    """Coordinate search: the upper end over shrinkings of max with the lower end fixed,
    then the lower end likewise, twice (ranges are often lopsided, e.g. after ReLU)."""
    GRID = np.geomspace(0.02, 1.0, 40)

    def _err(self, x, lo, hi, dtype):
        q = activation_quant(lo, hi, dtype)
        return float(np.mean((dequantize_values(quantize_values(x, q, dtype), q) - x) ** 2))

    def range(self, dtype=np.int8):
        if self._vals.size == 0 or self.lo >= self.hi:
            return self.lo, self.hi
        x = self._vals.astype(np.float64)
        lo, hi = self.lo, self.hi
        best = self._err(x, lo, hi, dtype)
        for _ in range(2):
            for side in ("hi", "lo"):
                edge = self.hi if side == "hi" else self.lo
                if edge == 0:
                    continue
                for a in self.GRID:
                    cand = (lo, edge * a) if side == "hi" else (edge * a, hi)
                    e = self._err(x, *cand, dtype)
                    if e < best:
                        best, (lo, hi) = e, cand
        return lo, hi


def make(method):
    if method in (None, "minmax"):
        return MinMax
    if method == "percentile":
        return Percentile
    if method == "mse":
        return MSE
    raise ConversionError(f"unknown calibration method {method!r} (choose from {', '.join(METHODS)})")
