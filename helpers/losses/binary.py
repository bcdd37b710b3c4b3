"""Binary cross-entropy from the Bernoulli likelihood, on probabilities and on logits, in nats. Lesson 07.

Each mirrors a `torch.nn.functional` twin (tests/losses/test_binary.py checks them):
`bce` ~ F.binary_cross_entropy, `bce_with_logits` ~ F.binary_cross_entropy_with_logits.
"""
from __future__ import annotations

import numpy as np

from .. import validate
from .reduction import reduce

TORCH_LOG_FLOOR = -100.0  # F.binary_cross_entropy clamps each log at -100


def sigmoid(logits) -> np.ndarray:
    """1 / (1 + exp(-x)), computed without overflow for large |x|.

    Lesson 07.
    """
    x = validate.as_array(logits, "logits")
    return np.exp(-np.logaddexp(0.0, -x))


def bernoulli_likelihood(q, y) -> np.ndarray:
    """p(y | q) = q^y (1 - q)^(1 - y): the probability a model with P(y=1) = q gives to label y.

    Lesson 07.
    """
    qa, ya = validate.pair(q, y, "q", "y")
    validate.unit_interval(qa, "q", " q is a probability: apply sigmoid to logits first.")
    if not np.all((ya == 0) | (ya == 1)):
        raise ValueError("y must be 0 or 1 for the Bernoulli likelihood")
    return np.where(ya == 1, qa, 1 - qa)


def bce(probs, target, reduction: str = "mean", log_floor: float | None = None):
    """Binary cross-entropy -[y log q + (1 - y) log(1 - q)] on probabilities q, in nats. Lesson 07.

    log_floor=-100 clamps each log like F.binary_cross_entropy; without it, q = 0 with
    y = 1 gives inf, which is the true value.
    """
    q, y = validate.pair(probs, target, "probs", "target")
    validate.unit_interval(q, "probs", " Did you pass logits? Use bce_with_logits, or apply sigmoid first.")
    validate.unit_interval(y, "target")
    with np.errstate(divide="ignore"):
        log_q, log_1mq = np.log(q), np.log1p(-q)
    if log_floor is not None:
        log_q, log_1mq = np.maximum(log_q, log_floor), np.maximum(log_1mq, log_floor)
    # y·log q is 0 when y = 0 even if log q = -inf (0·inf would be NaN)
    terms = y * np.where(y > 0, log_q, 0.0) + (1 - y) * np.where(y < 1, log_1mq, 0.0)
    return reduce(-terms, reduction)


def bce_with_logits(logits, target, reduction: str = "mean"):
    """BCE straight from logits, stable: max(x, 0) - x·y + log(1 + exp(-|x|)). Lesson 07."""
    x, y = validate.pair(logits, target, "logits", "target")
    validate.unit_interval(y, "target")
    return reduce(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))), reduction)
