"""Lesson 09 (designing_a_loss_for_a_new_task): when a task changes the loss, what changes and what stays.

What stays: log_softmax over the class dimension (or, for independent labels, its
two-class form, logsigmoid). What changes: the target (one-hot, smoothed, multi-hot,
bins), the per-class weights, the mask over padding, the reduction, the temperature.

Pure functions take everything they use as arguments and return numbers (float64, nats);
tests/lessons/test_designing_a_loss_for_a_new_task.py checks them against
`torch.nn.functional`. The final exercise's reference is `helpers.losses.sequence_loss`;
its diagnosing checker (`check_sequence_loss`) is here, with the catalogue of slips it
recognises in `slips.py`. The temperature widget's figure and readout are in `views.py`;
the tiny training loops in `training.py`.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ... import checks, losses, plots, validate
from ...checks import Verdict
from .slips import HINT_STRAIGHT_IN, SEQUENCE_MISTAKES
from .training import descend, train_linear


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


def imbalance_experiment(counts=(300, 300, 30), seed: int = 0, steps: int = 300) -> dict:
    """Train without and with balanced weights; recall and accuracy on fresh data of the same mix."""
    n_classes = len(counts)
    x, y = imbalanced_data(counts, seed)
    x_test, y_test = imbalanced_data(counts, seed + 1)
    weights = balanced_weights(y, n_classes)
    out = {"weights": weights, "x": x, "y": y}
    for name, w in [("plain", None), ("weighted", weights)]:
        W, b = train_linear(x, y, n_classes, w, steps)
        logits = x_test @ W + b  # [N, C]
        pred = np.argmax(logits, axis=1)
        out[name] = {"W": W, "b": b, "recall": recall_per_class(pred, y_test, n_classes),
                     "accuracy": float((pred == y_test).mean()),
                     "mean_probs": losses.softmax(logits).mean(axis=0)}
    out["frequencies"] = np.asarray(counts) / sum(counts)
    return out


def draw_imbalance(axes, result: dict) -> None:
    """On two axes: the training points over each model's decision regions."""
    x, y = result["x"], result["y"]
    lo, hi = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    colors = [plots.BLUE, plots.ORANGE, plots.RED]
    for ax, name in zip(axes, ["plain", "weighted"]):
        r = result[name]
        regions = np.argmax(grid @ r["W"] + r["b"], axis=1).reshape(g0.shape)
        ax.contourf(g0, g1, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=colors, alpha=0.15)
        for k, c in enumerate(colors):
            ax.scatter(*x[y == k].T, s=6 if k < 2 else 14, color=c, marker=plots.MARKERS[k], label=f"class {k}")
        ax.set(title=f"{name}: class 2 recall {r['recall'][2]:.2f}", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]),
               xlabel="feature x₁")
    axes[0].set_ylabel("feature x₂")
    axes[0].legend(loc="upper left", fontsize=8)


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


# --- a regression target with a classifier head ------------------------------------------------


def bimodal_targets(n: int = 400, seed: int = 0) -> np.ndarray:
    """A target with two modes: 60 % near -2, 40 % near +2 (spread 0.4)."""
    rng = np.random.default_rng(seed)
    upper = rng.random(n) < 0.4
    return np.where(upper, rng.normal(2.0, 0.4, n), rng.normal(-2.0, 0.4, n))


def bin_index(y, edges) -> np.ndarray:
    """Which bin each value falls in: 0..len(edges)-2; values outside go to the end bins."""
    e = validate.as_array(edges, "edges")
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0):
        raise ValueError("edges must be at least 2 strictly increasing numbers")
    return np.clip(np.searchsorted(e, validate.as_array(y, "y"), side="right") - 1, 0, e.size - 2)


