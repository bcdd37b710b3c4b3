"""Lesson 07 (binary_cross_entropy_and_max_margin): the margin picture and its widget, the 2-D
classifier's data and exact widest street, figures, and the checkers.

The losses (bce, bce_with_logits, sigmoid, binary_hinge, multiclass_hinge) are written out
in the notebook and kept, checked against torch, in `helpers.losses`. All numpy float64, nats.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from .. import checks, losses, plots, validate


# --- the margin picture: every binary loss as a function of m = y·f(x) -----------------------

MARGIN_LOSSES = ("0-1", "hinge", "logistic", "squared")
MARGIN_COLORS = {"0-1": plots.GREY, "hinge": plots.GREEN, "logistic": plots.BLUE, "squared": plots.RED}
MLIM, LLIM = (-3.0, 3.0), (-0.2, 5.0)
CONFIDENT = 1.0  # |m| beyond this counts as a confident answer in the picture


def margin_losses(margin) -> dict:
    """Each loss at margin m = y·f: 0-1 [m <= 0], hinge max(0, 1-m), logistic log(1+e^-m), squared (1-m)²."""
    m = validate.finite(validate.as_array(margin, "margin"), "margin")
    return {"0-1": (m <= 0).astype(float), "hinge": np.maximum(0.0, 1 - m),
            "logistic": np.logaddexp(0.0, -m), "squared": (1 - m) ** 2}


def region(margin: float) -> str:
    """Which part of the picture a margin is in."""
    if margin >= CONFIDENT:
        return "confident and right"
    if margin <= -CONFIDENT:
        return "confident and wrong"
    return "unsure (near the boundary)" if margin != 0 else "on the boundary"


def losses_at_margin(margin: float = 2.0) -> dict:
    """The four losses at one margin (floats), and where that margin lies."""
    values = {k: float(v) for k, v in margin_losses(float(margin)).items()}
    return {"margin": float(margin), "values": values, "region": region(float(margin))}


class MarginView:
    """The four loss curves drawn once; four markers and value labels move with the margin."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("The loss against the margin m = y·f(x), from confidently wrong (left, shaded) to "
           "confidently right (right, shaded), for the 0-1, hinge, logistic and squared losses, told "
           "apart by line style and named by labels next to their dots. A dashed vertical line and "
           "the dots mark the slider's margin; the readout below gives each loss's value there.")

    def __init__(self):
        self.fig, (ax,) = plots.new_figure(1, width=7.0, height=3.6)
        ax.axvspan(MLIM[0], -CONFIDENT, color=plots.RED, alpha=0.08)
        ax.axvspan(CONFIDENT, MLIM[1], color=plots.GREEN, alpha=0.08)
        above = ax.get_xaxis_transform()  # x in data units, y in axes units: just above the plot
        ax.text(-2.0, 1.02, "confident and wrong", ha="center", fontsize=10, color=plots.RED, transform=above)
        ax.text(2.0, 1.02, "confident and right", ha="center", fontsize=10, color=plots.GREEN, transform=above)
        grid = np.linspace(*MLIM, 601)
        for name, values in margin_losses(grid).items():
            ax.plot(grid, values, color=MARGIN_COLORS[name], lw=2, label=name,
                    ls=plots.LINESTYLES[list(MARGIN_LOSSES).index(name) % len(plots.LINESTYLES)],
                    drawstyle="steps-post" if name == "0-1" else "default")
        self.markers, self.labels = {}, {}
        for name in MARGIN_LOSSES:
            (self.markers[name],) = ax.plot([], [], "o", color=MARGIN_COLORS[name], ms=8, mec="black")
            self.labels[name] = ax.text(0, 0, "", fontsize=9, color=MARGIN_COLORS[name], fontweight="bold")
        self.cursor = ax.axvline(0, color="black", lw=1, ls="--")
        ax.set(xlim=MLIM, ylim=LLIM, xlabel="margin m = y·f(x)   (left of 0: wrong; right of 0: right)",
               ylabel="loss")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
        self.artists = [self.cursor, *self.markers.values(), *self.labels.values()]

    def update(self, result: dict) -> None:
        m = result["margin"]
        self.cursor.set_xdata([m, m])
        shown = {k: min(v, LLIM[1] - 0.3) for k, v in result["values"].items()}  # off-scale stays on the chart
        label_y, last = {}, -np.inf
        for name in sorted(MARGIN_LOSSES, key=shown.get):  # stack labels so they never overlap
            last = label_y[name] = max(shown[name] + 0.1, last + 0.35)
        side = -0.5 if m > MLIM[1] - 0.6 else 0.1  # labels flip to the left near the right edge
        for name in MARGIN_LOSSES:
            self.markers[name].set_data([m], [shown[name]])
            self.markers[name].set_marker("^" if result["values"][name] > shown[name] else "o")  # ^: off the chart
            self.labels[name].set_position((m + side, label_y[name]))
            self.labels[name].set_text(f"{result['values'][name]:.2f}")


