"""Validation that does not depend on the generated C code: the reference runtimes, the
validation data (user ``.npz`` files, random inputs, ground truth) and the error metrics.

>>> from mcuai.api import load_model                                   # doctest: +SKIP
>>> graph = load_model("model.tflite")                                 # doctest: +SKIP
>>> ref = tflite_reference("model.tflite")                             # doctest: +SKIP
>>> x = random_inputs(graph.inputs, n=10, seed=0)                      # doctest: +SKIP
>>> r = ref.run(x)                                                     # doctest: +SKIP
>>> compute_metrics(c_outputs[0], r[0], graph.outputs[0]).to_json()    # doctest: +SKIP
"""

from mcuai.validate.data import (
    batched_shape,
    dequantize,
    is_classifier_shape,
    load_ground_truth,
    load_inputs,
    quantize,
    random_inputs,
    sample_shape,
)
from mcuai.validate.metrics import Metrics, compute_metrics, format_metric
from mcuai.validate.reference import Reference, TensorInfo, tflite_reference

__all__ = [
    "Metrics",
    "Reference",
    "TensorInfo",
    "batched_shape",
    "compute_metrics",
    "dequantize",
    "format_metric",
    "is_classifier_shape",
    "load_ground_truth",
    "load_inputs",
    "quantize",
    "random_inputs",
    "sample_shape",
    "tflite_reference",
]
