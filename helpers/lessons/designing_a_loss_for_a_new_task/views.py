"""Lesson 09's temperature widget: its figure (built once) and its readout."""
from __future__ import annotations

import math

from ... import plots
from . import NEXT_CHAR_LABELS, NEXT_CHAR_LOGITS, T_GRID, entropy_curve


class TemperatureView:
    """Built once: probability bars (left); entropy against T with a moving marker (right)."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: bars of the predicted probability of each next character after "
           "dividing the logits by the temperature T. Right: the entropy of that prediction against "
           "T, rising towards the dashed line ln C; a dot marks the slider's T. Low T makes one bar "
           "tall, high T makes the bars even.")

    def __init__(self, labels=NEXT_CHAR_LABELS, logits=NEXT_CHAR_LOGITS):
        self.fig, (left, right) = plots.new_figure(2, width=8.0, height=2.8)
        self.bars = plots.Bars(left, labels, title="softmax(logits / T)", ylabel="probability q", fmt="{:.2f}")
        left.set_xlabel("next character")
        right.plot(T_GRID, entropy_curve(T_GRID, logits), color=plots.GREY)
        right.axhline(math.log(len(labels)), color=plots.GREEN, ls="--", lw=1)
        right.text(T_GRID[-1], math.log(len(labels)), "ln C", ha="right", va="bottom", color=plots.GREEN)
        right.set(xlabel="temperature T", ylabel="entropy (nats)", title="entropy of the prediction",
                  ylim=(0, math.log(len(labels)) * 1.15))
        (self.marker,) = right.plot([1.0], [0.0], "o", color=plots.ORANGE, ms=8)
        self.artists = self.bars.artists + [self.marker]

    def update(self, result: dict) -> None:
        self.bars.update(result["probs"])
        self.marker.set_data([result["temperature"]], [result["entropy"]])


def describe_temperature(result: dict) -> str:
    """One line for the readout."""
    return (f"T = {result['temperature']:.2f} · top class {NEXT_CHAR_LABELS[result['top']]!r} "
            f"q = {result['top_prob']:.4f} · entropy {result['entropy']:.4f} nats "
            f"({result['entropy_bits']:.4f} bits) of at most ln C = {result['max_entropy']:.4f}")
