"""Figures that are built once and then updated in place.

Each class here draws its artists in `__init__` and changes only their data in
`update(...)`, which is what keeps a slider fast: no new figure, axes or bars per move.
Figures are plain `matplotlib.figure.Figure` objects (not pyplot), so they never pop
up by themselves; `helpers.widgets.LiveFigure` shows them.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

DPI = 80  # small PNGs render and travel fast; text stays readable
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


def new_figure(ncols: int = 1, width: float = 7.5, height: float = 3.0):
    """A figure with `ncols` axes side by side, in the course's style."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)  # grid under the bars, in full draws and blitted frames alike
    return fig, list(axes)


class Bars:
    """A labelled bar chart whose heights (and value labels) change in place."""

    def __init__(self, ax, labels: Sequence[str], *, ylim=(0, 1), color=BLUE,
                 title: str = "", ylabel: str = "", fmt: str = "{:.2f}"):
        self.ax, self.fmt = ax, fmt
        x = np.arange(len(labels))
        self.bars = ax.bar(x, np.zeros(len(labels)), color=color)
        ax.set_xticks(x, labels)
        ax.set_ylim(*ylim)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        if ylim[0] < 0 < ylim[1]:
            ax.axhline(0, color="black", lw=0.8)
        self.texts = [ax.text(xi, 0, "", ha="center", va="bottom", fontsize=9) for xi in x]
        self.artists = [*self.bars, *self.texts]  # what update() changes (for blitting)

    def update(self, heights) -> None:
        lo, hi = self.ax.get_ylim()
        for bar, text, h in zip(self.bars, self.texts, np.asarray(heights, dtype=float)):
            shown = min(max(h, lo), hi)  # keep off-scale bars (e.g. -inf) on the chart
            bar.set_height(shown)
            text.set_text(self.fmt.format(h))
            text.set_y(shown)
            text.set_va("bottom" if shown >= 0 else "top")
