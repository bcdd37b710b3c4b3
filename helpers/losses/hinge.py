"""Max-margin (hinge) losses on raw scores, not probabilities. Lesson 07.

`binary_hinge` is the two-class hinge max(0, margin - y·f) with labels y in {-1, +1};
`multiclass_hinge(..., divide_by_classes=True)` ~ F.multi_margin_loss
(tests/losses/test_hinge.py checks it against torch).
"""
from __future__ import annotations

import numpy as np

from .. import validate
from .reduction import reduce


def binary_hinge(scores, target, margin: float = 1.0, reduction: str = "mean"):
    """max(0, margin - y·f) with labels y in {-1, +1} and raw scores f (not probabilities). Lesson 07."""
    f, y = validate.pair(scores, target, "scores", "target")
    if not np.all((y == 1) | (y == -1)):
        raise ValueError("hinge targets must be -1 or +1; convert 0/1 labels with y = 2·label - 1")
    return reduce(np.maximum(0.0, margin - y * f), reduction)


def multiclass_hinge(scores, target, margin: float = 1.0, divide_by_classes: bool = False):
    """Multi-class hinge: sum over wrong classes j of max(0, s_j - s_true + margin), mean over rows.

    divide_by_classes=True also divides each row by the number of classes C, which is
    what F.multi_margin_loss does. Lesson 07.
    """
    s = validate.as_array(scores, "scores")
    if s.ndim not in (1, 2) or s.shape[-1] < 2:
        raise ValueError(f"scores must be [C] or [N, C] with C >= 2 classes; got shape {list(s.shape)}")
    validate.finite(s, "scores")
    s2 = s.reshape(-1, s.shape[-1])
    t = np.atleast_1d(validate.as_class_indices(target))
    if t.shape != (s2.shape[0],):
        raise ValueError(f"target must hold one class index per row ({s2.shape[0]}); got shape {list(np.shape(target))}")
    n_classes = s2.shape[1]
    validate.class_range(t, n_classes)
    true = np.take_along_axis(s2, t[:, None], axis=1)
    parts = np.maximum(0.0, s2 - true + margin)
    parts[np.arange(len(t)), t] = 0.0  # the true class does not compete with itself
    per_row = parts.sum(axis=1)
    if divide_by_classes:
        per_row = per_row / n_classes
    return float(per_row.mean())