def binning_experiment(y, edges, steps: int = 300, lr: float = 0.5) -> dict:
    """Fit one constant by MSE and one categorical over bins by cross-entropy, both by gradient descent."""
    yt = torch.as_tensor(validate.as_array(y, "y"))
    bins = torch.as_tensor(bin_index(y, edges))
    e = validate.as_array(edges, "edges")
    centres = (e[:-1] + e[1:]) / 2
    c = torch.zeros((), dtype=torch.float64, requires_grad=True)
    z = torch.zeros(len(centres), dtype=torch.float64, requires_grad=True)
    # the two heads share nothing, so one descent on the sum of their losses trains both
    descend([c, z], lambda: F.mse_loss(c.expand_as(yt), yt)
            + F.cross_entropy(z.expand(len(yt), -1), bins), steps, lr)
    probs = torch.softmax(z.detach(), -1).numpy()
    mse_pred = float(c.detach())
    return {"mse_prediction": mse_pred, "mean": float(yt.mean()), "bin_probs": probs,
            "frequencies": np.bincount(bins.numpy(), minlength=len(centres)) / len(yt),
            "centres": centres, "bin_mean": float(probs @ centres),
            "mode_centre": float(centres[np.argmax(probs)]),
            "near_mse_prediction": float((np.abs(yt.numpy() - mse_pred) < 0.5).mean())}


def draw_binning(ax, y, result: dict, edges) -> None:
    """The targets, the MSE head's one number and the classifier head's bin probabilities."""
    e = validate.as_array(edges, "edges")
    ax.bar(result["centres"], result["bin_probs"], width=np.diff(e) * 0.9, color=plots.BLUE,
           alpha=0.6, label="classifier head: q(bin)")
    ax.axvline(result["mse_prediction"], color=plots.RED, lw=2, label="MSE head: one number")
    ax.plot(y, np.full(len(y), -0.02), "|", color=plots.GREY, alpha=0.3, label="targets")
    ax.set(xlabel="target value", ylabel="probability", ylim=(-0.05, 0.7))
    ax.legend(fontsize=8, loc="upper right")


# --- "Check yourself" checkers -----------------------------------------------------------------

EX_TOKEN_LOSSES = np.array([[0.5, 1.0, 1.5, 0.0], [3.0, 0.0, 0.0, 0.0]])  # [B=2, T=4] per-token losses
EX_TARGET = np.array([[4, 2, 7, 0], [5, 0, 0, 0]])  # [B, T]; 0 is the pad index


def check_masked_mean(answer) -> Verdict:
    """What F.cross_entropy(..., ignore_index=0) returns for EX_TOKEN_LOSSES / EX_TARGET."""
    mask = token_mask(EX_TARGET, 0)
    return checks.check_number(answer, per_token_mean(EX_TOKEN_LOSSES, mask), mistakes={
        "you divided by every position, padding included; divide by the real tokens only":
            EX_TOKEN_LOSSES.mean(),
        "that is the sum; the default reduction is the mean over the real tokens": EX_TOKEN_LOSSES.sum(),
        "that averages per sequence first; ignore_index averages over all real tokens at once":
            per_sequence_mean(EX_TOKEN_LOSSES, mask),
    }, hint="add the real tokens' losses and divide by how many real tokens there are")


def check_uniform_smoothing(answer, n_classes: int = 5, eps: float = 0.2) -> Verdict:
    """Loss of all-equal logits under label smoothing: still ln C."""
    ln_c = math.log(n_classes)
    return checks.check_number(answer, ln_c, mistakes={
        "smoothing changes the target, not q: every class still has q = 1/C": (1 - eps) * ln_c,
        "that is in bits; the course works in nats": losses.to_bits(ln_c),
        "the loss of a uniform q is not 0: -log(1/C) for every class": 0.0,
    }, hint="with equal logits q = 1/C everywhere, and the target's entries sum to 1")


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
    "a": "softmax over the tags + F.cross_entropy",
    "b": "sigmoid per tag + F.binary_cross_entropy_with_logits",
    "c": "softmax over the tags + F.binary_cross_entropy",
    "d": "log_softmax over the batch dimension + F.nll_loss",
}


def check_multilabel(answer) -> Verdict:
    """Which output and loss for an image that can carry several tags at once?"""
    return checks.check_choice(answer, "b", options=MULTILABEL_OPTIONS, why_not={
        "a": ("softmax makes the tags compete for one unit of probability: two true tags can get "
              "0.5 each at best"),
        "c": "BCE on softmax outputs still forces the tags to sum to 1",
        "d": "the batch dimension holds different examples, not classes",
    })
