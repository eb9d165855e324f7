"""Small Keras models, one per layer/option family, for the Keras frontend tests.

Each builder returns (model, inputs). Weights are Keras' random initialisers
plus random biases and normalisation statistics (see ``randomize``), so folding
and per-channel constants are exercised rather than multiplied by 1 or 0.
"""
import numpy as np


def randomize(model, seed=0):
    """Non-trivial biases, BatchNorm statistics, etc.: every 1-D weight gets random values."""
    import keras
    rng = np.random.default_rng(seed)
    for layer in _all_layers(model):
        ws = layer.get_weights()
        if not ws or isinstance(layer, keras.layers.Normalization):
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            n = len(ws)
            ws = [rng.uniform(0.5, 1.5, w.shape) if i == n - 1 or (layer.scale and i == 0)
                  else 0.2 * rng.standard_normal(w.shape) for i, w in enumerate(ws)]
        else:
            ws = [w if w.ndim > 1 else 0.2 * rng.standard_normal(w.shape) for w in ws]
        layer.set_weights([np.asarray(w, np.float32) for w in ws])
    return model


def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)
        else:
            yield layer


def _x(*shape, seed=1, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)


def _model(inp, outs, name):
    import keras
    return keras.Model(inp, outs, name=name)


def _each(inp, layers, name):
    """One model applying each layer to the same input: one output per layer."""
    return _model(inp, [lay(inp) for lay in layers], name)


def dense():
    import keras
    from keras import layers as L
    a = keras.Input((6,), name="a")
    b = keras.Input((4, 6), name="b")
    m = _model([a, b], [L.Dense(5, activation="relu")(a), L.Dense(3, use_bias=False)(b),
                        L.Dense(4, activation="tanh")(b)], "dense")
    return m, [_x(2, 6), _x(2, 4, 6, seed=2)]


def conv2d():
    import keras
    from keras import layers as L
    x = keras.Input((9, 10, 4), name="x")
    m = _each(x, [L.Conv2D(6, 3, padding="same"), L.Conv2D(5, (3, 2), padding="valid", strides=2),
                  L.Conv2D(4, 3, dilation_rate=2, padding="same", use_bias=False, activation="relu6"),
                  L.Conv2D(6, 3, groups=2, padding="same", activation="relu"),
                  L.Conv2D(3, 2, strides=(2, 1), padding="same")], "conv2d")
    return m, [_x(2, 9, 10, 4)]


def conv2d_channels_first():
    import keras
    from keras import layers as L
    x = keras.Input((3, 8, 7), name="x")
    s = keras.Input((3, 9), name="s")
    cf = {"data_format": "channels_first"}
    outs = [L.Conv2D(4, 3, padding="same", **cf)(x), L.MaxPooling2D(2, **cf)(x),
            L.GlobalAveragePooling2D(**cf)(x), L.DepthwiseConv2D(3, **cf)(x),
            L.ZeroPadding2D(1, **cf)(x), L.Cropping2D(1, **cf)(x), L.UpSampling2D(2, **cf)(x),
            L.Flatten(**cf)(x), L.Conv1D(2, 3, **cf)(s), L.AveragePooling1D(2, **cf)(s),
            L.GlobalMaxPooling1D(**cf)(s), L.ZeroPadding1D(2, **cf)(s)]
    return _model([x, s], outs, "conv2d_nchw"), [_x(2, 3, 8, 7), _x(2, 3, 9, seed=9)]


