"""Ember: convert, quantise and run TFLite-format models on CPUs and microcontrollers.

    import ember
    it = ember.Interpreter(model_path="model.tflite")
    it.allocate_tensors()

``from ember import interpreter as tflite`` is a drop-in for
``tflite_runtime.interpreter``.
"""
from ember.errors import EmberError
from ember.interpreter import Interpreter, load_delegate
from ember.converter import convert

__version__ = "0.1.0"
__all__ = ["EmberError", "Interpreter", "convert", "load_delegate", "__version__"]
