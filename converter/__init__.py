"""ember.converter: source models (Keras, ONNX, TFLite) to .tflite through one IR."""
from ember.converter.api import convert, load
from ember.converter.ir import ConversionError

__all__ = ["convert", "load", "ConversionError"]
