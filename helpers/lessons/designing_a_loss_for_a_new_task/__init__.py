"""Lesson 09 (designing_a_loss_for_a_new_task): when a task changes the loss, what changes and what stays.

What stays: log_softmax over the class dimension (or, for independent labels, its
two-class form, logsigmoid). What changes: the target (one-hot, smoothed, multi-hot),
the per-class weights, the mask over padding, the reduction, the temperature.

Pure functions take everything they use as arguments and return numbers (float64, nats);
tests/lessons/test_designing_a_loss_for_a_new_task.py checks them against
`torch.nn.functional`. The lesson writes its training loops itself; this module holds the
data, the figures, and the checkers: the capstone's (`check_tag_design`, in `capstone.py`)
and the appendix exercise's (`check_sequence_loss`, with the slips it recognises in
`slips.py`, reference `helpers.losses.sequence_loss`). The temperature widget's figure and
readout are in `views.py`; the multi-label demo's descent in `training.py`.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ... import checks, losses, plots, validate
from ...checks import Verdict
from .slips import HINT_STRAIGHT_IN, SEQUENCE_MISTAKES
from .capstone import (MISS_COST, PAD, RARE, T_MAX, TAG_RATES, TAGS, TAG_SLIPS, WORDS,  # noqa: F401
                       check_tag_design, recall_precision, tag_loss_cases, tag_loss_torch, tagging_data,
                       urgent_rates, words_worth_flagging)
from .training import descend


# --- sequences [B, T, V]: masks and reductions ---------------------------------------------


def token_mask(target, pad_index: int) -> np.ndarray:
    """True where a target is a real token, False where it is padding."""
    return validate.as_class_indices(target) != pad_index


def _losses_and_mask(token_losses, mask):
    lo = validate.as_array(token_losses, "token_losses")
    m = np.asarray(validate.to_numpy(mask))
    if m.dtype != bool:
        raise ValueError(f"mask must be booleans (True = a real token); got dtype {m.dtype}")
    if lo.ndim != 2 or lo.shape != m.shape:
        raise ValueError(f"token_losses {list(lo.shape)} and mask {list(m.shape)} must both be [B, T]")
    if not m.any():
        raise ValueError("the mask keeps no token; there is nothing to average")
    return lo, m


def per_token_mean(token_losses, mask) -> float:
    """Mean over the real tokens of the whole batch (what ignore_index does): long sequences weigh more."""
    lo, m = _losses_and_mask(token_losses, mask)
    return float(lo[m].sum() / m.sum())


def per_sequence_mean(token_losses, mask) -> float:
    """Mean over tokens inside each sequence, then over sequences: every sequence weighs the same."""
    lo, m = _losses_and_mask(token_losses, mask)
    if not m.any(axis=1).all():
        raise ValueError("a sequence is all padding; its own mean is undefined")
    return float(((lo * m).sum(axis=1) / m.sum(axis=1)).mean())


# --- label smoothing -------------------------------------------------------------------------


def loss_vs_gap(gaps, n_classes: int, eps: float) -> np.ndarray:
    """Smoothed cross-entropy when the true class's logit is `gap` above the others (all equal)."""
    eps = validate.unit_interval(eps, "label smoothing eps")
    g = validate.as_array(gaps, "gaps")
    logits = np.zeros(g.shape + (n_classes,))
    logits[..., 0] = g
    lp = losses.log_softmax(logits)
    p = losses.smooth_targets(0, n_classes, eps)
    return -(p * lp).sum(axis=-1)


def draw_loss_vs_gap(ax, gaps, n_classes: int, eps_values=(0.0, 0.1)) -> None:
    """One curve of the smoothed loss against the logit gap per eps."""
    for eps, ls in zip(eps_values, plots.LINESTYLES):
        ax.plot(gaps, loss_vs_gap(gaps, n_classes, eps), ls=ls, label=f"ε = {eps}")
    ax.set(xlabel="logit gap of the true class", ylabel="loss (nats)", title=f"C = {n_classes}")
    ax.legend()


def best_gap(n_classes: int, eps: float) -> float:
    """The logit gap that minimises the smoothed loss: log of (1 - eps + eps/C) / (eps/C). inf if eps = 0."""
    eps = validate.unit_interval(eps, "label smoothing eps")
    if eps == 0:
        return math.inf
    return math.log((1 - eps + eps / n_classes) / (eps / n_classes))


