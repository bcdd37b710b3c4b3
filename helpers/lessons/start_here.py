"""Lesson 00 (start_here): the surprise -log q of an outcome you gave probability q, as a widget."""
from __future__ import annotations

import math

import numpy as np

from .. import plots

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
