"""Regression losses, in the units of the target squared (MSE) or in nats (Gaussian NLL). Lesson 06.

Each mirrors its `torch.nn.functional` twin (tests/losses/test_regression.py checks them):
`mse` ~ F.mse_loss, `mae` ~ F.l1_loss, `huber` ~ F.huber_loss, `gaussian_nll` ~
F.gaussian_nll_loss(..., full=True) with a fixed sigma.
"""
from __future__ import annotations

import math

import numpy as np

from ..validate import pair
from .reduction import reduce


def mse(pred, target, reduction: str = "mean"):
    """Squared error (pred - target)², averaged (mean), added up (sum) or per element (none). Lesson 06."""
    p, t = pair(pred, target)
    return reduce((p - t) ** 2, reduction)


def mae(pred, target, reduction: str = "mean"):
    """Absolute error |pred - target| (F.l1_loss). Lesson 06."""
    p, t = pair(pred, target)
    return reduce(np.abs(p - t), reduction)


def huber(pred, target, delta: float = 1.0, reduction: str = "mean"):
    """Huber loss (F.huber_loss): r²/2 for |r| <= delta, delta·(|r| - delta/2) beyond. Lesson 06."""
    if not delta > 0:
        raise ValueError(f"delta must be > 0; got {delta}")
    p, t = pair(pred, target)
    r = np.abs(p - t)
    return reduce(np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta)), reduction)


def gaussian_nll(pred, target, sigma: float = 1.0, reduction: str = "mean"):
    """-log N(target | pred, sigma²) in nats: (target-pred)²/(2σ²) + log(σ) + log(2π)/2. Lesson 06."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 (it is a standard deviation); got {sigma}")
    p, t = pair(pred, target)
    values = (t - p) ** 2 / (2 * sigma ** 2) + math.log(sigma) + 0.5 * math.log(2 * math.pi)
    return reduce(values, reduction)
