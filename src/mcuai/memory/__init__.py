"""Activation memory: buffer lifetimes and their static placement in one arena."""

from mcuai.memory.planner import (
    HEURISTICS,
    Buffer,
    Plan,
    PlanError,
    check_plan,
    lower_bound,
    plan_arena,
)

__all__ = ["HEURISTICS", "Buffer", "Plan", "PlanError", "check_plan", "lower_bound", "plan_arena"]
