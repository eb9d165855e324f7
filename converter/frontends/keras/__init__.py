"""Keras frontend: a Keras 3 ``.keras`` archive, a legacy (tf.keras / Keras 3) ``.h5`` file or
an in-memory ``keras.Model`` into the converter IR.

Files are parsed with zipfile/json/h5py; keras and tensorflow are never
imported for them (an in-memory model is saved to a temporary .keras first, so
all three sources take one path). Sequential and functional models, models
used as layers (inlined at each call) and shared layers (their ops repeated,
their weight constants shared) are supported; keras.ops nodes of functional
models are lowered where common (kops.py).

Layout: Keras layers are channels_last like TFLite; channels_first layers get
a TRANSPOSE on each side. Each layer lowers to simple literal ops (activations
as their own op, BatchNormalization as MUL+ADD with constant vectors); the
passes fuse and fold them.

Recurrences (LSTM, GRU, SimpleRNN) are unrolled over the time axis into
elementary ops rather than lowered to UNIDIRECTIONAL_SEQUENCE_LSTM/RNN: see
rnn.py for why. The sequence length must therefore be known.

Unsupported layers raise ConversionError naming the layer's class, name and
index; an input with an unknown non-batch dimension raises one that suggests
``input_shapes``.
"""
from ember.converter.frontends.keras.graph import Walker
from ember.converter.frontends.keras.source import open_source


def read(source, *, input_shapes=None, **options):
    """Reads ``source`` (path to .keras/.h5, or a keras.Model) into an ir.Model."""
    from ember.converter.ir import ConversionError
    unknown = set(options) - {"nhwc"}
    if unknown:
        raise ConversionError(f"the Keras frontend takes no option(s) {', '.join(sorted(unknown))}")
    src = open_source(source)
    try:
        return Walker(src, input_shapes).run()
    except ConversionError:
        raise
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
        # a config that is not shaped like any Keras version writes
        raise ConversionError(f"malformed Keras model config ({type(e).__name__}: {e})") from None
    finally:
        src.close()
