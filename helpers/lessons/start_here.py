"""Lesson 00 (start_here): the surprise -log q of an outcome you gave probability q, as a widget, and its exercise."""
from __future__ import annotations

import math

import numpy as np

from .. import checks, plots
from ..validate import to_numpy

Q_MIN = 0.01  # the slider's lowest belief; at q = 0 the surprise is infinite


def surprise_of(q: float) -> dict:
    """Surprise of an outcome believed to have probability q, in nats and bits."""
    if not 0 < q <= 1:
        raise ValueError(f"q must be a probability in (0, 1]; got {q}")
    nats = 0.0 - math.log(q)  # 0.0 - 0.0 is +0.0, so q = 1 prints 0.0000, not -0.0000
    return {"q": q, "nats": nats, "bits": nats / math.log(2)}


class SurpriseView:
    """The curve -ln q drawn once; a marker and a label move along it."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("The surprise curve −log q for a belief q from near 0 to 1: high when q is small, 0 at q "
           "= 1. A dot marks the slider's belief q and its surprise.")

    def __init__(self):
        self.fig, (ax,) = plots.new_figure(1, width=6.0, height=2.8)
        grid = np.linspace(Q_MIN, 1, 400)
        ax.plot(grid, -np.log(grid), color=plots.GREY, lw=1.5)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 5)
        ax.set_xlabel("q: the probability you gave the outcome")
        ax.set_ylabel("surprise  -ln q  (nats)")
        (self.marker,) = ax.plot([], [], "o", color=plots.RED, ms=9)
        # the label sits in the empty top-right corner, so it never runs off the figure or over the curve
        self.label = ax.text(0.98, 4.6, "", fontsize=10, ha="right", va="top")
        self.artists = [self.marker, self.label]

    def update(self, result: dict) -> None:
        q, nats = result["q"], result["nats"]
        self.marker.set_data([q], [nats])
        self.label.set_text(f"q = {q:.2f}: {nats:.3f} nats = {result['bits']:.3f} bits")


def describe_surprise(result: dict) -> str:
    return (f"An outcome you gave probability <b>{result['q']:.2f}</b> surprises you by "
            f"<b>{result['nats']:.4f} nats</b> ({result['bits']:.4f} bits).")


def surprise_widget():
    """A slider for q, the surprise curve, and a readout."""
    from ..widgets import Lesson, slider
    return Lesson({"q": slider(0.25, Q_MIN, 1.0, 0.01, "belief q")}, surprise_of,
                  SurpriseView(), describe_surprise, title="surprise of an outcome")


# --- exercise: the belief that is least surprised by a sequence of coin flips ----------------

def _heads_and_tails(flips: str) -> tuple[int, int]:
    if not isinstance(flips, str) or not flips or set(flips) - {"H", "T"}:
        raise ValueError(f"flips must be a non-empty string of H and T; got {flips!r}")
    return flips.count("H"), flips.count("T")


def total_surprise_bits(q_heads: float, flips: str) -> float:
    """The summed surprise, in bits, of the flips to a belief q(H) = q_heads, q(T) = 1 - q_heads.

    inf when a side that happened was given probability 0.
    """
    heads, tails = _heads_and_tails(flips)
    if not 0 <= q_heads <= 1:
        raise ValueError(f"q_heads must be a probability in [0, 1]; got {q_heads}")

    def part(count, q):
        if count == 0:
            return 0.0
        return math.inf if q == 0 else -count * math.log2(q)

    return part(heads, q_heads) + part(tails, 1 - q_heads)


BELIEF_TOL = 0.001  # bits above the least possible total that still count as "found it"
BELIEF_CLOSE = 0.05  # bits: near the least possible total, not at it


def check_least_surprised_belief(answer, flips: str) -> checks.Verdict:
    """Exercise: the belief q(H) whose total surprise on the flips is smallest, judged by that total."""
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    try:
        arr = np.asarray(to_numpy(answer), dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.size != 1 or not math.isfinite(float(arr.reshape(-1)[0])):
        return checks.Verdict("wrong", f"expected one number, your belief q(H); got {answer!r}")
    q = float(arr.reshape(-1)[0])
    heads, tails = _heads_and_tails(flips)
    if not 0 <= q <= 1:
        hint = " (that looks like a count of heads; a belief is a probability)" if q > 1 else ""
        return checks.Verdict("wrong", f"q = {q:.4f} is not a probability: a belief is between 0 and 1{hint}")
    best_q = heads / (heads + tails)
    total, least = total_surprise_bits(q, flips), total_surprise_bits(best_q, flips)
    said = f"q(H) = {q:.4f} gives a total surprise of {total:.4f} bits"
    if math.isinf(total):
        side = "tail" if q == 1 else "head"
        return checks.Verdict("wrong", f"{said}. Hint: a {side} happened, and you gave it probability 0: "
                                       "-log 0 is infinite; never rule out what can happen")
    if total <= least + BELIEF_TOL:
        return checks.Verdict("correct", f"{said}, the least any belief can give on these {heads + tails} flips "
                                           f"(to within {BELIEF_TOL} bits)")
    if abs(q - 0.5) < 1e-9:
        return checks.Verdict("wrong", f"{said}: 1 bit a flip. Hint: a fair-coin belief ignores what you "
                                       "saw; these flips were not half heads")
    if abs(q - (1 - best_q)) < 1e-3:
        return checks.Verdict("wrong", f"{said}. Hint: that is the fraction of tails; q(H) is your "
                                       "probability of heads")
    if total <= least + BELIEF_CLOSE:
        return checks.Verdict("close", f"{said}: near the least possible, not at it; try values close by")
    side = "larger" if q < best_q else "smaller"
    return checks.Verdict("wrong", f"{said}. Hint: try {side} values of q(H) and keep the one with the "
                                   "smallest total")