# --- the final exercise: masked, weighted, label-smoothed sequence loss --------------------------


def sequence_loss_torch(logits, target, weight=None, pad_index: int = -100, eps: float = 0.0):
    """The torch call the exercise is checked against: classes moved to dim 1."""
    return F.cross_entropy(logits.transpose(1, 2), target, weight=weight,
                           ignore_index=pad_index, label_smoothing=eps)


def sequence_loss_cases() -> list[tuple]:
    """Seeded float64 cases (logits, target, weight, pad_index, eps); the first has T == V."""
    gen = torch.Generator().manual_seed(9)
    cases = []
    for (b, t, v, eps), lengths in zip([(2, 5, 5, 0.1), (3, 4, 6, 0.2)], [(5, 2), (4, 1, 3)]):
        logits = torch.randn(b, t, v, generator=gen, dtype=torch.float64) * 2  # [B, T, V]
        target = torch.randint(1, v, (b, t), generator=gen)  # [B, T]; class 0 is the pad
        for row, n in enumerate(lengths):
            target[row, n:] = 0
        weight = torch.rand(v, generator=gen, dtype=torch.float64) * 2.5 + 0.25  # [V]
        cases.append((logits, target, weight, 0, eps))
    return cases


def check_sequence_loss(fn) -> Verdict:
    """Check a learner's sequence_loss(logits, target, weight, pad_index, eps) against torch."""
    if checks.unanswered(fn):
        return Verdict("unanswered", checks.NOT_ANSWERED)
    cases = sequence_loss_cases()
    for case in cases:
        try:
            got = fn(*(a.clone() if torch.is_tensor(a) else a for a in case))
        except NotImplementedError:
            return Verdict("unanswered", "your function still raises NotImplementedError; fill it in")
        except Exception as exc:  # a learner's bug is feedback, not a crash
            text = str(exc)
            if "Expected target size" in text or "weight tensor should be defined" in text:
                return Verdict("wrong", f"Hint: {HINT_STRAIGHT_IN}")
            return Verdict("wrong", f"your function raised {type(exc).__name__}: {text[:200]}")
        if checks.unanswered(got):
            return Verdict("unanswered", "your function returns nothing yet")
        if np.size(got.detach().numpy() if torch.is_tensor(got) else got) != 1:
            return Verdict("wrong", "return one number: reduce the [B, T] per-token losses to their mean")
        want = float(sequence_loss_torch(*case))
        verdict = checks.check_number(got, want, tol=1e-6)
        if verdict.status == "correct":
            continue
        for why, slip in SEQUENCE_MISTAKES:
            try:
                wrong = float(slip(*case))
            except Exception:
                continue
            if checks.check_number(got, wrong, tol=1e-6).status == "correct":
                return Verdict("wrong", f"Hint: {why}")
        return Verdict("wrong", f"{float(got):.4f} but torch gives {want:.4f}. Hint: start from "
                                "log_softmax(logits, dim=-1), then target, weights, mask, mean")
    return Verdict("correct", f"matches F.cross_entropy on {len(cases)} cases (to 1e-6)")


# --- class imbalance: a small seeded training run --------------------------------------------

CENTRES = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.6]])  # three overlapping blobs in 2-D


def imbalanced_data(counts=(300, 300, 30), seed: int = 0):
    """Points around CENTRES (unit spread), `counts[c]` of class c: x [N, 2], y [N]."""
    if len(counts) != len(CENTRES) or min(counts) < 1:
        raise ValueError(f"counts must be {len(CENTRES)} positive numbers; got {counts}")
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(c, 1.0, size=(n, 2)) for c, n in zip(CENTRES, counts)])
    y = np.concatenate([np.full(n, k) for k, n in enumerate(counts)])
    return x, y


def balanced_weights(y, n_classes: int) -> np.ndarray:
    """'Balanced' class weights N / (C * count[c]): a rare class weighs more. Every class must occur."""
    counts = np.bincount(validate.as_class_indices(y, "y"), minlength=n_classes)
    if np.any(counts == 0):
        raise ValueError(f"every class needs at least one example; counts are {counts.tolist()}")
    return counts.sum() / (n_classes * counts)


