"""Lesson 03 (nll_and_cross_entropy): "why not just subtract the distributions?", and the lesson's checkers.

Three losses between a classifier's softmax q and the one-hot target y, each averaged
over the examples:

    ce   cross-entropy           −log q[y]
    sq   squared difference      Σ_c (q_c − y_c)²   (the Brier score; F.mse_loss would also divide by C)
    abs  absolute difference     Σ_c |q_c − y_c|

The notebook writes the gradients and the training loop out itself. This module holds what
the notebook only calls: each loss and its logit gradient for the gradient-vs-confidence
widget (checked against torch autograd in tests/lessons/test_nll_and_cross_entropy.py), the
toy data set and the figure of the training runs, and the checkers of the exercises.
"""
from __future__ import annotations

import math

import numpy as np

import torch
import torch.nn.functional as F

from .. import checks, losses, plots, validate

LOSSES = ("ce", "sq", "abs")
LOSS_LABELS = {"ce": "cross-entropy", "sq": "squared difference", "abs": "absolute difference"}
LOSS_COLORS = {"ce": plots.BLUE, "sq": plots.ORANGE, "abs": plots.GREEN}
LOSS_STYLES = {"ce": "-", "sq": "--", "abs": ":"}  # line styles, so no figure relies on colour alone
P_GRID = np.logspace(-4, math.log10(0.999), 300)  # true-class probabilities for the curves


def _loss_name(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {list(LOSSES)}")
    return loss


# --- each loss and its gradient with respect to the logits ------------------------------------

def per_example(logits, target, loss: str = "ce") -> tuple[np.ndarray, np.ndarray]:
    """Each example's loss [N] and its gradient w.r.t. that example's logits [N, C]."""
    _loss_name(loss)
    z = validate.as_array(logits, "logits")
    if z.ndim != 2:
        raise ValueError(f"logits must be [N, C]; got shape {list(z.shape)}")
    t = validate.as_class_indices(target)
    validate.targets(t, z.shape[:1], z.shape[1], None)
    n, c = z.shape
    q = losses.softmax(z)                   # [N, C]
    y = np.eye(c)[t]                        # [N, C] one-hot targets
    if loss == "ce":
        return -np.log(q[np.arange(n), t]), q - y   # the gradient is the famous softmax − onehot
    diff = q - y                                        # [N, C]
    if loss == "sq":
        values, dq = (diff ** 2).sum(axis=1), 2 * diff  # dq = ∂loss/∂q
    else:
        values, dq = np.abs(diff).sum(axis=1), np.sign(diff)
    return values, q * (dq - (q * dq).sum(axis=1, keepdims=True))  # back through softmax


def loss_and_grad(logits, target, loss: str = "ce") -> tuple[float, np.ndarray]:
    """The mean loss over N examples and its gradient w.r.t. the logits [N, C] (or [C] for one example)."""
    z = validate.as_array(logits, "logits")
    single = z.ndim == 1
    t = np.atleast_1d(validate.as_class_indices(target)) if single else target
    values, grads = per_example(z[None] if single else z, t, loss)
    n = len(values)
    return float(values.mean()), (grads[0] if single else grads / n)  # the mean divides by N


def logits_for_true_prob(true_prob, n_classes: int = 3) -> np.ndarray:
    """Logits whose softmax puts `true_prob` on class 0 and splits the rest evenly."""
    n_classes = validate.whole_number(n_classes, "n_classes", lo=2)
    p = float(true_prob)
    if not 0 < p < 1:
        raise ValueError(f"true_prob must be strictly between 0 and 1; got {true_prob!r}")
    rest = (1 - p) / (n_classes - 1)
    return np.log(np.array([p] + [rest] * (n_classes - 1)))


# --- the widget: gradient size against confidence ------------------------------------------

def gradient_vs_confidence(true_prob: float = 0.01, n_classes: int = 3) -> dict:
    """Each loss and the size of its logit gradient as the true-class probability goes from 0 to 1."""
    point = logits_for_true_prob(true_prob, n_classes)  # validates both arguments
    out = {"true_prob": float(true_prob), "n_classes": int(n_classes), "grid": P_GRID}
    curve = np.log(np.column_stack([P_GRID] + [(1 - P_GRID) / (n_classes - 1)] * (n_classes - 1)))
    for name in LOSSES:
        values, grads = per_example(curve, np.zeros(len(P_GRID), dtype=int), name)  # [G], [G, C]
        v, g = loss_and_grad(point, 0, name)
        out[name] = {"values": values, "grad_norms": np.linalg.norm(grads, axis=1),
                     "value": v, "grad": g, "grad_norm": float(np.linalg.norm(g))}
    return out


class GradientView:
    """Left: each loss against the true-class probability. Right: the size of its logit gradient."""

    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image, where supported)
    alt = ("Two panels against the probability the model gives the true class (log scale), for cross-entropy, "
           "the squared difference and the absolute difference (told apart by line style and legend). Left: "
           "each loss. Right: the size of its gradient with respect to the logits, which stays large for "
           "cross-entropy when the model is confidently wrong and falls towards 0 for the other two. A "
           "dash-dot vertical line and dots mark the slider's probability.")

    def __init__(self):
        self.fig, (left, right) = plots.new_figure(2, width=9.0, height=3.2)
        self.lines, self.dots = {}, {}
        for ax, key in ((left, "values"), (right, "grad_norms")):
            for name in LOSSES:
                line, = ax.plot(P_GRID, np.zeros_like(P_GRID), color=LOSS_COLORS[name], ls=LOSS_STYLES[name], lw=2,
                                label=LOSS_LABELS[name])
                dot, = ax.plot([], [], "o", color=LOSS_COLORS[name], ms=7)
                self.lines[key, name], self.dots[key, name] = line, dot
            ax.set_xscale("log")
            ax.set_xlim(P_GRID[0], 1)
            ax.set_xlabel("q[true class] (log scale)")
        self.marker = [ax.axvline(0.01, color=plots.GREY, ls="-.", lw=1) for ax in (left, right)]
        left.set_ylim(0, 10)
        left.set_ylabel("loss (one example)")
        left.set_title("loss")
        left.legend(loc="upper right", fontsize=8, frameon=False)
        right.set_ylim(0, 1.6)
        right.set_ylabel("‖∂loss/∂logits‖")
        right.set_title("size of the gradient")
        self.artists = [*self.lines.values(), *self.dots.values(), *self.marker]

    def update(self, r: dict) -> None:
        for (key, name), line in self.lines.items():
            line.set_ydata(r[name][key])
            scalar = "value" if key == "values" else "grad_norm"
            self.dots[key, name].set_data([r["true_prob"]], [r[name][scalar]])
        for m in self.marker:
            m.set_xdata([r["true_prob"], r["true_prob"]])


