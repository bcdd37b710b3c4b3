"""Losses built from cross-entropy, in nats: distillation, contrastive (InfoNCE, CLIP), preference (DPO).

    distillation_loss                 lesson 11 (losses_built_from_cross_entropy), section 1
    info_nce, clip_loss               lesson 11, section 2
    log_sigmoid, pairwise_logistic,   lesson 11, section 3: the Bradley–Terry loss and DPO
    dpo_loss

Each is cross-entropy with a new target: a teacher's softened distribution, the diagonal of a
[B, B] table of similarities, or "the preferred one won" as a binary label.
"""
from __future__ import annotations

import numpy as np

from .. import validate
from .classification import log_softmax


def _table(x, name: str) -> np.ndarray:
    """A finite, non-empty [B, C] float64 table."""
    arr = validate.as_array(x, name)
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(f"{name} must be a non-empty [B, C] table (one row per example); got shape {list(arr.shape)}")
    return validate.finite(arr, name)


def log_sigmoid(x) -> np.ndarray:
    """log σ(x) = −softplus(−x) = −log(1 + e^(−x)), without overflow for any x. Lesson 11."""
    return -np.logaddexp(0.0, -validate.as_array(x, "x"))


def distillation_loss(student_logits, teacher_logits, temperature: float) -> float:
    """T² · KL(p_T ‖ q_T) averaged over the rows, in nats: the soft-target part of knowledge distillation.

    p_T = softmax(teacher_logits / T) is the target, q_T = softmax(student_logits / T) the
    student's; both [B, C]. The T² undoes the 1/T² by which the gradient shrinks. Equals
    T**2 * F.kl_div(log_softmax(s / T), log_softmax(t / T), reduction="batchmean", log_target=True).
    Lesson 11.
    """
    t_ = validate.positive(temperature, "temperature")
    s, t = _table(student_logits, "student_logits"), _table(teacher_logits, "teacher_logits")
    validate.same_shape(s, t, "student_logits", "teacher_logits")
    log_q, log_p = log_softmax(s / t_), log_softmax(t / t_)
    kl_rows = (np.exp(log_p) * (log_p - log_q)).sum(axis=-1)  # [B]
    return float(t_ * t_ * kl_rows.mean())


def info_nce(logits) -> float:
    """Mean cross-entropy of square logits [B, B] whose target for row i is column i (its partner), in nats.

    With every logit equal it is ln B. Equals F.cross_entropy(logits, torch.arange(B)). Lesson 11.
    """
    x = _table(logits, "logits")
    if x.shape[0] != x.shape[1]:
        raise ValueError(f"logits must be square [B, B] (row i scores every candidate against "
                         f"example i); got shape {list(x.shape)}")
    return float(-np.diagonal(log_softmax(x)).mean())


def clip_loss(u, v, tau: float) -> float:
    """Symmetric InfoNCE (CLIP), in nats: rows of u and v [B, d] are the two views of B pairs.

    Each row is scaled to length 1, the logits are u vᵀ / τ ([B, B], cosine similarities over
    the temperature τ), and the loss is the mean of the row-wise and the column-wise info_nce.
    Lesson 11.
    """
    tau_ = validate.positive(tau, "tau")
    a, b = _table(u, "u"), _table(v, "v")
    validate.same_shape(a, b, "u", "v")
    norms_a, norms_b = np.linalg.norm(a, axis=1, keepdims=True), np.linalg.norm(b, axis=1, keepdims=True)
    if np.any(norms_a == 0) or np.any(norms_b == 0):
        raise ValueError("a row of u or v is all zeros: it has no direction, so no cosine similarity")
    logits = (a / norms_a) @ (b / norms_b).T / tau_  # [B, B]
    return 0.5 * (info_nce(logits) + info_nce(logits.T))


def pairwise_logistic(score_w, score_l) -> float:
    """−mean log σ(s_w − s_l), in nats: the Bradley–Terry NLL of "w was preferred to l".

    The logistic twin of F.margin_ranking_loss; equals
    F.binary_cross_entropy_with_logits(s_w − s_l, ones). Lesson 11.
    """
    w, l_ = validate.pair(score_w, score_l, "score_w", "score_l")
    return float(-log_sigmoid(w - l_).mean())


def dpo_loss(policy_w, policy_l, ref_w, ref_l, beta: float) -> float:
    """DPO loss, in nats: −mean log σ(β[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]).

    Arguments are log-probabilities (≤ 0) of whole responses, one per pair: the policy's and
    the reference's for the preferred y_w and the rejected y_l. ln 2 when policy = reference.
    Lesson 11.
    """
    b = validate.positive(beta, "beta")
    arrays = {}
    for name, x in [("policy_w", policy_w), ("policy_l", policy_l), ("ref_w", ref_w), ("ref_l", ref_l)]:
        arr = validate.finite(validate.as_array(x, name), name)
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
