"""Builds Ember's C core into one stable-ABI CPython extension (ember._ember).

The package is laid out by architecture: top-level folders map onto
subpackages of ``ember`` (see docs/architecture.md).
"""
import glob
import os
import sys

from setuptools import Extension, setup

try:
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # pragma: no cover - wheel is a build requirement
    _bdist_wheel = None

HERE = os.path.dirname(os.path.abspath(__file__))
SUBPACKAGES = ["converter", "interpreter", "quantize", "micro", "schema", "boards"]


def core_sources():
    pats = ["interpreter/core/*.c", "interpreter/core/kernels/*.c",
            "interpreter/core/kernels/opt/*.c", "schema/c/*.c", "interpreter/binding/*.c"]
    out = []
    for p in pats:
        out += sorted(glob.glob(p, root_dir=HERE) if sys.version_info >= (3, 10)
                      else [os.path.relpath(f, HERE) for f in glob.glob(os.path.join(HERE, p))])
    return out


def packages():
    pkgs, dirs = ["ember"], {"ember": "ember"}
    for root, _subdirs, files in os.walk(os.path.join(HERE, "ember")):   # ember.cli, ...
        rel = os.path.relpath(root, HERE)
        if rel != "ember" and "__init__.py" in files:
            name = rel.replace(os.sep, ".")
            pkgs.append(name)
            dirs[name] = rel
    for top in SUBPACKAGES:
        for root, _subdirs, files in os.walk(os.path.join(HERE, top)):
            if "__init__.py" not in files:
                continue
            rel = os.path.relpath(root, HERE)
            name = "ember." + rel.replace(os.sep, ".")
            pkgs.append(name)
            dirs[name] = rel
    return pkgs, dirs


# -fno-math-errno: kernels never read errno, and without it gcc will not
# vectorise sqrtf & co. -ffp-contract=fast: allow FMA contraction, which
# -std=c99 otherwise turns off.
cflags = ["-std=c99", "-O3", "-Wall", "-Wextra", "-fvisibility=hidden",
          "-Wno-unused-parameter", "-fno-math-errno", "-ffp-contract=fast"]
if os.environ.get("EMBER_SANITIZE"):
    cflags += ["-O1", "-g", "-fno-omit-frame-pointer",
               "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]

ext = Extension(
    "ember._ember",
    sources=core_sources(),
    include_dirs=["interpreter/core", "schema/c"],
    define_macros=[("Py_LIMITED_API", "0x03090000"), ("EMBER_HOST", "1"),
                   ("_GNU_SOURCE", "1")],
    extra_compile_args=cflags,
    extra_link_args=(["-fsanitize=address,undefined"] if os.environ.get("EMBER_SANITIZE") else [])
    + ["-lpthread", "-lm"],
    py_limited_api=True,
)

cmdclass = {}
if _bdist_wheel is not None:
    class bdist_wheel(_bdist_wheel):
        def finalize_options(self):
            super().finalize_options()
            self.py_limited_api = "cp39"
    cmdclass["bdist_wheel"] = bdist_wheel

pkgs, pkg_dirs = packages()
setup(
    packages=pkgs,
    package_dir=pkg_dirs,
    # The C sources ship too: `ember micro build` copies the core, kernels and schema
    # tables into the firmware project it writes.
    package_data={
        "ember.schema": ["*.fbs", "c/*.c", "c/*.h"],
        "ember.interpreter": ["core/*.c", "core/*.h", "core/kernels/*.c", "core/kernels/*.h",
                              "core/kernels/*.inc", "core/kernels/opt/*.c", "core/kernels/opt/*.h"],
        "ember.micro": ["c/*"],
        "ember.boards": ["*.json", "data/*.json"],
    },
    ext_modules=[ext],
    cmdclass=cmdclass,
)
