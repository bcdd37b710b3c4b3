"""Reference losses in numpy (float64), all in nats.

Each function is written out and explained in the notebook that teaches it; later
notebooks import it from here. Every one accepts Python lists, numpy arrays or torch
tensors, and tests/test_losses.py checks it against `torch.nn.functional`.

Bad input raises `ValueError` naming the problem and what was expected, never a
silent wrong number.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

PROB_TOL = 1e-6  # how far a row of probabilities may be from summing to 1


# --- input handling --------------------------------------------------------------

def as_array(x, name: str = "input") -> np.ndarray:
    """Turn a list, numpy array or torch tensor into a float64 numpy array."""
    if hasattr(x, "detach"):  # a torch tensor: no torch import needed here
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers (a list, numpy array or tensor); got {x!r}") from exc
    return arr


def as_class_indices(target, name: str = "target") -> np.ndarray:
    """Class indices as an int64 array; floats with a fractional part are an error."""
    if hasattr(target, "detach"):
        target = target.detach().cpu().numpy()
    arr = np.asarray(target)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be integer class indices; got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must be whole-number class indices; got {arr.tolist()}")
    return arr.astype(np.int64)


def _finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.any(np.isnan(arr)) else "inf"
        raise ValueError(f"{name} contains {bad}; expected finite numbers")


def _class_axis_last(arr: np.ndarray, dim: int, name: str) -> np.ndarray:
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a class dimension; got a scalar")
    if not -arr.ndim <= dim < arr.ndim:
        raise ValueError(f"dim={dim} is out of range for {name} of shape {list(arr.shape)}")
    return np.moveaxis(arr, dim, -1)


def check_probabilities(p, name: str = "p", tol: float = PROB_TOL) -> np.ndarray:
    """Return p as float64 if every row (last axis) is a distribution, else raise ValueError."""
    arr = as_array(p, name)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must be a non-empty list of probabilities; got shape {list(arr.shape)}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN; expected probabilities in [0, 1]")
    if np.any(arr < 0):
        raise ValueError(f"{name} has a negative entry ({arr.min():.4g}); probabilities must be >= 0")
    sums = arr.sum(axis=-1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > tol:
        got = float(np.ravel(sums)[np.argmax(np.abs(np.ravel(sums) - 1.0))])
        raise ValueError(
            f"{name} must sum to 1 along its last axis; a row sums to {got:.6g}. "
            "Normalise it (divide by its sum), or pass logits to a function that takes logits."
        )
    return arr


def _same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {list(a.shape)} but {b_name} has shape "
                         f"{list(b.shape)}; they must match")


# --- softmax and friends ---------------------------------------------------------

def log_softmax(logits, dim: int = -1) -> np.ndarray:
    """log softmax along `dim`, stable for huge logits: x - max - log(sum(exp(x - max)))."""
    x = as_array(logits, "logits")
    _finite(x, "logits")
    x = _class_axis_last(x, dim, "logits")
    shifted = x - x.max(axis=-1, keepdims=True)  # the largest becomes 0, so exp cannot overflow
    out = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return np.moveaxis(out, -1, dim)


def softmax(logits, dim: int = -1) -> np.ndarray:
    """Probabilities along `dim`: exp(logits) normalised to sum to 1."""
    return np.exp(log_softmax(logits, dim))


# --- losses -------------------------------------------------------------------------

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


def check_targets(target: np.ndarray, batch_shape: tuple, n_classes: int,
                  ignore_index: int | None) -> np.ndarray:
    """Raise ValueError unless target holds one valid class index per row; return the kept rows."""
    if target.shape != batch_shape:
        raise ValueError(
            f"target has shape {list(target.shape)} but the logits' batch shape (every "
            f"dimension except the class one) is {list(batch_shape)}; expected one class "
            "index per row"
        )
    keep = np.ones(target.shape, dtype=bool) if ignore_index is None else target != ignore_index
    kept = target[keep]
    if kept.size and (kept.min() < 0 or kept.max() >= n_classes):
        bad = int(kept.min() if kept.min() < 0 else kept.max())
        raise ValueError(f"class index {bad} is out of range: expected 0 <= index < {n_classes}")
    if not keep.any():
        raise ValueError("every target is ignored (ignore_index); there is nothing to average")
    return keep


def _mean_nll(log_probs: np.ndarray, target, ignore_index: int | None) -> float:
    """-log_probs[target], averaged over the kept rows (classes on the last axis)."""
    t = as_class_indices(target)
    keep = check_targets(t, log_probs.shape[:-1], log_probs.shape[-1], ignore_index)
    picked = np.take_along_axis(log_probs, np.where(keep, t, 0)[..., None], axis=-1)[..., 0]
    return float(-picked[keep].mean())


def nll(log_probs, target, ignore_index: int | None = None) -> float:
    """Mean negative log-likelihood of the target classes, in nats.

    log_probs: [C] or [N, C] log-probabilities (the class dimension last);
    target: a class index, or [N] of them. Taught in notebook 03.
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
    """Mean cross-entropy of logits against a target, in nats, like F.cross_entropy.

    logits: class scores with the classes along `dim` (default the last one).
    target: class indices with the logits' shape minus `dim`, or probabilities of the
    logits' own shape (soft labels). Taught in notebook 03.
    """
    x = as_array(logits, "logits")
    lp = np.moveaxis(log_softmax(x, dim), dim, -1)
    t_raw = target.detach().cpu().numpy() if hasattr(target, "detach") else np.asarray(target)
    if t_raw.dtype.kind == "f" and t_raw.shape == x.shape:  # soft labels
        p = check_probabilities(np.moveaxis(as_array(t_raw), dim, -1), "target")
        per_row = -(np.where(p > 0, p * lp, 0.0)).sum(axis=-1)
        return float(per_row.mean())
    return _mean_nll(lp, t_raw, ignore_index)


