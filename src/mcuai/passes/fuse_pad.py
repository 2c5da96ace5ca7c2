"""Fuse a spatial PAD into the convolution, depthwise convolution or max pooling that reads it.

``y = PAD(x)`` followed by ``CONV_2D(y)`` holds ``x`` and the larger ``y`` at the same time and
copies every element once. The consumers already take explicit padding ``(top, bottom, left,
right)``, so the PAD can often disappear: the consumer reads ``x`` with its padding enlarged by
the PAD's. This pass does that only where the result is *exactly* the same integers.

Conditions on the PAD (all must hold):

1. ``x`` has rank 4 (NHWC), only H and W are padded (batch and channel pads are 0), ``y`` is
   not a graph output, ``x`` is not a constant.
2. The tensors are int8 or uint8 (TFLite integer semantics; node ``numerics`` is TFLite's for
   the PAD and every consumer, so ONNX Runtime's rules are not assumed), and ``x`` and ``y``
   have the same per-tensor quantization (PAD copies stored values unchanged; the consumer's
   requantization is derived from its input's scale and zero point, which must not change).
3. Every reader of ``y`` is a consumer below that accepts the fusion; the PAD is then removed
   and every reader gets ``x`` with its padding increased by ``(pt, pb, pl, pr)``.

Per consumer:

* ``conv2d`` / ``depthwise_conv2d``: the pad value equals the zero point of ``y``. In the
  TFLite reference kernels (``ConvPerChannel``, ``DepthwiseConvPerChannel``, and the uint8
  ``Conv`` / ``DepthwiseConv`` with a filter offset) a tap outside the image is skipped; a tap
  on a PAD element adds ``(zp + input_offset) * w = 0`` since ``input_offset = -zp``. Both give
  the same int32 accumulator, hence the same output. mcuai's kernels take the top/left
  padding and derive bottom/right from the output size; every one skips (or reads the zero
  point for) any tap outside ``[0, H) x [0, W)``, whatever the padding amount, so asymmetric
  padding and padding larger than the window are fine (an output whose window lies entirely
  in the padding is ``bias`` requantized, in both forms).
* ``max_pool2d``: TFLite's ``MaxPool`` takes the maximum over the window *clipped to the image*
  (padding never wins). A PAD element of value ``v`` never changes a maximum when ``v`` is at
  most every value the input can hold: ``v`` is the type's minimum, or ``v`` is at most the
  lower clamp bound of ``x``'s producer (e.g. a convolution with a fused ReLU whose zero point
  is ``v``). In addition every window of the fused pooling must contain at least one image
  element (checked for every output row and column), so no output is the maximum of padding
  alone. Then the pads simply add up. Otherwise, when the pooling has no padding of its own
  (VALID) and the tensors are int8, the pooling gets
  :class:`~mcuai.ops.pad.PaddedPool2DAttrs`: its out-of-image window positions hold ``v``
  (``mcu_maxpool2d_inplace_s8`` with ``pad_value = v``), which is PAD + VALID pooling exactly.
* ``avg_pool2d`` is never fused: TFLite divides by the number of in-image elements, so zeros
  added by PAD would change the divisor.

After fusion the 1x1 fast path of a convolution no longer applies when the padding became
non-zero (the lowering chooses the generic kernel); nothing else changes.
"""

from __future__ import annotations

from dataclasses import replace

from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import Tensor
from mcuai.ops.pad import PaddedPool2DAttrs

_CONV = ("conv2d", "depthwise_conv2d")


def _hw_pads(node: Node) -> tuple[int, int, int, int] | None:
    """``(top, bottom, left, right)`` of a PAD that pads only H and W of a rank-4 tensor."""
    pads = node.attrs.pads
    if len(pads) != 4 or pads[0] != (0, 0) or pads[3] != (0, 0):
        return None
    (pt, pb), (pl, pr) = pads[1], pads[2]
    return pt, pb, pl, pr


def _zero_point(t: Tensor) -> int | None:
    q = t.quant
    if q is None or q.per_axis:
        return None
    return q.scalar_zero_point()


def _window_has_image(size: int, out: int, k: int, stride: int, pad_before: int) -> bool:
    """Every output position's window ``[o*stride - pad_before, ... + k)`` meets ``[0, size)``."""
    return all(
        o * stride - pad_before < size and o * stride - pad_before + k > 0 for o in range(out)
    )


def _pad_wins(pad: Node, c: Node, producers: dict[int, Node]) -> bool:
    """The PAD's value may exceed an input value of the pooling (or a window may hold padding
    only), so a plain padding of the pooling would not be exact."""
    x, v = pad.input(0), pad.attrs.value
    if v != x.dtype.qmin:
        prod = producers.get(x.uid)
        clamp = getattr(prod.attrs, "clamp", None) if prod is not None else None
        if clamp is None or prod is None or len(prod.outputs) != 1 or not v <= clamp.lo:
            return True
    a, add = c.attrs, _hw_pads(pad)
    assert add is not None
    top, left = a.pads[0] + add[0], a.pads[2] + add[2]
    _, h, w, _ = x.shape
    _, ho, wo, _ = c.output.shape
    return not (
        _window_has_image(h, ho, a.kernel[0], a.stride[0], top)
        and _window_has_image(w, wo, a.kernel[1], a.stride[1], left)
    )


def _fusable(pad: Node, c: Node, producers: dict[int, Node]) -> bool:
    y = pad.output
    if c.numerics != "tflite" or not c.inputs or c.inputs[0] is not y:
        return False
    if any(t is y for t in c.inputs[1:]):
        return False
    v = pad.attrs.value
    if c.op in _CONV:
        return bool(v == _zero_point(y))
    if c.op != "max_pool2d" or isinstance(c.attrs, PaddedPool2DAttrs):
        return False
    if _pad_wins(pad, c, producers):
        return not any(c.attrs.pads) and y.dtype is DType.INT8
    return True


def run(graph: Graph) -> Graph:
    consumers = graph.consumers()
    producers = graph.producers()
    outputs = {t.uid for t in graph.outputs}
    removed: set[int] = set()
    for n in graph.nodes:
        if n.op != "pad" or n.numerics != "tflite" or len(n.outputs) != 1:
            continue
        x, y = n.input(0), n.output
        add = _hw_pads(n) if x.rank == 4 else None
        readers = consumers.get(y.uid, [])
        if (
            add is None
            or x.is_const
            or y.uid in outputs
            or not readers
            or x.dtype not in (DType.INT8, DType.UINT8)
            or y.dtype is not x.dtype
            or x.quant is None
            or x.quant.per_axis
            or not x.quant.same_as(y.quant)
            or not all(_fusable(n, c, producers) for c in readers)
        ):
            continue
        for c in readers:
            pads = tuple(p + q for p, q in zip(c.attrs.pads, add, strict=True))
            if c.op == "max_pool2d" and _pad_wins(n, c, producers):
                fill = int(n.attrs.value) - x.quant.scalar_zero_point()
                c.attrs = PaddedPool2DAttrs(**vars(c.attrs) | {"pads": pads}, pad_minus_zp=fill)
            else:
                c.attrs = replace(c.attrs, pads=pads)
            c.inputs = [x if t is y else t for t in c.inputs]
        removed.add(id(n))
    if removed:
        graph.nodes = [n for n in graph.nodes if id(n) not in removed]
    return graph
