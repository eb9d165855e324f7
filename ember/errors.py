"""Ember's one exception type. It subclasses ValueError, so code written to
catch tflite_runtime's ValueError keeps working. NotReadyError (a call in the
wrong state, such as invoke() before allocate_tensors()) is also a
RuntimeError, which is what LiteRT raises there."""
from ember._ember import EmberError, NotReadyError

__all__ = ["EmberError", "NotReadyError"]
