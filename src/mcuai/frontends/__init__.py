"""Frontends read a model file and build the IR. Each quantization format lands in the same
quantized IR (:class:`~mcuai.ir.tensor.QuantParams` on tensors)."""