def describe_margin(result: dict) -> str:
    """Readout: the margin, its region and the four loss values."""
    vals = " · ".join(f"<b style='color:{plots.readable(MARGIN_COLORS[k])}'>{k}</b> {v:.4f}" for k, v in result["values"].items())
    return f"m = {result['margin']:.2f} ({result['region']}) · {vals}"


def margin_widget():
    """The lesson's widget: slide the margin and compare how the four losses respond."""
    from ..widgets import Lesson, slider
    return Lesson({"margin": slider(2.0, -3.0, 3.0, 0.1, "margin m = y·f(x)")}, losses_at_margin,
                  MarginView(), describe_margin, title="losses vs the margin")


# --- a linear classifier in 2-D: data, the exact widest street, the figure ---------------------

def two_classes(n: int = 20, seed: int = 2, sd: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    """n points of class +1 around (1.5, 1.5) and n of class -1 around (-1.5, -1): X [2n, 2], y [2n] in {+1, -1}."""
    n = validate.whole_number(n, "n", lo=1)
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal((1.5, 1.5), sd, (n, 2)), rng.normal((-1.5, -1.0), sd, (n, 2))])
    return X, np.r_[np.ones(n), -np.ones(n)]


def _labelled_points(X, y) -> tuple[np.ndarray, np.ndarray]:
    Xa, ya = validate.as_array(X, "X"), validate.as_array(y, "y")
    if Xa.ndim != 2 or Xa.shape[1] != 2 or ya.shape != (len(Xa),):
        raise ValueError(f"expected X [N, 2] and y [N]; got shapes {list(Xa.shape)} and {list(ya.shape)}")
    if not np.all((ya == 1) | (ya == -1)) or ya.min() == ya.max():
        raise ValueError("y must hold labels +1 and -1, both present")
    return validate.finite(Xa, "X"), ya


def widest_street(X, y) -> tuple[float, np.ndarray, float]:
    """The maximum-margin line of separable 2-D points, exactly: (half-width, unit normal u, offset b).

    The boundary is u·x + b = 0 and every point has y (u·x + b) >= half-width. In 2-D the
    widest street is fixed by its support vectors: its normal is either the difference of a
    +1 and a -1 point, or perpendicular to the line through two points of one class, so
    trying every such direction finds it. Raises ValueError if no line separates the points.
    """
    Xa, ya = _labelled_points(X, y)
    P, N = Xa[ya > 0], Xa[ya < 0]
    dirs = [p - q for p in P for q in N]
    for S in (P, N):
        for i, j in itertools.combinations(range(len(S)), 2):
            d = S[i] - S[j]
            dirs += [np.array([-d[1], d[0]]), np.array([d[1], -d[0]])]
    U = np.array(dirs)
    norms = np.linalg.norm(U, axis=1)
    U = U[norms > 0] / norms[norms > 0, None]
    proj = (U[:, None, :] * Xa).sum(-1)                       # [D, N]
    top, bottom = proj[:, ya > 0].min(1), proj[:, ya < 0].max(1)
    k = int(np.argmax(top - bottom))
    if top[k] - bottom[k] <= 0:
        raise ValueError("no line separates the two classes: there is no street")
    return float((top[k] - bottom[k]) / 2), U[k], float(-(top[k] + bottom[k]) / 2)


def street_of(w, b: float, X, y) -> dict:
    """How a line w·x + b = 0 treats labelled points: margins y·f, distances, points inside the street.

    A point counts as inside the street when its margin is below 0.99 (a point on the edge,
    margin 1, lands within about 0.001 of it after the lesson's gradient descent).
    """
    Xa, ya = _labelled_points(X, y)
    w = validate.finite(validate.as_array(w, "w"), "w")
    norm = float(np.linalg.norm(w))
    if w.shape != (2,) or norm == 0:
        raise ValueError(f"w must be 2 numbers, not both 0; got {w.tolist()}")
    m = ya * ((Xa * w).sum(1) + b)
    return {"margins": m, "min_distance": float(m.min() / norm), "half_width": 1.0 / norm,
            "wrong_side": int((m <= 0).sum()), "inside": int((m < 0.99).sum())}


