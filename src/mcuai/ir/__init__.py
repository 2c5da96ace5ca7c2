"""The intermediate representation shared by every frontend and backend stage."""

from mcuai.ir.dtypes import DType
from mcuai.ir.graph import Graph
from mcuai.ir.node import Node
from mcuai.ir.tensor import QuantParams, Tensor

__all__ = ["DType", "Graph", "Node", "QuantParams", "Tensor"]