def describe_gradient(r: dict) -> str:
    """The readout under the gradient figure."""
    parts = [f"{LOSS_LABELS[n]} {r[n]['value']:.4f} (gradient {r[n]['grad_norm']:.4f})" for n in LOSSES]
    return f"q[true] = {r['true_prob']:.4f}, C = {r['n_classes']}<br>" + " · ".join(parts)


def gradient_widget():
    """The lesson's widget: the true-class probability (log slider) and the number of classes."""
    import ipywidgets as widgets

    from ..widgets import Lesson, slider
    prob = widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=math.log10(0.999), step=0.05,
                                  description="q[true class]", readout_format=".4f",
                                  style={"description_width": "initial"}, layout=widgets.Layout(width="320px"))
    classes = slider(3, 2, 10, 1, "classes C", integer=True)
    return Lesson({"true_prob": prob, "n_classes": classes}, gradient_vs_confidence, GradientView(),
                  describe_gradient, title="gradient vs confidence")


# --- the toy problem of the training runs --------------------------------------------------------

def toy_data(n_per_class: int = 100, n_classes: int = 3, seed: int = 0):
    """Gaussian blobs around n_classes points on a circle: x [N, 2], y [N], the centres [C, 2]."""
    if n_per_class < 1 or n_classes < 2:
        raise ValueError("need n_per_class >= 1 and n_classes >= 2")
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])  # [C, 2]
    y = np.repeat(np.arange(n_classes), n_per_class)                     # [N]
    x = centres[y] + 0.8 * rng.standard_normal((len(y), 2))              # [N, 2]
    return x, y, centres


def plot_training(histories: dict, axes, labels: dict | None = None) -> None:
    """Draw each run on three axes (from plt.subplots(1, 3)): its own loss, the NLL, the accuracy.

    `histories` maps a loss name (ce, sq, abs) to arrays "loss", "nll", "accuracy" (one
    value per step); `labels` optionally replaces each run's legend label.
    """
    if len(axes) != 3:
        raise ValueError(f"plot_training draws on 3 axes; got {len(axes)}")
    for name, h in histories.items():
        _loss_name(name)
        steps = np.arange(1, len(h["nll"]) + 1)
        style = dict(color=LOSS_COLORS[name], ls=LOSS_STYLES[name], lw=2)
        label = (labels or {}).get(name, f"trained on {LOSS_LABELS[name]}")
        axes[0].plot(steps, h["loss"] / h["loss"][0], label=label, **style)
        axes[1].plot(steps, h["nll"], **style)
        axes[2].plot(steps, h["accuracy"], **style)
    for ax in axes:
        ax.set_xscale("log")
    axes[0].set(xlabel="step (log scale)", ylabel="loss / its value at step 1", title="each run's own training loss",
                ylim=(0, 1.05))
    axes[1].set(xlabel="step (log scale)", ylabel="NLL (nats)", title="NLL on the training set")
    axes[2].set(xlabel="step (log scale)", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    # one legend for the three panels, under them (off the data): needs layout="constrained"
    axes[0].figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=len(histories),
                          frameon=False, fontsize=9)


# --- checkers for the exercises -------------------------------------------------------------

