"""Builds tests/c/test_c_api.c against the C core (with ASan+UBSan when available) and runs it."""
import os
import pathlib
import shutil
import subprocess

import numpy as np

from conftest import need
from ember.schema.builder import ModelBuilder

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _sources():
    core = ROOT / "interpreter" / "core"
    return ([str(p) for p in sorted(core.glob("*.c"))] + [str(p) for p in sorted((core / "kernels").glob("*.c"))]
            + [str(p) for p in sorted((core / "kernels" / "opt").glob("*.c"))]
            + [str(ROOT / "schema" / "c" / "schema_generated.c")])


def _sanitizers_work(cc, tmp):
    probe = tmp / "probe.c"
    probe.write_text("int main(void){return 0;}\n")
    r = subprocess.run([cc, "-fsanitize=address,undefined", str(probe), "-o", str(tmp / "probe")],
                       capture_output=True)
    return r.returncode == 0


def test_c_api_with_custom_op(tmp_path):
    cc = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    need(cc, "a C compiler is needed to build the C API test")
    b = ModelBuilder()
    x = b.input("x", [2, 4], "float32")
    y = b.tensor("y", [2, 4], "float32")
    b.op("CUSTOM", [x], [y], custom_code="AddOne")
    b.output(y)
    model = tmp_path / "add_one.tflite"
    model.write_bytes(b.build())
    exe = tmp_path / "test_c_api"
    flags = ["-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter", "-DEMBER_HOST",
             "-D_GNU_SOURCE", f"-I{ROOT / 'interpreter' / 'core'}", f"-I{ROOT / 'schema' / 'c'}"]
    if _sanitizers_work(cc, tmp_path):
        flags += ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
    build = subprocess.run([cc, *flags, str(ROOT / "tests" / "c" / "test_c_api.c"), *_sources(),
                            "-o", str(exe), "-lm", "-lpthread"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run([str(exe), str(model)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1"})
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stdout + run.stderr
