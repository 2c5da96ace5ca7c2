"""Build the repository's example model: a small int8 CNN for scikit-learn's 8x8 digits.

The script trains a tiny Keras CNN on scikit-learn's bundled ``load_digits`` dataset (8x8 grey
images, 10 classes, no download), converts it to a full-integer int8 TFLite model with
post-training quantization and writes:

* ``examples/digits_cnn_int8.tflite`` - the model (int8 input/output, per-channel conv weights);
* ``examples/digits_test.npz`` - ``input_0``: the first 20 test images as float32 [20, 8, 8, 1]
  scaled to [0, 1] (not quantized), ``output_0``: their labels as int64 [20].

The model uses operators common on microcontrollers: CONV_2D (3x3 and 1x1), DEPTHWISE_CONV_2D
with ReLU6, a residual ADD, MAX_POOL_2D, AVERAGE_POOL_2D, RESHAPE, FULLY_CONNECTED and SOFTMAX.
It prints the float and the int8 accuracy on the test split (the latter with the TFLite
reference kernels) and the builtin operators in the converted model.

TensorFlow is not a dependency of mcuai; run the script with an interpreter that has
``tensorflow`` and ``scikit-learn`` installed, from the repository root::

    /path/to/venv-with-tensorflow/bin/python scripts/make_example_model.py
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

SEED = 1234
N_TEST = 360
N_SAMPLES = 20
EPOCHS = 50
BATCH = 32
ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "examples"
MODEL_PATH = OUT_DIR / "digits_cnn_int8.tflite"
DATA_PATH = OUT_DIR / "digits_test.npz"


def set_seeds(seed: int) -> None:
    """Seed every random generator involved and ask TensorFlow for deterministic ops."""
    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (x_train, y_train, x_test, y_test); x is float32 [N, 8, 8, 1] in [0, 1]."""
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0).reshape(-1, 8, 8, 1)
    y = digits.target.astype(np.int64)
    return x[:-N_TEST], y[:-N_TEST], x[-N_TEST:], y[-N_TEST:]


def shift_augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift every image by -1..1 pixels in each direction, filling with zeros."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    offsets = rng.integers(0, 3, size=(len(x), 2))
    return np.stack([padded[i, dy : dy + 8, dx : dx + 8] for i, (dy, dx) in enumerate(offsets)])


def build_model(batch_size: int | None = None) -> tf.keras.Model:
    """A small CNN with a residual block (about 4.9k parameters).

    A fixed ``batch_size`` gives static shapes, so Flatten converts to a single RESHAPE instead
    of SHAPE/STRIDED_SLICE/PACK.
    """
    layers = tf.keras.layers
    inp = layers.Input(shape=(8, 8, 1), batch_size=batch_size, name="image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv3x3")(inp)
    # Branch A: depthwise 3x3 + ReLU6, then a linear 1x1 expansion.
    a = layers.DepthwiseConv2D(3, padding="same", name="dwconv3x3")(x)
    a = layers.ReLU(max_value=6.0, name="relu6")(a)
    a = layers.Conv2D(16, 1, name="conv1x1_a")(a)
    # Branch B: linear 1x1 projection of the block input.
    b = layers.Conv2D(16, 1, name="conv1x1_b")(x)
    x = layers.Add(name="residual_add")([a, b])
    x = layers.ReLU(name="relu")(x)
    x = layers.MaxPool2D(2, name="maxpool")(x)  # 4x4x16
    x = layers.Conv2D(24, 3, padding="same", activation="relu", name="conv3x3_2")(x)
    x = layers.AveragePooling2D(2, name="avgpool")(x)  # 2x2x24
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.2, name="dropout")(x)  # training only; not in the TFLite model
    x = layers.Dense(10, name="dense")(x)
    out = layers.Softmax(name="softmax")(x)
    return tf.keras.Model(inp, out, name="digits_cnn")


def convert_int8(model: tf.keras.Model, x_train: np.ndarray) -> bytes:
    """Full-integer post-training quantization with int8 input and output (batch size 1)."""
    infer = build_model(batch_size=1)
    infer.set_weights(model.get_weights())

    def representative() -> Iterator[list[np.ndarray]]:
        for i in range(len(x_train)):
            yield [x_train[i : i + 1]]

    converter = tf.lite.TFLiteConverter.from_keras_model(infer)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    result: bytes = converter.convert()
    return result


def make_interpreter(model_path: Path) -> Any:
    """A LiteRT interpreter using the reference kernels (ai_edge_litert if installed)."""
    try:
        from ai_edge_litert import interpreter as litert

        return litert.Interpreter(
            model_path=str(model_path),
            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF,
        )
    except ImportError:
        return tf.lite.Interpreter(
            model_path=str(model_path),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
        )


def evaluate_tflite(model_path: Path, x: np.ndarray, y: np.ndarray) -> tuple[float, Any]:
    """Accuracy of the int8 model on (x, y), quantizing the float inputs; returns (acc, interp)."""
    interp = make_interpreter(model_path)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    scale, zero_point = inp["quantization"]
    correct = 0
    for image, label in zip(x, y, strict=True):
        q = np.clip(np.round(image / scale) + zero_point, -128, 127).astype(np.int8)
        interp.set_tensor(inp["index"], q[np.newaxis])
        interp.invoke()
        correct += int(np.argmax(interp.get_tensor(out["index"])[0]) == label)
    return correct / len(y), interp


def main() -> None:
    set_seeds(SEED)
    x_train, y_train, x_test, y_test = load_data()
    model = build_model()
    steps = EPOCHS * -(-len(x_train) // BATCH)
    lr = tf.keras.optimizers.schedules.CosineDecay(5e-3, decay_steps=steps, alpha=0.02)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary()
    rng = np.random.default_rng(SEED)
    for epoch in range(1, EPOCHS + 1):
        hist = model.fit(shift_augment(x_train, rng), y_train, batch_size=BATCH, verbose=0)
        if epoch % 10 == 0:
            _, test_acc = model.evaluate(x_test, y_test, verbose=0)
            print(
                f"epoch {epoch:3d}: train accuracy {hist.history['accuracy'][-1]:.4f}, "
                f"test accuracy {test_acc:.4f}"
            )
    _, float_acc = model.evaluate(x_test, y_test, verbose=0)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_bytes(convert_int8(model, x_train))
    np.savez(
        DATA_PATH,
        input_0=x_test[:N_SAMPLES].astype(np.float32),
        output_0=y_test[:N_SAMPLES].astype(np.int64),
    )

    int8_acc, interp = evaluate_tflite(MODEL_PATH, x_test, y_test)
    ops = sorted({op["op_name"] for op in interp._get_ops_details()})
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    print(f"parameters:          {model.count_params()}")
    print(f"float test accuracy: {float_acc:.4f} ({len(y_test)} samples)")
    print(f"int8 test accuracy:  {int8_acc:.4f} ({type(interp).__module__}, BUILTIN_REF)")
    print(f"builtin ops:         {', '.join(ops)}")
    for name, det in (("input", inp), ("output", out)):
        scale, zero_point = det["quantization"]
        print(
            f"{name + ':':<20} {np.dtype(det['dtype']).name} {det['shape'].tolist()} "
            f"scale={scale!r} zero_point={zero_point}"
        )
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size} bytes)")
    print(f"wrote {DATA_PATH.relative_to(ROOT)} ({DATA_PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
