"""Lesson 03 (nll_and_cross_entropy): "why not just subtract the distributions?" answered by experiment.

Three losses between a classifier's softmax q and the one-hot target y, each averaged
over the examples:

    ce   cross-entropy           −log q[y]
    mse  squared difference      Σ_c (q_c − y_c)²   (the Brier score; F.mse_loss would also divide by C)
    l1   absolute difference     Σ_c |q_c − y_c|

Pure numpy functions give each loss and its gradient with respect to the logits (checked
against torch autograd in tests/lessons/test_nll_and_cross_entropy.py), the
gradient-vs-confidence widget, a seeded toy training run, the expected score of each
loss (proper scoring), and the checkers of the lesson's exercises.
"""
from __future__ import annotations

import math

import numpy as np

from .. import checks, losses, plots, validate

LOSSES = ("ce", "mse", "l1")
LOSS_LABELS = {"ce": "cross-entropy", "mse": "squared difference", "l1": "absolute difference"}
LOSS_COLORS = {"ce": plots.BLUE, "mse": plots.ORANGE, "l1": plots.GREEN}
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
    if loss == "mse":
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
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels against the probability the model gives the true class, for cross-entropy, "
           "MSE and absolute error (told apart by line style and legend). Left: each loss. Right: "
           "the size of its gradient, which stays large for cross-entropy when the model is "
           "confidently wrong and shrinks for the other two. A dashed vertical line and dots mark "
           "the slider's probability.")

    def __init__(self):
        self.fig, (left, right) = plots.new_figure(2, width=9.0, height=3.2)
        self.lines, self.dots = {}, {}
        for ax, key in ((left, "values"), (right, "grad_norms")):
            for name in LOSSES:
                line, = ax.plot(P_GRID, np.zeros_like(P_GRID), color=LOSS_COLORS[name], lw=2, label=LOSS_LABELS[name],
                               ls=plots.LINESTYLES[LOSSES.index(name) % len(plots.LINESTYLES)])
                dot, = ax.plot([], [], "o", color=LOSS_COLORS[name], ms=7)
                self.lines[key, name], self.dots[key, name] = line, dot
            ax.set_xscale("log")
            ax.set_xlim(P_GRID[0], 1)
            ax.set_xlabel("q[true class] (log scale)")
        self.marker = [ax.axvline(0.01, color=plots.GREY, ls="--", lw=1) for ax in (left, right)]
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


# --- a toy problem trained three ways ------------------------------------------------------------

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


def train_toy(loss: str = "ce", steps: int = 200, lr: float = 1.0, wrong_scale: float = 1.5,
              seed: int = 0) -> dict:
    """Full-batch gradient descent on a linear classifier, started confidently wrong.

    The initial weights score each class with the centre of the *previous* class, times
    wrong_scale, so most examples start with a small probability on their true class.
    Returns per-step histories of the training loss, the NLL (cross-entropy, the common
    yardstick), the accuracy and the size of the logit gradient.
    """
    _loss_name(loss)
    if steps < 1 or not lr > 0:
        raise ValueError(f"need steps >= 1 and lr > 0; got steps={steps}, lr={lr}")
    x, y, centres = toy_data(seed=seed)
    w = wrong_scale * np.roll(centres, 1, axis=0).T  # [2, C]: confidently wrong
    b = np.zeros(centres.shape[0])                   # [C]
    hist = {k: [] for k in ("loss", "nll", "accuracy", "grad_norm")}
    for _ in range(steps):
        logits = x @ w + b                           # [N, C]
        value, g = loss_and_grad(logits, y, loss)    # g: [N, C]
        hist["loss"].append(value)
        hist["nll"].append(losses.cross_entropy(logits, y))
        hist["accuracy"].append(float(np.mean(logits.argmax(axis=1) == y)))
        hist["grad_norm"].append(float(np.linalg.norm(g)))
        w -= lr * (x.T @ g)                          # chain rule: logits = x @ w + b
        b -= lr * g.sum(axis=0)
    return {k: np.array(v) for k, v in hist.items()} | {"loss_name": loss}


def steps_to_accuracy(history: dict, level: float = 0.9) -> int | None:
    """The first step (counting from 1) at which the accuracy reaches `level`, or None."""
    hit = np.flatnonzero(history["accuracy"] >= level)
    return int(hit[0]) + 1 if hit.size else None