def recall_per_class(pred, y, n_classes: int) -> np.ndarray:
    """Fraction of each class's examples predicted as that class."""
    pred, y = np.asarray(pred), np.asarray(y)
    return np.array([(pred[y == k] == k).mean() for k in range(n_classes)])


def draw_regions(axes, x, y, models: dict, x_test, y_test) -> None:
    """On one axis per model: the training points over its decision regions; titles give class 2's test recall."""
    x, y = np.asarray(x), np.asarray(y)
    lo, hi = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    colors = [plots.BLUE, plots.ORANGE, plots.RED]
    for ax, (name, (W, b)) in zip(axes, models.items()):
        W, b = np.asarray(W), np.asarray(b)
        z = grid @ W + b                                          # [G, 3] logits on the grid
        regions = np.argmax(z, axis=1).reshape(g0.shape)
        ax.contourf(g0, g1, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=colors, alpha=0.15)
        # each region's edge where its logit stops being the largest: straight lines, as a linear model's are
        # (contouring the region labels would draw steps), above the points
        margin = [(z[:, k] - np.delete(z, k, axis=1).max(axis=1)).reshape(g0.shape) for k in range(3)]
        for k in range(2):
            ax.contour(g0, g1, margin[k], levels=[0.0], colors=plots.GREY, linewidths=0.8, zorder=3)
        ax.contour(g0, g1, margin[2], levels=[0.0], colors=plots.RED, linewidths=2,
                   linestyles="--", zorder=3)  # the edge of class 2's region, the one the weights move
        for k, c in enumerate(colors):
            ax.scatter(*x[y == k].T, s=6 if k < 2 else 14, color=c, marker=plots.MARKERS[k], label=f"class {k}")
        recall = recall_per_class(np.argmax(np.asarray(x_test) @ W + b, axis=1), y_test, len(colors))
        ax.set(title=f"{name}: class 2 recall {recall[2]:.2f}", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]),
               xlabel="feature x₁")
    axes[0].set_ylabel("feature x₂")
    axes[0].plot([], [], color=plots.RED, lw=2, ls="--", label="edge of class 2's region")  # a legend entry only
    axes[0].figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=8)


# --- multi-label: sigmoid + BCE per class ------------------------------------------------------


def fit_free_logits(target, loss: str, steps: int = 300, lr: float = 1.0) -> np.ndarray:
    """Fit one free logit per class to a multi-hot target; return the model's probabilities.

    loss="softmax": cross-entropy against the target normalised to sum to 1;
    loss="sigmoid": binary cross-entropy per class (F.binary_cross_entropy_with_logits).
    """
    t = torch.as_tensor(validate.as_array(target, "target"))
    if t.ndim != 1 or not torch.all((t == 0) | (t == 1)) or t.sum() == 0:
        raise ValueError(f"target must be a 1-D multi-hot vector of 0s and 1s with a 1; got {t.tolist()}")
    if loss not in ("softmax", "sigmoid"):
        raise ValueError(f"loss must be 'softmax' or 'sigmoid'; got {loss!r}")
    z = torch.zeros_like(t, requires_grad=True)
    if loss == "softmax":
        loss_fn = lambda: -(t / t.sum() * torch.log_softmax(z, -1)).sum()  # noqa: E731
    else:
        loss_fn = lambda: F.binary_cross_entropy_with_logits(z, t)  # noqa: E731
    descend([z], loss_fn, steps, lr)
    z = z.detach()
    return (torch.softmax(z, -1) if loss == "softmax" else torch.sigmoid(z)).numpy()


# --- temperature at inference: the widget -----------------------------------------------------

NEXT_CHAR_LABELS = ["a", "e", "i", "n", "o", "r", "s", "."]
# a model's scores for the next character after some prefix
NEXT_CHAR_LOGITS = np.array([2.0, 1.5, 0.3, 1.0, -0.5, 0.0, 0.6, -1.0])
T_GRID = np.linspace(0.1, 5.0, 99)


