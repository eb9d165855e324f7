"""A device build reads the model's vectors in place (quantisation scales and zero points,
operator and subgraph indices, shapes) and falls back to aligned copies when the file's
bytes are not aligned for that: both ways must give the same bytes as Ember's host
interpreter, and reading in place must need less of the application's arena."""
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

from conftest import need
from ember.micro import codegen, probe
from ember.micro.sources import CORE, SCHEMA_C, kernel_files

import micro_models as models

HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "runtime.h"
void ember_pl_init(void *mem, size_t bytes);
size_t ember_pl_used_peak(void);

static unsigned char *slurp(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    if (!f) exit(2);
    fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*n + 1);
    if (fread(b, 1, (size_t)*n, f) != (size_t)*n) exit(2);
    fclose(f);
    return b;
}

/* model at (16-aligned + shift) bytes, so the file's vectors lose their alignment */
int main(int argc, char **argv) {
    long n, xn;
    unsigned char *file = slurp(argv[1], &n), *x = slurp(argv[3], &xn);
    int shift = atoi(argv[2]);
    unsigned char *raw = malloc((size_t)n + 64);
    unsigned char *buf = (unsigned char *)(((uintptr_t)raw + 15) & ~(uintptr_t)15) + shift;
    memcpy(buf, file, (size_t)n);
    size_t cap = (size_t)1 << 26;
    void *mem = malloc(cap);
    ember_pl_init(mem, cap);
    char err[256] = "";
    ember_model *m = NULL;
    ember_interp *it = NULL;
    int st = ember_model_load(buf, (size_t)n, &m, err, sizeof err);
    ember_interp_options o = ember_interp_default_options();
    if (!st) st = ember_interp_create(m, &o, &it);
    if (!st) st = ember_interp_allocate(it);
    ember_tensor *in = st ? NULL : ember_interp_input(it, 0);
    if (!st && (long)in->bytes != xn) { fprintf(stderr, "input size\n"); return 3; }
    if (!st) { memcpy(in->data, x, (size_t)xn); st = ember_interp_invoke(it); }
    if (st) { fprintf(stderr, "status %d: %s %s\n", st, err, it ? ember_interp_error(it) : ""); return 1; }
    ember_tensor *y = ember_interp_output(it, 0);
    fwrite(y->data, 1, y->bytes, stdout);
    fprintf(stderr, "%zu\n", ember_pl_used_peak());
    return 0;
}
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    cc = shutil.which("gcc") or shutil.which("cc")
    need(cc is not None, "no host C compiler")
    d = tmp_path_factory.mktemp("inplace")
    (d / "main.c").write_text(HARNESS)
    reg = d / "registry.c"
    reg.write_text(codegen.op_registry_c(sorted(kernel_files()[0])))
    srcs = [s for s in probe._sources() if s.name not in ("registry.c", "probe_main.c")]
    exe = d / "harness"
    r = subprocess.run([cc, "-std=c99", "-O1", "-w", "-DEMBER_MICRO=1", "-D_POSIX_C_SOURCE=200809L",
                        f"-I{CORE}", f"-I{SCHEMA_C}", *map(str, srcs), str(reg), str(d / "main.c"),
                        "-lm", "-o", str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return exe, d


def run(exe, d, model, x, shift):
    (d / "m.tflite").write_bytes(model)
    (d / "x.bin").write_bytes(np.ascontiguousarray(x).tobytes())
    r = subprocess.run([str(exe), str(d / "m.tflite"), str(shift), str(d / "x.bin")],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()[-500:]
    return r.stdout, int(r.stderr.split()[-1])


def host(model, x):
    import ember
    it = ember.Interpreter(model_content=model)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).tobytes()


@pytest.mark.parametrize("which", ["digits", "all_ops"])
def test_in_place_and_copied_vectors_give_the_host_bytes(harness, which, tmp_path):
    exe, d = harness
    if which == "digits":
        model = models.digits_int8()
        x = models.quantize_input(model, models.digits_data()["x_test"][:1])
    else:
        model = models.int8_all_ops(tmp_path)
        import ember
        det = ember.Interpreter(model_content=model).get_input_details()[0]
        x = np.random.default_rng(3).integers(-128, 128, det["shape"]).astype(det["dtype"])
    want = host(model, x)
    aligned, peak_aligned = run(exe, d, model, x, 0)
    half, peak_half = run(exe, d, model, x, 4)      # int64 zero points lose their alignment
    odd, peak_odd = run(exe, d, model, x, 1)        # every vector (and constant) is copied
    assert aligned == want and half == want and odd == want
    assert peak_aligned < peak_half < peak_odd