def plot_training(histories: dict, axes) -> None:
    """Draw each run on three axes (from plt.subplots(1, 3)): its own loss, the NLL, the accuracy."""
    if len(axes) != 3:
        raise ValueError(f"plot_training draws on 3 axes; got {len(axes)}")
    for name, h in histories.items():
        steps = np.arange(1, len(h["nll"]) + 1)
        ls = plots.LINESTYLES[list(histories).index(name) % len(plots.LINESTYLES)]
        axes[0].plot(steps, h["loss"] / h["loss"][0], color=LOSS_COLORS[name], lw=2, ls=ls,
                     label=f"trained on {LOSS_LABELS[name]}")
        axes[1].plot(steps, h["nll"], color=LOSS_COLORS[name], lw=2, ls=ls)
        axes[2].plot(steps, h["accuracy"], color=LOSS_COLORS[name], lw=2, ls=ls)
    axes[0].set(xlabel="step", ylabel="loss / its value at step 1", title="each run's own training loss",
                ylim=(0, 1.05))
    axes[1].set(xlabel="step", ylabel="NLL (nats)", title="NLL on the training set")
    axes[2].set(xlabel="step", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    axes[1].legend(*axes[0].get_legend_handles_labels(), frameon=False, fontsize=8, loc="upper right")


# --- proper scoring: which prediction does each loss reward? ------------------------------------

def expected_scores(p_true: float, q_grid=None) -> dict:
    """Two classes; the true class is 0 with probability p_true. Expected loss of predicting q(class 0).

    Cross-entropy and the squared difference are lowest at q = p_true (proper scoring
    rules); the absolute difference is lowest at q = 0 or 1 (it rewards overconfidence).
    """
    p = float(p_true)
    if not 0 < p < 1:
        raise ValueError(f"p_true must be strictly between 0 and 1; got {p_true!r}")
    q = np.linspace(0.001, 0.999, 999) if q_grid is None else validate.as_array(q_grid, "q_grid")
    if q.ndim != 1 or np.any(q <= 0) or np.any(q >= 1):
        raise ValueError("q_grid must be 1-D with every value strictly between 0 and 1")
    # outcome class 0 (probability p): y = (1, 0); class 1 (1 − p): y = (0, 1); prediction (q, 1 − q)
    scores = {"ce": -(p * np.log(q) + (1 - p) * np.log(1 - q)),
              "mse": p * 2 * (1 - q) ** 2 + (1 - p) * 2 * q ** 2,
              "l1": p * 2 * (1 - q) + (1 - p) * 2 * q}
    best = {name: float(q[np.argmin(s)]) for name, s in scores.items()}
    return {"q": q, "p_true": p, "scores": scores, "best": best}


# --- checkers for the exercises -------------------------------------------------------------

DOUBLE_SOFTMAX_SNIPPETS = {
    "a": "loss = F.cross_entropy(logits, y)",
    "b": "loss = F.nll_loss(F.log_softmax(logits, dim=-1), y)",
    "c": "loss = F.cross_entropy(F.softmax(logits, dim=-1), y)",
    "d": "loss = -F.log_softmax(logits, dim=-1).gather(-1, y[:, None]).mean()",
}


def check_double_softmax(answer) -> checks.Verdict:
    """Exercise: which snippet applies softmax twice?"""
    ok = "cross_entropy already applies log_softmax; that is the same as a"
    return checks.check_choice(answer, "c", options=list(DOUBLE_SOFTMAX_SNIPPETS), why_not={
        "a": "this is the correct way: cross_entropy takes raw logits",
        "b": "nll_loss takes log-probabilities and log_softmax makes them: softmax once. " + ok,
        "d": "this picks the log-probability of each true class and averages: softmax once",
    })


def check_bits(answer, nats: float) -> checks.Verdict:
    """Exercise: convert a loss in nats to bits."""
    bits = nats / math.log(2)
    return checks.check_number(answer, bits, mistakes={
        "you multiplied by ln 2; a bit is bigger than a nat (ln 2 = 0.6931 nats), so divide": nats * math.log(2),
        "that is log base 10 (bans); bits use log base 2": nats / math.log(10),
        "you divided by 2; divide by ln 2 instead": nats / 2,
    }, hint="divide the nats by ln 2")


def check_ignore_index(answer, logits, target, ignore_index: int = -100) -> checks.Verdict:
    """Exercise: the mean cross-entropy when some targets are ignore_index."""
    t = validate.as_class_indices(target)
    expected = losses.cross_entropy(logits, t, ignore_index=ignore_index)
    keep = t != ignore_index
    total = expected * keep.sum()
    return checks.check_number(answer, expected, mistakes={
        "you divided by every target; the mean is over the kept targets only": total / t.size,
        "that is the sum over the kept targets; divide by how many were kept": total,
    }, hint="drop the ignored rows, then average −log q[true class] over the rows that are left")


def check_soft_ce(answer, p, q) -> checks.Verdict:
    """Exercise: H(p, q) for a soft target p and a prediction q."""
    expected = losses.cross_entropy_probs(p, q)
    return checks.check_number(answer, expected, mistakes={
        "the arguments are swapped: H(p, q) takes the log of q, the model's probabilities": losses.cross_entropy_probs(q, p),
        "that is KL(p‖q), the gap only; H(p, q) = H(p) + KL(p‖q)": losses.kl_divergence(p, q),
        "that is H(p), the floor only; add KL(p‖q)": losses.entropy(p),
        "you forgot the minus sign": -expected,
    }, hint="multiply each p by log q, add them up, and negate")
