"""Softmax, log-softmax and the cross-entropy family over classes, in nats.

    log_softmax, softmax      lesson 01 (log_softmax_and_shapes)
    nll, cross_entropy        lesson 03 (nll_and_cross_entropy)
    smooth_targets            lesson 09 (designing_a_loss_for_a_new_task): label smoothing
    sequence_loss             lesson 09: masked, class-weighted, label-smoothed loss of [B, T, V] logits
"""
from __future__ import annotations

import numpy as np

from .. import validate
from ..validate import PROB_TOL, as_array, as_class_indices

# --- softmax and friends ---------------------------------------------------------


def log_softmax(logits, dim: int = -1) -> np.ndarray:
    """log softmax along `dim`, stable for huge logits: x - max - log(sum(exp(x - max))). Lesson 01."""
    x = validate.finite(as_array(logits, "logits"), "logits")
    x = validate.class_axis_last(x, dim, "logits")
    shifted = x - x.max(axis=-1, keepdims=True)  # the largest becomes 0, so exp cannot overflow
    out = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return np.moveaxis(out, -1, dim)


def softmax(logits, dim: int = -1) -> np.ndarray:
    """Probabilities along `dim`: exp(logits) normalised to sum to 1. Lesson 01."""
    return np.exp(log_softmax(logits, dim))


# --- negative log-likelihood and cross-entropy -------------------------------------


def _mean_nll(log_probs: np.ndarray, target, ignore_index: int | None) -> float:
    """-log_probs[target], averaged over the kept rows (classes on the last axis)."""
    t = as_class_indices(target)
    keep = validate.targets(t, log_probs.shape[:-1], log_probs.shape[-1], ignore_index)
    picked = np.take_along_axis(log_probs, np.where(keep, t, 0)[..., None], axis=-1)[..., 0]
    return float(-picked[keep].mean())


def nll(log_probs, target, ignore_index: int | None = None) -> float:
    """Mean negative log-likelihood of the target classes, in nats (F.nll_loss). Lesson 03.

    log_probs: [C] or [N, C] log-probabilities (the class dimension last);
    target: a class index, or [N] of them.
    """
    lp = as_array(log_probs, "log_probs")
    if lp.ndim == 0:
        raise ValueError("log_probs must have a class dimension; got a scalar")
    if np.any(np.isnan(lp)) or np.any(lp > 1e-9):
        raise ValueError(
            "log_probs must be log-probabilities (<= 0). Did you pass probabilities or "
            "logits? Apply log_softmax first."
        )
    sums = np.exp(lp).sum(axis=-1)
    if np.max(np.abs(sums - 1.0)) > PROB_TOL:
        raise ValueError(
            f"log_probs rows must be log-probabilities whose exp sums to 1; a row's exp sums "
            f"to {float(np.ravel(sums)[0]):.6g}. Did you pass probabilities? Take log_softmax of the logits."
        )
    return _mean_nll(lp, target, ignore_index)


def cross_entropy(logits, target, dim: int = -1, ignore_index: int | None = None) -> float:
    """Mean cross-entropy of logits against a target, in nats, like F.cross_entropy. Lesson 03.

    logits: class scores with the classes along `dim` (default the last one).
    target: class indices with the logits' shape minus `dim`, or probabilities of the
    logits' own shape (soft labels).
    """
    x = as_array(logits, "logits")
    lp = np.moveaxis(log_softmax(x, dim), dim, -1)
    t_raw = np.asarray(validate.to_numpy(target))
    if t_raw.dtype.kind == "f" and t_raw.shape == x.shape:  # soft labels
        p = validate.probabilities(np.moveaxis(as_array(t_raw), dim, -1), "target")
        per_row = -(np.where(p > 0, p * lp, 0.0)).sum(axis=-1)
        return float(per_row.mean())
    return _mean_nll(lp, t_raw, ignore_index)


# --- label smoothing and the sequence loss of lesson 09 ---------------------------------


def smooth_targets(target, n_classes: int, eps: float) -> np.ndarray:
    """Soft targets (1 - eps) * onehot + eps / C, as F.cross_entropy(label_smoothing=eps) uses: [..., C].

    Lesson 09.
    """
    eps = validate.unit_interval(eps, "label smoothing eps")
    t = as_class_indices(target)
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1; got {n_classes}")
    validate.class_range(t, n_classes)
    onehot = np.eye(n_classes)[t]
    return (1.0 - eps) * onehot + eps / n_classes


def _class_weights(weight, n_classes: int) -> np.ndarray:
    if weight is None:
        return np.ones(n_classes)
    w = as_array(weight, "weight")
    if w.shape != (n_classes,):
        raise ValueError(f"weight must have one entry per class, shape [{n_classes}]; got {list(w.shape)}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weight must be finite and >= 0")
    return w


def sequence_loss(logits, target, weight=None, pad_index: int = -100, eps: float = 0.0) -> float:
    """Masked, class-weighted, label-smoothed mean cross-entropy of [B, T, V] logits, in nats. Lesson 09.

    Matches F.cross_entropy(logits.transpose(1, 2), target, weight=weight,
    ignore_index=pad_index, label_smoothing=eps): each real token scores
    -sum_c w[c] * p[c] * log q[c] with p = (1 - eps) onehot + eps / V (so the smoothing
    term weighs each class by ITS weight), and the sum over real tokens is divided by
    the sum of the weights of their true classes, w[target].
    """
    x = as_array(logits, "logits")
    if x.ndim != 3:
        raise ValueError(f"logits must be [B, T, V]; got shape {list(x.shape)}")
    t = as_class_indices(target)
    n_classes = x.shape[-1]
    w = _class_weights(weight, n_classes)
    keep = validate.targets(t, x.shape[:-1], n_classes, pad_index)
    safe = np.where(keep, t, 0)  # any valid index; padded positions are masked out below
    lp = log_softmax(x, dim=-1)  # [B, T, V]: the part that never changes
    per_token = -(w * smooth_targets(safe, n_classes, eps) * lp).sum(axis=-1)  # [B, T]
    denominator = (w[safe] * keep).sum()
    if denominator == 0:
        raise ValueError("the weights of the kept targets sum to 0; the weighted mean is undefined")
    return float((per_token * keep).sum() / denominator)