# --- information theory -----------------------------------------------------------------

def entropy(p) -> float | np.ndarray:
    """H(p) = -sum p log p in nats, with 0 log 0 = 0. One value per row of p."""
    arr = check_probabilities(p, "p")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(arr > 0, arr * np.log(arr), 0.0)
    out = -terms.sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def cross_entropy_probs(p, q) -> float | np.ndarray:
    """H(p, q) = -sum p log q in nats, between two distributions. inf where q = 0 < p."""
    pa, qa = check_probabilities(p, "p"), check_probabilities(q, "q")
    _same_shape(pa, qa, "p", "q")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pa > 0, pa * np.log(qa), 0.0)
    out = -terms.sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def kl_divergence(p, q) -> float | np.ndarray:
    """KL(p || q) = sum p log(p / q) in nats: the gap H(p, q) - H(p). inf where q = 0 < p."""
    pa, qa = check_probabilities(p, "p"), check_probabilities(q, "q")
    _same_shape(pa, qa, "p", "q")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pa > 0, pa * (np.log(pa) - np.log(qa)), 0.0)
    out = terms.sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def surprise(q, outcome) -> float:
    """-log q(outcome) in nats: how surprising the outcome is to a belief q. inf if q(outcome) = 0.

    q is a sequence of probabilities (outcome an index) or a mapping such as
    {"red": 0.1, ...} (outcome a key). Taught in notebook 04.
    """
    if isinstance(q, Mapping):
        keys = list(q)
        if outcome not in q:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {keys}")
        probs = check_probabilities([q[k] for k in keys], "q")
        prob = probs[keys.index(outcome)]
    else:
        probs = check_probabilities(q, "q")
        if probs.ndim != 1:
            raise ValueError(f"q must be one distribution (1-D); got shape {list(probs.shape)}")
        if isinstance(outcome, (bool, np.bool_)) or not isinstance(outcome, (int, np.integer)):
            raise ValueError(f"unknown outcome {outcome!r}; expected a class index 0..{len(probs) - 1}")
        if not 0 <= outcome < len(probs):
            raise ValueError(f"unknown outcome {outcome}: expected a class index 0..{len(probs) - 1}")
        prob = probs[outcome]
    return math.inf if prob == 0 else float(-math.log(prob))


def to_bits(nats):
    """Convert nats to bits: divide by ln 2 (a bit is ln 2 = 0.6931 nats)."""
    if np.isscalar(nats):
        return float(nats) / math.log(2)
    return as_array(nats, "nats") / math.log(2)


# --- losses built from cross-entropy (taught in lesson 11) -----------------------------------

