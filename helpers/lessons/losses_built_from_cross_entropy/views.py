"""Lesson 11's two widgets: their figures (built once, updated in place) and their readouts."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import LogNorm

from ... import losses, plots
from . import MARGIN_GRID, STEPS, CLIP_TAU_GRID


class ContrastiveView:
    """Left: the softmax of each row of similarities / τ (the diagonal is the partner). Right: loss against τ."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: a square heat map of the batch's similarity table after the softmax of each "
           "row at the slider's temperature τ, on a log colour scale from 0.001 to 1; query i's partner is "
           "on the diagonal. Right: the CLIP loss of this batch against τ on a log axis, a solid curve with a "
           "dot at the slider's τ (an upward triangle on the top edge when the loss is above the axis), and a "
           "dashed line at ln B, the loss of a model at chance.")

    def __init__(self, max_batch: int = 64):
        self.max_batch = max_batch
        self.fig, (left, right) = plots.new_figure(2, width=9.0, height=3.6)
        self.image = left.imshow(np.full((max_batch, max_batch), np.nan), norm=LogNorm(1e-3, 1), cmap="viridis",
                                 interpolation="nearest")
        bar = self.fig.colorbar(self.image, ax=left, fraction=0.046)
        bar.set_ticks([1e-3, 1e-2, 1e-1, 1], labels=["0.001", "0.01", "0.1", "1"])  # plain text: no mathtext to lay out
        bar.minorticks_off()
        left.set(xlabel="candidate j (crop B of name j)", ylabel="query i (crop A of name i)",
                 title="q = softmax(row of sims / τ), log colours")
        left.grid(False)
        (self.curve,) = right.semilogx(CLIP_TAU_GRID, np.zeros_like(CLIP_TAU_GRID), color=plots.BLUE, label="CLIP loss")
        self.chance = right.axhline(math.log(max_batch), color=plots.GREY, ls="--", lw=1, label="ln B (chance)")
        (self.marker,) = right.plot([0.1], [0.0], "o", color=plots.ORANGE, ms=8)
        right.set(xlabel="temperature τ (log scale)", ylabel="loss (nats)", ylim=(0, 1.5 * math.log(max_batch)),
                  xlim=(CLIP_TAU_GRID[0], CLIP_TAU_GRID[-1]), title="loss of this batch against τ")
        right.set_xticks([0.01, 0.1, 1, 10], labels=["0.01", "0.1", "1", "10"])
        right.legend(loc="lower right", fontsize=8)
        self.loss_top = right.get_ylim()[1]
        self.artists = [self.image, self.curve, self.chance, self.marker]

    def update(self, result: dict) -> None:
        shown = np.full((self.max_batch, self.max_batch), np.nan)
        b = result["batch_size"]
        shown[:b, :b] = result["probs"]
        self.image.set_data(shown)
        self.curve.set_ydata(result["curve"])
        self.chance.set_ydata([result["chance"]] * 2)
        above = result["loss"] > self.loss_top  # a small τ: the loss leaves the axis, the marker stays on its edge
        self.marker.set_data([result["tau"]], [min(result["loss"], 0.97 * self.loss_top)])
        self.marker.set_marker("^" if above else "o")


def describe_contrastive(result: dict) -> str:
    return (f"τ = {result['tau']:.4f} · B = {result['batch_size']} · CLIP loss {result['loss']:.4f} nats "
            f"(chance ln B = {result['chance']:.4f}) · the partner ranks first in "
            f"{result['right']} of {result['batch_size']} rows")


class DpoView:
    """Left: mean log-ratios of preferred and rejected names during training. Right: the DPO loss against the margin."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: over the training steps, the mean log-ratio log π/π_ref of the preferred names "
           "(solid line) and of the rejected names (dashed line), both starting at 0. Right: the DPO loss "
           "−log σ(β·m) of one pair against the log-ratio margin m, a falling curve through ln 2 at m = 0, "
           "with a dot at the margin training reached.")

    def __init__(self, steps: int = STEPS, ylim=(-12, 4)):
        self.fig, (left, right) = plots.new_figure(2, width=9.0, height=3.4)
        x = np.arange(steps + 1)
        (self.win,) = left.plot(x, np.zeros_like(x, dtype=float), color=plots.GREEN, label="preferred: log π/π_ref")
        (self.lose,) = left.plot(x, np.zeros_like(x, dtype=float), color=plots.RED, ls="--", label="rejected: log π/π_ref")
        left.axhline(0, color="black", lw=0.8)
        left.set(xlabel="training step", ylabel="mean log-ratio (nats)", ylim=ylim, title="what training moves")
        left.legend(loc="lower left", fontsize=8)
        (self.loss_curve,) = right.plot(MARGIN_GRID, np.zeros_like(MARGIN_GRID), color=plots.BLUE)
        right.plot([0], [math.log(2)], "o", color=plots.GREY)
        right.annotate("ln 2", (0, math.log(2)), xytext=(6, 6), textcoords="offset points", color=plots.GREY)
        (self.marker,) = right.plot([0], [math.log(2)], "o", color=plots.ORANGE, ms=8)
        right.set(xlabel="log-ratio margin m = ratio(preferred) − ratio(rejected)", ylabel="−log σ(β·m)",
                  ylim=(0, 2.5), xlim=(MARGIN_GRID[0], MARGIN_GRID[-1]), title="DPO loss of one pair")
        self.artists = [self.win, self.lose, self.loss_curve, self.marker]

    def update(self, result: dict) -> None:
        h, b = result["history"], result["beta"]
        self.win.set_ydata(h["winner"])
        self.lose.set_ydata(h["loser"])
        self.loss_curve.set_ydata(-losses.log_sigmoid(b * MARGIN_GRID))
        margin = h["winner"][-1] - h["loser"][-1]
        self.marker.set_data([margin], [-losses.log_sigmoid(b * margin)])


def describe_dpo(result: dict) -> str:
    return (f"β = {result['beta']:.2f} (lr {result['lr']:.2f}) · loss {result['history']['loss'][-1]:.4f} · "
            f"names ending in 'a' {result['ends_in']:.4f} (reference {result['reference']['ends_in']:.4f}) · "
            f"KL(π‖π_ref) {result['kl']:.4f} nats per name · mean length {result['mean_length']:.4f} "
            f"(reference {result['reference']['mean_length']:.4f}) · held-out pairs ranked right "
            f"{result['held_out_right']} of {result['held_out_pairs']}")
