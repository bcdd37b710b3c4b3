"""Information theory in nats: entropy, cross-entropy and KL between distributions, surprise, bits.

    entropy, cross_entropy_probs, kl_divergence   lesson 03 (nll_and_cross_entropy), used in 04
    surprise                                      lesson 00 (start_here) and 04 (mm_surprise_game)
    to_bits                                       lesson 03
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .. import validate


def _per_row(out: np.ndarray) -> float | np.ndarray:
    return float(out) if out.ndim == 0 else out


def entropy(p) -> float | np.ndarray:
    """H(p) = -sum p log p in nats, with 0 log 0 = 0. One value per row of p.

    Lesson 03.
    """
    arr = validate.probabilities(p, "p")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(arr > 0, arr * np.log(arr), 0.0)
    return _per_row(-terms.sum(axis=-1))


def _two_distributions(p, q) -> tuple[np.ndarray, np.ndarray]:
    pa, qa = validate.probabilities(p, "p"), validate.probabilities(q, "q")
    validate.same_shape(pa, qa, "p", "q")
    return pa, qa


def cross_entropy_probs(p, q) -> float | np.ndarray:
    """H(p, q) = -sum p log q in nats, between two distributions. inf where q = 0 < p.

    Lesson 03.
    """
    pa, qa = _two_distributions(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pa > 0, pa * np.log(qa), 0.0)
    return _per_row(-terms.sum(axis=-1))


def kl_divergence(p, q) -> float | np.ndarray:
    """KL(p || q) = sum p log(p / q) in nats: the gap H(p, q) - H(p). inf where q = 0 < p.

    Lesson 03.
    """
    pa, qa = _two_distributions(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pa > 0, pa * (np.log(pa) - np.log(qa)), 0.0)
    return _per_row(terms.sum(axis=-1))


def surprise(q, outcome) -> float:
    """-log q(outcome) in nats: how surprising the outcome is to a belief q. inf if q(outcome) = 0.

    q is a sequence of probabilities (outcome an index) or a mapping such as
    {"red": 0.1, ...} (outcome a key).

    Lessons 00 and 04.
    """
    if isinstance(q, Mapping):
        keys = list(q)
        if outcome not in q:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {keys}")
        probs = validate.probabilities([q[k] for k in keys], "q")
        prob = probs[keys.index(outcome)]
    else:
        probs = validate.probabilities(q, "q")
        if probs.ndim != 1:
            raise ValueError(f"q must be one distribution (1-D); got shape {list(probs.shape)}")
        if isinstance(outcome, (bool, np.bool_)) or not isinstance(outcome, (int, np.integer)):
            raise ValueError(f"unknown outcome {outcome!r}; expected a class index 0..{len(probs) - 1}")
        if not 0 <= outcome < len(probs):
            raise ValueError(f"unknown outcome {outcome}: expected a class index 0..{len(probs) - 1}")
        prob = probs[outcome]
    return math.inf if prob == 0 else float(-math.log(prob))


def to_bits(nats):
    """Convert nats to bits: divide by ln 2 (a bit is ln 2 = 0.6931 nats). Lesson 03."""
    if np.isscalar(nats):
        return float(nats) / math.log(2)
    return validate.as_array(nats, "nats") / math.log(2)