def conv1d():
    import keras
    from keras import layers as L
    x = keras.Input((12, 3), name="x")
    m = _each(x, [L.Conv1D(4, 3, padding="same"), L.Conv1D(5, 3, strides=2),
                  L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu")], "conv1d")
    return m, [_x(2, 12, 3)]


def depthwise():
    import keras
    from keras import layers as L
    x = keras.Input((9, 9, 4), name="x")
    s = keras.Input((11, 3), name="s")
    outs = [L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x),
            L.DepthwiseConv2D(3, strides=2, use_bias=False, activation="relu")(x),
            L.DepthwiseConv1D(3, padding="same")(s),
            L.SeparableConv2D(5, 3, padding="same", depth_multiplier=2)(x),
            L.SeparableConv2D(3, 3, strides=2, activation="relu")(x),
            L.SeparableConv1D(4, 3, padding="same")(s)]
    return _model([x, s], outs, "depthwise"), [_x(2, 9, 9, 4), _x(2, 11, 3, seed=3)]


def conv_transpose():
    import keras
    from keras import layers as L
    x = keras.Input((5, 6, 3), name="x")
    m = _each(x, [L.Conv2DTranspose(4, 3, strides=2, padding="same"),
                  L.Conv2DTranspose(2, 3, strides=2, padding="valid", activation="relu"),
                  L.Conv2DTranspose(3, 2, strides=1, padding="valid", use_bias=False)], "deconv")
    return m, [_x(2, 5, 6, 3)]


def normalization():
    import keras
    from keras import layers as L
    x = keras.Input((5, 6, 4), name="x")
    v = keras.Input((6,), name="v")
    outs = [L.BatchNormalization()(x), L.BatchNormalization(center=False, scale=False)(v),
            L.BatchNormalization(axis=1)(x),
            L.LayerNormalization()(x), L.LayerNormalization(axis=[2, 3], center=False)(x),
            L.LayerNormalization(epsilon=0.1)(v),
            L.Rescaling(1 / 127.5, offset=-1)(x), L.Rescaling([0.5, 2.0, 1.0, 3.0])(x),
            L.Normalization(mean=[0.5, 1.0, -1.0, 0.0], variance=[2.0, 0.5, 1.0, 4.0])(x),
            L.Normalization(axis=None, mean=1.5, variance=3.0, invert=True)(v)]
    return _model([x, v], outs, "norms"), [_x(2, 5, 6, 4), _x(2, 6, seed=4)]


ACTIVATIONS = ("relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax", "swish", "silu",
               "hard_swish", "hard_silu", "gelu", "elu", "selu", "softplus", "leaky_relu",
               "linear", "softsign")


def activations():
    import keras
    from keras import layers as L
    x = keras.Input((3, 7), name="x")
    outs = [L.Activation(a)(x) for a in ACTIVATIONS]
    outs.append(keras.ops.gelu(x, approximate=True))
    return _model(x, outs, "activations"), [_x(2, 3, 7, lo=-6, hi=6)]


def activation_layers():
    import keras
    from keras import layers as L
    x = keras.Input((4, 5, 3), name="x")
    m = _each(x, [L.ReLU(), L.ReLU(max_value=6.0), L.ReLU(max_value=2.5), L.ReLU(negative_slope=0.1),
                  L.ReLU(threshold=0.5), L.ReLU(max_value=3.0, negative_slope=0.2, threshold=1.0),
                  L.ReLU(max_value=6.0, negative_slope=0.3), L.LeakyReLU(negative_slope=0.1),
                  L.PReLU(), L.PReLU(shared_axes=[1, 2]), L.ELU(), L.ELU(alpha=0.7),
                  L.Softmax(), L.Softmax(axis=1)], "act_layers")
    return m, [_x(2, 4, 5, 3, lo=-4, hi=8)]


def pooling():
    import keras
    from keras import layers as L
    # SAME average pooling only where the padding is symmetric: Keras' torch backend pads
    # asymmetric cases with zeros it then counts, unlike TensorFlow and TFLite
    x = keras.Input((9, 9, 3), name="x")
    s = keras.Input((11, 3), name="s")
    outs = [L.MaxPooling2D()(x), L.MaxPooling2D(3, strides=2, padding="same")(x),
            L.AveragePooling2D(2)(x), L.AveragePooling2D(3, strides=2, padding="same")(x),
            L.MaxPooling1D(2)(s), L.AveragePooling1D(3, strides=2, padding="same")(s),
            L.GlobalAveragePooling2D()(x), L.GlobalMaxPooling2D(keepdims=True)(x),
            L.GlobalAveragePooling1D(keepdims=True)(s), L.GlobalMaxPooling1D()(s)]
    return _model([x, s], outs, "pooling"), [_x(2, 9, 9, 3), _x(2, 11, 3, seed=5)]


def reshaping():
    import keras
    from keras import layers as L
    x = keras.Input((4, 6, 2), name="x")
    s = keras.Input((6, 3), name="s")
    outs = [L.Flatten()(x), L.Reshape((12, 4))(x), L.Reshape((-1, 3))(x), L.Permute((3, 1, 2))(x),
            L.ZeroPadding2D(((1, 2), (0, 1)))(x), L.ZeroPadding2D(1)(x), L.ZeroPadding1D((2, 1))(s),
            L.Cropping2D(((1, 0), (2, 1)))(x), L.Cropping1D((1, 2))(s),
            L.UpSampling2D((2, 3))(x), L.UpSampling2D(2, interpolation="bilinear")(x),
            L.UpSampling1D(3)(s), L.Resizing(7, 9)(x), L.Resizing(8, 12, interpolation="nearest")(x), L.Resizing(3, 4)(x),
            L.Resizing(2, 3, interpolation="nearest")(x),
            L.RepeatVector(3)(L.Flatten()(s))]
    return _model([x, s], outs, "reshaping"), [_x(2, 4, 6, 2), _x(2, 6, 3, seed=6)]


def merging():
    import keras
    from keras import layers as L
    a = keras.Input((3, 4), name="a")
    b = keras.Input((3, 4), name="b")
    c = keras.Input((3, 4), name="c")
    outs = [L.Add()([a, b, c]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b, c]),
            L.Maximum()([a, b]), L.Minimum()([a, b, c]), L.Concatenate()([a, b]),
            L.Concatenate(axis=1)([a, b, c])]
    return _model([a, b, c], outs, "merging"), [_x(2, 3, 4), _x(2, 3, 4, seed=7), _x(2, 3, 4, seed=8)]


