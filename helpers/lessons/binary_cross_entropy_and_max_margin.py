"""Lesson 07 (binary_cross_entropy_and_max_margin): the margin picture, its widget, and the checkers.

The losses (bce, bce_with_logits, sigmoid, binary_hinge, multiclass_hinge) are written out
in the notebook and kept, checked against torch, in `helpers.losses`. All numpy float64, nats.
"""
from __future__ import annotations

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


BCE_LOGIT_CASES = [(np.array([0.0, 2.0, -3.0]), np.array([1.0, 0.0, 1.0])),
                   (np.array([40.0, -40.0, 100.0]), np.array([0.0, 1.0, 1.0])),
                   (np.array([-800.0, 800.0]), np.array([0.0, 0.0]))]


def check_bce_with_logits_fn(fn) -> checks.Verdict:
    """A learner's bce_with_logits(logits, target) -> mean loss, including huge logits."""
    verdict = checks.check_function(fn, losses.bce_with_logits, BCE_LOGIT_CASES, mistakes={
        "you clamped the log at -100 like F.binary_cross_entropy; from logits no clamp is needed":
            lambda x, y: losses.bce(losses.sigmoid(x), y, log_floor=losses.TORCH_LOG_FLOOR),
        "you treated the logits as probabilities; they are log-odds, apply the log-sigmoid":
            lambda x, y: float(np.mean(-(y * x + (1 - y) * (1 - x)))),
        "that is the sum; return the mean over examples": lambda x, y: losses.bce_with_logits(x, y, "sum"),
    })
    if verdict.status == "wrong" and ("inf" in verdict.detail or "nan" in verdict.detail):
        # NaN never equals NaN, so the naive formula is recognised by its non-finite result
        return checks.Verdict("wrong", "your loss is inf or NaN at large logits. Hint: going through sigmoid "
                                       "and log breaks there (sigmoid rounds to 1.0, log(1 - q) = -inf); "
                                       "use max(x, 0) - x·y + log1p(exp(-|x|))")
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


def check_confident_right(answer) -> checks.Verdict:
    """Which losses are exactly 0 for a confident right answer (m = 2)? A set of names."""
    want = {"0-1", "hinge"}
    why = {"logistic": "logistic is small at m = 2 but never exactly 0: log(1 + e^-2) > 0",
           "squared": "squared is (1 - 2)² = 1 at m = 2: it punishes being too right"}
    verdict = checks.check_choice(answer, want, options=MARGIN_LOSSES)
    if verdict.status == "correct":  # sorted: a set's printed order changes between runs
        return checks.Verdict("correct", str(sorted(want)))
    if verdict.status != "wrong" or "not one of the options" in verdict.detail:
        return verdict
    got = {str(a).strip().lower() for a in (answer if isinstance(answer, (set, list, tuple, frozenset)) else [answer])}
    extra = sorted(got - want)
    if extra:
        return checks.Verdict("wrong", f"{sorted(got)}. Hint: {why[extra[0]]}")
    missing = sorted(want - got)[0]
    return checks.Verdict("wrong", f"{sorted(got)}. Hint: {missing} is also exactly 0 at m = 2; give a set of names")
