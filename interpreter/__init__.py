"""ember.interpreter: the host interpreter (a drop-in for tflite_runtime.interpreter)."""
from ember.interpreter.interpreter import (Delegate, Interpreter, OpResolverType, SignatureRunner,
                                           load_delegate)

__all__ = ["Delegate", "Interpreter", "OpResolverType", "SignatureRunner", "load_delegate"]