def no_ops():
    import keras
    from keras import layers as L
    x = keras.Input((4, 4, 3), name="x")
    y = L.Dense(3)(x)
    for lay in (L.Dropout(0.5), L.SpatialDropout2D(0.3), L.GaussianNoise(1.0), L.GaussianDropout(0.4),
                L.ActivityRegularization(0.1), L.AlphaDropout(0.2)):
        y = lay(y)
    return _model(x, y, "no_ops"), [_x(2, 4, 4, 3)]


def embedding():
    import keras
    from keras import layers as L
    ids = keras.Input((5,), dtype="int32", name="ids")
    fids = keras.Input((3,), name="fids")        # float ids: Keras casts them to int
    emb = L.Embedding(11, 4)
    outs = [L.Dense(2)(emb(ids)), emb(fids)]
    return _model([ids, fids], outs, "embedding"), [
        np.array([[0, 3, 10, 2, 2], [5, 1, 7, 9, 4]], np.int32),
        np.array([[1, 4, 10], [0, 2, 3]], np.float32)]


def recurrent():
    import keras
    from keras import layers as L
    x = keras.Input((5, 3), name="x")
    outs = [L.LSTM(4)(x), L.LSTM(3, return_sequences=True)(x),
            L.LSTM(2, go_backwards=True, activation="relu", return_sequences=True)(x),
            L.GRU(4)(x), L.GRU(3, return_sequences=True)(x), L.GRU(3, reset_after=False)(x),
            L.SimpleRNN(4)(x), L.SimpleRNN(3, return_sequences=True, activation="relu")(x),
            *L.LSTM(2, return_state=True)(x), *L.GRU(2, return_sequences=True, return_state=True,
                                                  use_bias=False)(x)]
    return _model(x, outs, "recurrent"), [_x(2, 5, 3)]


def nested_shared():
    import keras
    from keras import layers as L
    inner = keras.Sequential([keras.Input((6,)), L.Dense(4, name="d_in"),
                              L.BatchNormalization(name="bn_in"), L.Activation("swish")], name="inner")
    x = keras.Input((6,), name="x")
    shared = L.Dense(6, activation="tanh", name="shared")
    h = shared(shared(x))                      # one layer, two calls, one set of weights
    y = L.Concatenate()([inner(h), inner(x)])  # a nested model called twice
    return _model(x, y, "nested"), [_x(2, 6)]


def sequential():
    import keras
    from keras import layers as L
    m = keras.Sequential([keras.Input((8, 8, 2)), L.Conv2D(4, 3, activation="relu"),
                          L.MaxPooling2D(), L.Flatten(), L.Dense(3, activation="softmax")], name="seq")
    return m, [_x(2, 8, 8, 2)]


def keras_ops():
    import keras
    from keras import ops
    x = keras.Input((4, 6), name="x")
    outs = [ops.mean(x, axis=1, keepdims=True), ops.reshape(x, (-1, 24)),
            ops.transpose(x, (0, 2, 1)), ops.sqrt(ops.abs(x)) / 2.0, ops.clip(x, -1, 1), 1.0 - x,
            x[:, 1:3], ops.expand_dims(x, 1), ops.sigmoid(x) * ops.hard_silu(x),
            ops.concatenate([x, x * 3.0], axis=-1), ops.maximum(x, 0.5), ops.sum(x, axis=-1),
            ops.relu6(x) + 3.0, ops.squeeze(ops.max(x, axis=1, keepdims=True), axis=1)]
    return _model(x, outs, "ops"), [_x(2, 4, 6)]


CASES = {f.__name__: f for f in (dense, conv2d, conv2d_channels_first, conv1d, depthwise,
                                 conv_transpose, normalization, activations, activation_layers,
                                 pooling, reshaping, merging, no_ops, embedding, recurrent,
                                 nested_shared, sequential, keras_ops)}