def check_positive(value, name: str) -> float:
    """A finite number > 0 (a temperature, β), else ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    return float(value)


def _matrix(x, name: str) -> np.ndarray:
    arr = as_array(x, name)
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(f"{name} must be a non-empty [B, C] table (one row per example); got shape {list(arr.shape)}")
    _finite(arr, name)
    return arr


def log_sigmoid(x) -> np.ndarray:
    """log σ(x) = −softplus(−x) = −log(1 + e^(−x)), without overflow for any x."""
    return -np.logaddexp(0.0, -as_array(x, "x"))


def distillation_loss(student_logits, teacher_logits, temperature: float) -> float:
    """T² · KL(p_T ‖ q_T) averaged over the rows, in nats: the soft-target part of knowledge distillation.

    p_T = softmax(teacher_logits / T) is the target, q_T = softmax(student_logits / T) the
    student's; both [B, C]. The T² undoes the 1/T² by which the gradient shrinks. Equals
    T**2 * F.kl_div(log_softmax(s / T), log_softmax(t / T), reduction="batchmean", log_target=True).
    """
    t_ = check_positive(temperature, "temperature")
    s, t = _matrix(student_logits, "student_logits"), _matrix(teacher_logits, "teacher_logits")
    _same_shape(s, t, "student_logits", "teacher_logits")
    log_q, log_p = log_softmax(s / t_), log_softmax(t / t_)
    kl_rows = (np.exp(log_p) * (log_p - log_q)).sum(axis=-1)  # [B]
    return float(t_ * t_ * kl_rows.mean())


def info_nce(logits) -> float:
    """Mean cross-entropy of square logits [B, B] whose target for row i is column i (its partner), in nats.

    With every logit equal it is ln B. Equals F.cross_entropy(logits, torch.arange(B)).
    """
    x = _matrix(logits, "logits")
    if x.shape[0] != x.shape[1]:
        raise ValueError(f"logits must be square [B, B] (row i scores every candidate against "
                         f"example i); got shape {list(x.shape)}")
    return float(-np.diagonal(log_softmax(x)).mean())


def clip_loss(u, v, tau: float) -> float:
    """Symmetric InfoNCE (CLIP), in nats: rows of u and v [B, d] are the two views of B pairs.

    Each row is scaled to length 1, the logits are u vᵀ / τ ([B, B], cosine similarities over
    the temperature τ), and the loss is the mean of the row-wise and the column-wise info_nce.
    """
    tau_ = check_positive(tau, "tau")
    a, b = _matrix(u, "u"), _matrix(v, "v")
    _same_shape(a, b, "u", "v")
    norms_a, norms_b = np.linalg.norm(a, axis=1, keepdims=True), np.linalg.norm(b, axis=1, keepdims=True)
    if np.any(norms_a == 0) or np.any(norms_b == 0):
        raise ValueError("a row of u or v is all zeros: it has no direction, so no cosine similarity")
    logits = (a / norms_a) @ (b / norms_b).T / tau_  # [B, B]
    return 0.5 * (info_nce(logits) + info_nce(logits.T))


def pairwise_logistic(score_w, score_l) -> float:
    """−mean log σ(s_w − s_l), in nats: the Bradley–Terry NLL of "w was preferred to l".

    The logistic twin of F.margin_ranking_loss; equals
    F.binary_cross_entropy_with_logits(s_w − s_l, ones).
    """
    w, l_ = as_array(score_w, "score_w"), as_array(score_l, "score_l")
    _same_shape(w, l_, "score_w", "score_l")
    if w.size == 0:
        raise ValueError("score_w and score_l are empty; expected one score per pair")
    _finite(w, "score_w")
    _finite(l_, "score_l")
    return float(-log_sigmoid(w - l_).mean())


def dpo_loss(policy_w, policy_l, ref_w, ref_l, beta: float) -> float:
    """DPO loss, in nats: −mean log σ(β[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]).

    Arguments are log-probabilities (≤ 0) of whole responses, one per pair: the policy's and
    the reference's for the preferred y_w and the rejected y_l. ln 2 when policy = reference.
    """
    b = check_positive(beta, "beta")
    arrays = {}
    for name, x in [("policy_w", policy_w), ("policy_l", policy_l), ("ref_w", ref_w), ("ref_l", ref_l)]:
        arr = as_array(x, name)
        _finite(arr, name)
        if np.any(arr > 1e-9):
            raise ValueError(f"{name} must be log-probabilities (<= 0); got a value {arr.max():.4g}. "
                             "Pass log π(y), the sum of the log-probabilities of y's tokens")
        arrays[name] = arr
    shapes = {name: arr.shape for name, arr in arrays.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"the four log-probability arrays must have one shape (one entry per pair); got {shapes}")
    margin_w = arrays["policy_w"] - arrays["ref_w"]  # log π(y_w) / π_ref(y_w)
    margin_l = arrays["policy_l"] - arrays["ref_l"]
    return pairwise_logistic(b * margin_w, b * margin_l)
