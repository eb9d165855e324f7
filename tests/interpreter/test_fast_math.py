"""Accuracy of kernels/fast_math.h (vectorised exp, expm1, logistic, tanh, erfc)
through the kernels that use it, against float64 NumPy / math over the whole
float32 range: a sweep over every 4099th bit pattern (all signs and exponents,
subnormal inputs, NaN payloads and +-inf), dense sweeps around the regions where
the approximations switch or results go subnormal / overflow, and the special
values. The bounds are those documented in fast_math.h, in ulps of the float32
result (for subnormal results, in units of the subnormal spacing 2^-149).
"""
import math

import numpy as np
import pytest

from ember.schema.builder import ModelBuilder
from oracle import ember as run_ember


def _model(op, n, options=None):
    b = ModelBuilder()
    x = b.input("x", [n], "float32")
    y = b.tensor("y", [n], "float32")
    b.op(op, [x], [y], options=options)
    b.output(y)
    return b.build()


def _inputs(lo=None, hi=None):
    bits = np.arange(0, 2**32, 4099, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45, 1e-38,
                         88.72283, 88.72284, 88.7229, 89.0, -87.33655, -87.3366, -103.2789,
                         -103.97, -103.98, -104.0, -105.0, 0.5, -0.5, 0.625, -0.625,
                         3.4e38, -3.4e38], np.float32)
    dense = [np.linspace(-110, 95, 200001, dtype=np.float32),
             np.linspace(-1, 1, 100001, dtype=np.float32),
             np.linspace(-1e-3, 1e-3, 10001, dtype=np.float32)]
    x = np.concatenate([x, specials] + dense)
    if lo is not None:
        with np.errstate(invalid="ignore"):
            keep = np.isnan(x) | ((x >= lo) & (x <= hi)) | np.isinf(x)
        x = x[keep]
    return x


def _ulp_error(got, want):
    """Error in ulps of float32(want); overflow / NaN must match exactly."""
    with np.errstate(over="ignore"):
        want32 = want.astype(np.float32)
    err = np.zeros(want.shape)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), "NaN where none expected (or missing)"
    inf = np.isinf(want32)
    assert np.array_equal(got[inf], want32[inf]), "overflow / infinity mismatch"
    fin = ~nan & ~inf
    a = np.abs(want[fin])
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(np.maximum(a, 2.0**-126)))
    ulp = np.exp2(e - 23)
    err[fin] = np.abs(got[fin].astype(np.float64) - want[fin]) / ulp
    return err


def _check(op, x, ref, bound, options=None):
    got = run_ember(_model(op, x.size, options), [x])[0]
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    err = _ulp_error(got, want)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, f"{op}: {err[worst]:.2f} ulp at x={x[worst]!r} (got {got[worst]!r}, want {want[worst]!r})"


def test_exp():
    _check("EXP", _inputs(), np.exp, 1.0)


def test_logistic():
    _check("LOGISTIC", _inputs(),
           lambda v: np.where(v >= 0, 1.0 / (1.0 + np.exp(-v)), np.exp(v) / (1.0 + np.exp(v))), 3.0)


def test_tanh():
    _check("TANH", _inputs(), np.tanh, 2.0)


def test_elu_expm1():
    # ELU(x) = expm1(x) for x < 0, x otherwise.
    _check("ELU", _inputs(), lambda v: np.where(v < 0, np.expm1(v), v), 2.0)


def test_gelu_erf():
    # GELU(x) = x/2 erfc(z), z = -x/sqrt2 rounded to float32 as the kernel does
    # (in the far negative tail GELU is ill-conditioned in z: rounding z alone
    # moves the result by ~2 z^2 2^-24 relative). Bound: erfc's 8 ulp plus the
    # products' rounding.
    x = _inputs(-14.0, 14.0)
    x = x[~np.isinf(x) & ~np.isnan(x)]
    erfc = np.vectorize(math.erfc, otypes=[np.float64])
    z = (x * np.float32(-0.70710678118654752)).astype(np.float64)
    want = 0.5 * x.astype(np.float64) * erfc(z)
    got = run_ember(_model("GELU", x.size), [x])[0]
    big = np.abs(want) >= 1e-30
    err = _ulp_error(got[big], want[big])
    assert err.max() <= 10.0, f"GELU: {err.max():.2f} ulp at x={x[big][np.argmax(err)]!r}"
    assert np.all(np.abs(got[~big]) <= 1e-29)
    sp = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0], np.float32)
    got = run_ember(_model("GELU", sp.size), [sp])[0]
    # GELU(-inf) = -inf * erfc(inf) = -inf * 0 = NaN, as LiteRT.
    np.testing.assert_array_equal(got, np.array([np.inf, np.nan, np.nan, 0.0, -0.0], np.float32))


@pytest.mark.parametrize("op", ["EXP", "LOGISTIC", "TANH", "ELU", "GELU"])
def test_threads_and_odd_lengths(op):
    # Vector loops with scalar tails: every length 1..40 and a threaded run.
    for n in list(range(1, 41)) + [100003]:
        x = np.linspace(-9, 9, n, dtype=np.float32)
        a = run_ember(_model(op, n), [x], num_threads=1)[0]
        b = run_ember(_model(op, n), [x], num_threads=3)[0]
        np.testing.assert_array_equal(a, b)
        ref = run_ember(_model(op, 1), [x[-1:]])[0]
        np.testing.assert_array_equal(a[-1:], ref)