def draw_classifiers(ax, X, y, models: dict, street: str | None = None) -> None:
    """The two classes, each model's boundary (label -> (w, b)), and the margin lines w·x + b = ±1 of `street`."""
    Xa, ya = _labelled_points(X, y)
    ax.scatter(*Xa[ya > 0].T, marker="o", s=30, color=plots.BLUE, label="class +1")
    ax.scatter(*Xa[ya < 0].T, marker="s", s=30, color=plots.ORANGE, label="class −1")
    lo, hi = Xa.min(0) - 0.8, Xa.max(0) + 0.8
    xs = np.array([lo[0], hi[0]])
    styles = [dict(color="black", ls="-"), dict(color=plots.RED, ls="--"), dict(color=plots.GREEN, ls=":")]
    for (label, (w, b)), style in zip(models.items(), styles):
        ax.plot(xs, -(w[0] * xs + b) / w[1], lw=2, label=f"{label}: boundary", **style)
        if label == street:
            for level in (1.0, -1.0):
                ax.plot(xs, (level - w[0] * xs - b) / w[1], lw=1, color=style["color"], ls="-.")
            ax.plot([], [], lw=1, color=style["color"], ls="-.", label=f"{label}: w·x + b = ±1")
            sv = street_of(w, b, Xa, ya)["margins"] < 1 + 1e-2
            ax.scatter(*Xa[sv].T, s=160, facecolors="none", edgecolors="black", label="on the street's edge")
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="x₁", ylabel="x₂", aspect="equal")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)


# --- checkers for the exercises ---------------------------------------------------------------

def check_bce(answer, probs, target) -> checks.Verdict:
    """The mean BCE of probabilities against 0/1 targets, with hints for the usual slips."""
    q, y = validate.pair(probs, target, "probs", "target")
    want = losses.bce(q, y)
    only_pos = float(-(y * np.log(q)).mean())
    return checks.check_number(answer, want, mistakes={
        "that is the sum over the examples; BCE's default is the mean": losses.bce(q, y, "sum"),
        "you kept only y·log q; the (1 - y)·log(1 - q) term scores the 0 labels": only_pos,
        "you swapped q and 1 - q: q is the probability of the label 1": losses.bce(1 - q, y),
        "that is in bits; the course works in nats": want / math.log(2),
        "you forgot the minus sign": -want,
    }, hint="for each example take -log of the probability the model gave to the true label, then average")


def check_support_vectors(answer) -> checks.Verdict:
    """Which boundary stays put when only the points on the street's edges are kept? One of four names."""
    return checks.check_choice(answer, "hinge", options=("hinge", "logistic", "both", "neither"), why_not={
        "logistic": "the logistic loss weighs every point by σ(-m), never exactly 0: remove points and it moves",
        "both": "the logistic loss never stops listening to a point: its weight σ(-m) is small but not 0",
        "neither": "a point outside the street has hinge gradient exactly 0: removing it changes nothing",
    })


PAIR_TOL = 1e-9  # relative: the checker's stated tolerance, and the real one
PAIR_CASES = [(np.array([2.0, 0.5, -1.0]), np.array([0.0, 1.0, -1.0])),
              (np.array([30.0, -30.0, 0.0, 1e-3]), np.array([-10.0, 10.0, 0.0, 0.0])),
              (np.array([800.0, -800.0]), np.array([0.0, 0.0])),
              (np.array([-400.0, 5.0]), np.array([400.0, 0.0]))]


def pair_logistic(s_win, s_lose) -> float:
    """Mean logistic ranking loss -log σ(s_win - s_lose) = softplus(-(s_win - s_lose)), computed stably."""
    d = validate.as_array(s_win, "s_win") - validate.as_array(s_lose, "s_lose")
    return float(np.mean(np.logaddexp(0.0, -d)))


