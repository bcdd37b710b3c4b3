"""Lesson 09's final exercise: the slips `check_sequence_loss` recognises, each with its hint.

Each slip is the exercise's loss (masked, class-weighted, label-smoothed cross-entropy of
[B, T, V] logits) computed with one mistake switched on, in torch float64. The checker
compares a learner's number with each in turn and shows the hint of the one it matches.
"""
from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F


def _slip(logits, target, weight, pad_index, eps, *, class_dim=-1, double_softmax=False,
          use_weight=True, smoothing="all", smoothing_weight="class", denominator="weights",
          keep_pads=False):
    """The exercise's loss with one slip switched on (torch, float64): for the checker's hints."""
    x = torch.softmax(logits, dim=-1) if double_softmax else logits
    lp = torch.log_softmax(x, dim=class_dim)  # [B, T, V]
    n_classes = lp.shape[-1]
    w = weight if use_weight else torch.ones_like(weight)
    keep = torch.ones_like(target, dtype=torch.bool) if keep_pads else target != pad_index
    safe = torch.where(keep, target, 0)
    onehot = F.one_hot(safe, n_classes).to(lp.dtype)  # [B, T, V]
    if smoothing == "none":
        p = onehot
    elif smoothing == "others":  # eps / (V - 1) on the wrong classes only
        p = (1 - eps) * onehot + eps / (n_classes - 1) * (1 - onehot)
    else:
        p = (1 - eps) * onehot + eps / n_classes
    if smoothing_weight == "class":
        per_token = -(w * p * lp).sum(-1)  # [B, T]
    else:  # every term weighted by the true class's weight
        per_token = -w[safe] * (p * lp).sum(-1)
    per_token = per_token * keep
    w_true = w[safe] * keep  # [B, T]
    if denominator == "weights":
        return per_token.sum() / w_true.sum()
    if denominator == "tokens":
        return per_token.sum() / keep.sum()
    if denominator == "all_positions":
        return per_token.sum() / target.numel()
    if denominator == "all_weights":
        return per_token.sum() / w[target.clamp(0, n_classes - 1)].sum()
    if denominator == "per_sequence":
        return (per_token.sum(1) / w_true.sum(1)).mean()
    return per_token.sum()  # "sum"


def _straight_in(logits, target, weight, pad_index, eps):
    return F.cross_entropy(logits, target, weight=weight, ignore_index=pad_index, label_smoothing=eps)


HINT_STRAIGHT_IN = ("you passed [B, T, V] straight to cross_entropy, which reads dim 1 (T) as the "
                    "classes; use logits.transpose(1, 2) or logits.reshape(-1, V) with target.reshape(-1)")
HINT_SOFTMAX_OVER_T = ("your log_softmax normalises over the time steps (dim=1); the classes are the "
                       "last dimension, so use dim=-1")
HINT_PADDING = ("padding counts in your mean: leave padded positions out of both the sum and the "
                "denominator (ignore_index / the mask)")
HINT_DOUBLE_SOFTMAX = "you applied softmax twice: log_softmax expects the raw logits"
HINT_NO_WEIGHT = "the class weights are missing: multiply each class's term by weight[class]"
HINT_SUM = "that is the sum; the loss is the weighted mean (divide by the kept targets' weights)"
HINT_TOKEN_COUNT = ("torch divides the weighted sum by the sum of weight[target] over the real "
                    "tokens, not by the number of tokens")
HINT_PER_SEQUENCE = ("you averaged inside each sequence first; torch averages over all real "
                     "tokens of the batch at once")
HINT_NO_SMOOTHING = "label smoothing is missing: the target is (1 - eps) * onehot + eps / V"
HINT_SMOOTH_OTHERS = ("torch spreads eps / V over ALL V classes (the true one too), not "
                      "eps / (V - 1) over the others")
HINT_SMOOTH_WEIGHT = ("torch weighs each class's smoothing term by that class's weight, "
                      "weight[c], not by the true class's weight")

SEQUENCE_MISTAKES: list[tuple[str, object]] = [
    (HINT_STRAIGHT_IN, _straight_in),
    (HINT_SOFTMAX_OVER_T, partial(_slip, class_dim=1)),
    (HINT_PADDING, partial(_slip, keep_pads=True)),
    (HINT_PADDING, partial(_slip, denominator="all_positions")),
    (HINT_PADDING, partial(_slip, denominator="all_weights")),
    (HINT_DOUBLE_SOFTMAX, partial(_slip, double_softmax=True)),
    (HINT_NO_WEIGHT, partial(_slip, use_weight=False)),
    (HINT_SUM, partial(_slip, denominator="sum")),
    (HINT_TOKEN_COUNT, partial(_slip, denominator="tokens")),
    (HINT_PER_SEQUENCE, partial(_slip, denominator="per_sequence")),
    (HINT_NO_SMOOTHING, partial(_slip, smoothing="none")),
    (HINT_SMOOTH_OTHERS, partial(_slip, smoothing="others")),
    (HINT_SMOOTH_WEIGHT, partial(_slip, smoothing_weight="target")),
]
