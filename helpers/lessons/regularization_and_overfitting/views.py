"""Lesson 08 (regularization_and_overfitting): what the two widgets show: figures and readouts.

    RidgeView       the data, the true curve and the fit; train / validation MSE against λ
    SmoothingView   q(next | previous), MLE against add-α; train / validation NLL against α
    describe_ridge, describe_smoothing   the one-line readouts under the figures

The widgets (`ridge_widget`, `smoothing_widget`), their compute functions and the static
figures the notebook draws are in `regularization_and_overfitting` (this package's `__init__.py`).
"""
from __future__ import annotations

import math

import numpy as np

from ... import plots
from . import (CURVE_NOISE, LOG10_ALPHAS, LOG10_LAMBDAS, X_GRID, default_data,
                                             smoothing_sweep, true_curve)


class RidgeView:
    """Left: data, true curve and the fit. Right: train / validation MSE against λ, with markers."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: training points, validation points (small, faded), the true curve "
           "sin(πx) (dashed) and the polynomial fit with the slider's penalty λ. Right: training MSE "
           "(solid) and validation MSE (dashed) against λ on log scales, with dots at the slider's λ "
           "and a dotted line at the noise floor σ².")

    LOSS_YLIM = (3e-3, 30.0)

    def __init__(self, data: dict | None = None):
        data = default_data() if data is None else data
        self.fig, (left, right) = plots.new_figure(2, width=9.0, height=3.4)
        left.scatter(data["x_val"], data["y_val"], s=6, color=plots.GREY, alpha=0.5, label="validation points")
        left.scatter(data["x_train"], data["y_train"], s=28, color=plots.BLUE, zorder=3, label="training points")
        left.plot(X_GRID, true_curve(X_GRID), color=plots.GREEN, lw=1.5, ls="--", label="true curve sin(πx)")
        (self.fit_line,) = left.plot([], [], color=plots.ORANGE, lw=2.0, label="fit")
        left.set(xlim=(-1.05, 1.05), ylim=(-2.0, 2.0), xlabel="x", ylabel="y", title="the fit")
        left.legend(loc="lower right", fontsize=8)
        right.set(xscale="log", yscale="log", xlim=(10.0 ** LOG10_LAMBDAS[0], 10.0 ** LOG10_LAMBDAS[-1]),
                  ylim=self.LOSS_YLIM, xlabel="λ (log scale)", ylabel="MSE (log scale)",
                  title="loss against penalty strength")
        (self.train_curve,) = right.plot([], [], color=plots.BLUE, label="train")
        (self.val_curve,) = right.plot([], [], color=plots.RED, ls="--", label="validation")
        (self.train_dot,) = right.plot([], [], "o", color=plots.BLUE)
        (self.val_dot,) = right.plot([], [], "o", color=plots.RED)
        right.axhline(CURVE_NOISE ** 2, color=plots.GREY, lw=0.8, ls=":", label="noise floor σ²")
        right.legend(loc="upper left", fontsize=8)
        self.artists = [self.fit_line, self.train_curve, self.val_curve, self.train_dot, self.val_dot]

    def update(self, result: dict) -> None:
        lo, hi = self.LOSS_YLIM
        sweep = result["sweep"]
        self.fit_line.set_data(result["grid"], result["fit"])
        self.train_curve.set_data(sweep["lams"], np.clip(sweep["train"], lo, hi))
        self.val_curve.set_data(sweep["lams"], np.clip(sweep["val"], lo, hi))
        self.train_dot.set_data([result["lam"]], [min(max(result["train_mse"], lo), hi)])
        self.val_dot.set_data([result["lam"]], [min(max(result["val_mse"], lo), hi)])


class SmoothingView:
    """Left: q(next | prev), MLE against add-α. Right: train / validation NLL against α, with markers."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: side by side for each next character, the maximum-likelihood "
           "probability (grey bars) and the add-α smoothed one (hatched bars), with a dotted line at "
           "the uniform probability. Right: the mean NLL on the training names (solid) and the "
           "validation names (dashed) against α on a log scale, with dots at the slider's α and a "
           "dotted line at ln 27.")

    def __init__(self, train_counts, val_counts, itos):
        self.fig, (left, right) = plots.new_figure(2, width=9.0, height=3.2)
        x = np.arange(len(itos))
        self.mle_bars = left.bar(x - 0.2, np.zeros(len(itos)), width=0.4, color=plots.GREY, label="MLE (α = 0)")
        self.bars = left.bar(x + 0.2, np.zeros(len(itos)), width=0.4, color=plots.ORANGE, label="add-α",
                             hatch="//", edgecolor="black", lw=0.5)  # told apart from MLE by more than colour
        left.axhline(1 / len(itos), color=plots.GREY, ls=":", lw=0.8, label=f"uniform 1/{len(itos)}")
        left.set_xticks(x, itos)
        left.set(ylim=(0, 1), xlabel="next character", ylabel="probability", title="q(next | previous)")
        left.legend(fontsize=8, loc="upper left")
        sweep = smoothing_sweep(train_counts, val_counts, 10.0 ** LOG10_ALPHAS)
        right.plot(sweep["alphas"], sweep["train"], color=plots.BLUE, label="train")
        right.plot(sweep["alphas"], sweep["val"], color=plots.RED, ls="--", label="validation")
        right.axhline(math.log(len(itos)), color=plots.GREY, ls=":", lw=0.8, label=f"uniform: ln {len(itos)}")
        right.set(xscale="log", xlim=(sweep["alphas"][0], sweep["alphas"][-1]),
                  ylim=(min(sweep["train"].min(), sweep["val"].min()) - 0.05, math.log(len(itos)) + 0.1),
                  xlabel="α (log scale)", ylabel="mean NLL (nats)", title="loss against pseudo-count α")
        right.legend(fontsize=8, loc="upper left")
        (self.train_dot,) = right.plot([], [], "o", color=plots.BLUE)
        (self.val_dot,) = right.plot([], [], "o", color=plots.RED)
        self.artists = [*self.mle_bars, *self.bars, self.train_dot, self.val_dot]

    def update(self, result: dict) -> None:
        for bar, h in zip(self.mle_bars, np.nan_to_num(result["mle_row"])):
            bar.set_height(h)
        for bar, h in zip(self.bars, result["row"]):
            bar.set_height(h)
        self.train_dot.set_data([result["alpha"]], [result["train_nll"]])
        self.val_dot.set_data([result["alpha"]], [result["val_nll"]])


def describe_ridge(result: dict) -> str:
    """One line under the figure."""
    return (f"degree {result['degree']} · λ = {result['lam']:.2e} · train MSE {result['train_mse']:.4f} · "
            f"validation MSE {result['val_mse']:.4f} · ‖w‖ = {result['norm']:.4f}")


def describe_smoothing(result: dict) -> str:
    """One line under the figure."""
    return (f"α = {result['alpha']:.3g} · row '{result['prev']}' has {result['row_total']:.0f} counts, "
            f"pulled {100 * result['shrinkage']:.1f}% of the way to uniform · train NLL {result['train_nll']:.4f} · "
            f"validation NLL {result['val_nll']:.4f}")