def double_softmax_floor(n_classes: int) -> float:
    """The lowest loss F.cross_entropy(F.softmax(logits), y) can report with C classes: ln(e + C − 1) − 1."""
    n_classes = validate.whole_number(n_classes, "n_classes", lo=2)
    return math.log(math.e + n_classes - 1) - 1


def check_double_softmax_floor(answer, n_classes: int = 10) -> checks.Verdict:
    """Predict-then-check: the double-softmax loss of a model that is certain and right, C classes."""
    floor = double_softmax_floor(n_classes)
    ceiling = floor + 1
    mistakes = {
        "that is 0, the loss of a certain and right model without the bug; after the second softmax "
        "the probabilities are at most e / (e + C − 1), so the loss cannot reach 0": 0.0,
        "that is the top of the band, ln(e + C − 1): a model certain of a wrong class": ceiling,
        "that is ln C, the loss of a uniform guess; the model here is certain and right": math.log(n_classes),
        "that is in bits; the course works in nats (multiply bits by ln 2)": losses.to_bits(floor),
    }
    if n_classes != 3:
        mistakes[f"that is the floor for C = 3 from the cell above; put C = {n_classes} into "
                 "ln(e + C − 1) − 1"] = double_softmax_floor(3)
    return checks.check_number(answer, floor, mistakes=mistakes,
                               hint="the second softmax sees s = onehot(y): its loss is ln(e¹ + (C − 1)·e⁰) − 1")


def _blob_loop(x, y, steps: int, lr: float, loss_fn) -> list[float]:
    """The loop of exercise (c) with a given loss of (logits [N, C], y [N]): the loss at each step."""
    W = torch.zeros(x.shape[1], 3, dtype=torch.float64, requires_grad=True)   # [2, C]
    b = torch.zeros(3, dtype=torch.float64, requires_grad=True)               # [C]
    history = []
    for _ in range(steps):
        loss = loss_fn(x @ W + b, y)
        history.append(loss.item())
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
            b -= lr * b.grad
            W.grad, b.grad = None, None
    return history


def blob_training_case():
    """The arguments exercise (c) calls train_blobs with: the blobs of 5b as tensors, x [300, 2], y [300]."""
    x, y, _ = toy_data(n_per_class=100, n_classes=3, seed=0)
    return torch.tensor(x), torch.tensor(y)


def _blob_reference(x, y):
    return _blob_loop(x, y, 50, 1.0, F.cross_entropy)


BLOB_TRAINING_MISTAKES = {
    "the loss still stays above ln(e + C − 1) − 1, the floor of one of section 3's traps: what does "
    "F.cross_entropy do to its input before taking the log?":
        lambda x, y: _blob_loop(x, y, 50, 1.0, lambda z, t: F.cross_entropy(F.softmax(z, dim=-1), t)),
    "the loss is negative: F.nll_loss picks −input[y], so it needs log-probabilities (log_softmax), "
    "not probabilities":
        lambda x, y: _blob_loop(x, y, 50, 1.0, lambda z, t: F.nll_loss(F.softmax(z, dim=-1), t)),
    "keep steps=50 and lr=1.0: fix the loss, not the schedule (the loop here ran twice as long)":
        lambda x, y: _blob_loop(x, y, 100, 1.0, F.cross_entropy),
}


def check_blob_training(fn) -> checks.Verdict:
    """Applied: the learner fixes train_blobs(x, y) (a loop with a trap in it); the checker runs it.

    ✓ only when the loop's losses are the cross-entropy of the model at every step, so its
    last loss is below the double-softmax floor ln(e + 2) − 1, which the buggy loop never reaches.
    """
    if checks.unanswered(fn):
        return checks.check_function(fn, _blob_reference, [])
    x, y = blob_training_case()

    def on_copies(a, b):  # a loop that changes x or y in place cannot change the reference's data
        return fn(a.clone(), b.clone())
    verdict = checks.check_function(on_copies, _blob_reference, [(x, y)], tol=1e-6,
                                    mistakes=BLOB_TRAINING_MISTAKES)
    if verdict.status != "correct":
        return verdict if verdict.status != "close" else checks.Verdict("wrong", verdict.detail)
    last, floor = _blob_reference(x, y)[-1], double_softmax_floor(3)
    return checks.Verdict("correct", f"your loop's loss falls to {last:.4f} by step 50, below the "
                                     f"double-softmax floor {floor:.4f} that the broken loop could not pass")


def check_soft_ce(answer, p, q) -> checks.Verdict:
    """Exercise: H(p, q) for a soft target p and a prediction q, in nats."""
    expected = losses.cross_entropy_probs(p, q)
    return checks.check_number(answer, expected, mistakes={
        "the arguments are swapped: H(p, q) takes the log of q, the model's probabilities": losses.cross_entropy_probs(q, p),
        "that is KL(p‖q), the gap only; H(p, q) = H(p) + KL(p‖q)": losses.kl_divergence(p, q),
        "that is H(p), the floor only; add KL(p‖q)": losses.entropy(p),
        "you forgot the minus sign": -expected,
        "that is in bits (log base 2); the course works in nats: use the natural log": losses.to_bits(expected),
    }, hint="multiply each p by log q, add them up, and negate")
