"""Ember: micro — the same C core compiled into firmware for Cortex-M boards.

    ember.micro.build("model.tflite", "mps2-an386", "out/")      # project + ELF + report
    ember.micro.run("model.tflite", "mps2-an386", [x])            # under QEMU
    ember.micro.unsupported(model_bytes)                          # what a micro build can't take
"""
from .analyze import unsupported
from .errors import MicroError
from .project import build, generate
from .qemu import run

__all__ = ["MicroError", "build", "generate", "run", "unsupported"]
