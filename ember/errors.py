"""Ember's one exception type. It subclasses ValueError, so code written to
catch tflite_runtime's ValueError keeps working."""
from ember._ember import EmberError

__all__ = ["EmberError"]
