"""How per-element losses become one number: torch's `reduction=` argument."""
from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def reduce(values: np.ndarray, reduction: str = "mean"):
    """Per-element losses to one number, like torch's `reduction=`: 'mean', 'sum' or 'none'."""
    if reduction == "mean":
        return float(values.mean())
    if reduction == "sum":
        return float(values.sum())
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")