def check_pair_logistic_fn(fn) -> checks.Verdict:
    """A learner's pair_logistic(s_win, s_lose) -> mean loss, to a relative 1e-9, score gaps up to ±800."""
    def naive(sw, sl):
        with np.errstate(all="ignore"):
            return float(np.mean(np.log(1 + np.exp(-(sw - sl)))))

    verdict = checks.check_function(fn, pair_logistic, PAIR_CASES, tol=PAIR_TOL, mistakes={
        "the loss is -log σ(s_win - s_lose): you took the difference the other way round":
            lambda sw, sl: pair_logistic(sl, sw),
        "that is the margin ranking (hinge) loss max(0, 1 - d); the logistic twin is log(1 + e^(-d))":
            lambda sw, sl: float(np.mean(np.maximum(0.0, 1 - (sw - sl)))),
        "that is the sum; return the mean over the pairs": lambda sw, sl: pair_logistic(sw, sl) * len(sw),
        "log(1 + e^(-d)) computed as written overflows for d = -800; use np.logaddexp(0, -d) or "
        "max(-d, 0) + log1p(e^(-|d|))": naive,
    })
    if verdict.status == "correct":
        return checks.Verdict("correct", f"matches -log σ(s_win - s_lose) to a relative {PAIR_TOL:g} "
                                         f"on {len(PAIR_CASES)} cases, gaps up to ±800")
    if verdict.status == "wrong" and ("inf" in verdict.detail or "nan" in verdict.detail):
        return checks.Verdict("wrong", "your loss is inf or NaN for large score gaps. Hint: log(1 + e^(-d)) "
                                       "overflows when -d is large; use np.logaddexp(0, -d)")
    if verdict.status == "close":  # the stated tolerance is the real one: near is not enough
        return checks.Verdict("wrong", f"{verdict.detail.split(': a rounding')[0]}, more than the relative "
                                       f"{PAIR_TOL:g} allowed. Hint: compute in float64 (not float32) and "
                                       "do not round")
    return verdict


def check_multi_margin(answer, scores, target, margin: float = 1.0) -> checks.Verdict:
    """What F.multi_margin_loss returns (hinge summed over wrong classes, divided by C)."""
    want = losses.multiclass_hinge(scores, target, margin, divide_by_classes=True)
    total = losses.multiclass_hinge(scores, target, margin)
    c = validate.as_array(scores).shape[-1]
    return checks.check_number(answer, want, mistakes={
        "that is the summed hinge (the CS231n number); F.multi_margin_loss divides it by C": total,
        "you included the true class: its own term is always max(0, margin) and is left out": (total + margin) / c,
        "the sum over the true class's term too, and not divided by C": total + margin,
        "divide by C (all classes), not by C - 1": total / (c - 1),
    }, hint="sum max(0, s_j - s_true + margin) over the wrong classes j, then divide by the number of classes")


MAX_MARGIN_SHARE = 0.98  # the street must be at least this share of the widest one


def check_max_margin(answer, X, y) -> checks.Verdict:
    """A line (w1, w2, b) whose street is at least 98 % as wide as the widest street of (X, y)."""
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    try:
        flat = validate.as_array(answer, "answer").ravel() if not isinstance(answer, (tuple, list)) else \
            np.concatenate([validate.as_array(a, "answer").ravel() for a in answer])
    except ValueError:
        flat = None
    if flat is None or flat.size != 3 or not np.all(np.isfinite(flat)) or not np.any(flat[:2]):
        return checks.Verdict("wrong", f"give the line as (w, b) with w two numbers, or as (w1, w2, b); got {answer!r}")
    widest = widest_street(X, y)[0]
    s = street_of(flat[:2], float(flat[2]), X, y)
    if s["wrong_side"]:
        return checks.Verdict("wrong", f"{s['wrong_side']} point(s) are on the wrong side of your boundary. "
                                       "Hint: train longer, or check the signs of w and b")
    share = s["min_distance"] / widest
    seen = f"the nearest point is {s['min_distance']:.4f} from your boundary, {share:.1%} of the widest street's half-width"
    if share >= MAX_MARGIN_SHARE:
        return checks.Verdict("correct", seen)
    if s["inside"]:
        return checks.Verdict("wrong", f"{seen}; {s['inside']} point(s) lie inside your street (y·f < 1). Hint: "
                                       "with the hinge + L2, λ prices a narrow street against points inside it: "
                                       "lower λ until no point is worth letting in")
    return checks.Verdict("wrong", f"{seen}. Hint: with the hinge alone, or the logistic loss, the line only "
                                   "separates; the hinge + L2 with a small enough λ, trained long enough, widens "
                                   "the street to its maximum")