def temperature_distribution(temperature: float = 1.0, logits=NEXT_CHAR_LOGITS) -> dict:
    """softmax(logits / T) and its entropy (nats and bits); T < 1 sharpens, T > 1 flattens."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    z = validate.as_array(logits, "logits")
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"logits must be one row of at least 2 class scores; got shape {list(z.shape)}")
    probs = losses.softmax(z / temperature)
    h = losses.entropy(probs)
    return {"temperature": float(temperature), "probs": probs, "entropy": h,
            "entropy_bits": losses.to_bits(h), "max_entropy": math.log(z.size),
            "top": int(np.argmax(probs)), "top_prob": float(probs.max())}


def entropy_curve(temperatures=T_GRID, logits=NEXT_CHAR_LOGITS) -> np.ndarray:
    """Entropy of softmax(logits / T) for each T, in nats."""
    return np.array([temperature_distribution(t, logits)["entropy"] for t in temperatures])


def inference_temperature_widget():
    """The lesson's widget: a temperature slider over one predictive distribution."""
    from ...widgets import Lesson, slider
    from .views import TemperatureView, describe_temperature
    controls = {"temperature": slider(1.0, 0.1, 5.0, 0.05, "temperature T")}
    return Lesson(controls, temperature_distribution, TemperatureView(), describe_temperature,
                  title="temperature at inference")


# --- "Check yourself" checkers -----------------------------------------------------------------

EX_WEIGHTED = {"token_losses": np.array([0.2, 1.5, 0.7]), "target": np.array([0, 2, 1]),
               "weight": np.array([1.0, 1.0, 4.0])}


def check_weighted_mean(answer) -> Verdict:
    """F.cross_entropy's weighted mean for EX_WEIGHTED: sum w[y] * loss / sum w[y]."""
    lo, t, w = EX_WEIGHTED["token_losses"], EX_WEIGHTED["target"], EX_WEIGHTED["weight"]
    return checks.check_number(answer, (w[t] * lo).sum() / w[t].sum(), mistakes={
        "torch divides by the sum of the weights, not by the number of targets": (w[t] * lo).sum() / len(lo),
        "the weights are missing": lo.mean(),
        "that is the weighted sum; the mean divides it by the sum of the weights": (w[t] * lo).sum(),
        "weight by the target's class: weight[target], not weight[position]": (w * lo).sum() / w.sum(),
    }, hint="multiply each loss by weight[its target], add, divide by the sum of those weights")


MULTILABEL_OPTIONS = {
    "a": "F.cross_entropy(logits, tags)",
    "b": "F.binary_cross_entropy_with_logits(logits, tags)",
    "c": "F.binary_cross_entropy(logits.softmax(dim=-1), tags)",
    "d": "F.binary_cross_entropy_with_logits(torch.sigmoid(logits), tags)",
}


def check_multilabel(answer) -> Verdict:
    """Which line is the loss for raw logits [N, C] and multi-hot tags [N, C] (several tags per photo)?"""
    return checks.check_choice(answer, "b", options=MULTILABEL_OPTIONS, why_not={
        "a": ("cross_entropy takes a softmax over the tags, which makes them compete for one unit of "
              "probability: two true tags get 0.5 each at best, so the usual rule (each tag present "
              "when its q > 0.5) tags neither"),
        "c": "BCE on softmax outputs still forces the tags to sum to 1",
        "d": ("sigmoid applied twice: binary_cross_entropy_with_logits applies the sigmoid itself, "
              "so it wants the raw logits"),
    })


# --- predict, then check: what pos_weight does to the mean --------------------------------------

PW_LOGITS = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])  # [N=2, C=3]; every target in this batch is 1
PW = 3.0  # pos_weight for every tag


def check_pos_weight_prediction(answer) -> Verdict:
    """BCE with logits, all targets 1, pos_weight = PW: every term is PW times larger and the mean still divides by N*C."""
    plain = float(np.mean(np.logaddexp(0.0, -PW_LOGITS)))  # -log sigmoid(z), averaged
    return checks.check_number(answer, PW * plain, mistakes={
        "that is what cross_entropy's weight= would give (it divides by the sum of the weights); "
        "pos_weight only multiplies the positive terms and the mean still divides by N·C": plain,
        "pos_weight multiplies the positive terms; it does not divide them": plain / PW,
    }, hint="every target is 1, so every term is a positive term: what happens to each, and to the mean?")
