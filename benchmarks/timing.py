"""Shared timing helper for the single-op benchmarks."""
import statistics
import time


def time_invoke(it, xs, iters, warmup=3):
    """Median seconds of ``it.invoke()`` after setting inputs ``xs`` (a list)."""
    for d, x in zip(it.get_input_details(), xs):
        it.set_tensor(d["index"], x)
    for _ in range(warmup):
        it.invoke()
    samples = []
    for _ in range(iters):
        t0 = time.perf_counter()
        it.invoke()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)
