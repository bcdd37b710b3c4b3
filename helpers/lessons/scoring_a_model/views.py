"""Figures and readouts of lesson 10: the three widgets' views and the two static figures.

The `*_widget` factories in `__init__.py` import these; each view builds its figure once and
moves only the artists listed in `.artists` (see helpers.widgets).
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from ... import plots
from . import N_BINS, Q_GRID, SCORE_NAMES
from .kl import KL_MU, KL_X, mixture_log_density, normal_log_density


def _figure(ncols: int, width: float, height: float, **margins):
    """Like plots.new_figure, with fixed margins instead of a layout engine: the first draw costs half as much."""
    fig = Figure(figsize=(width, height), dpi=plots.DPI)
    fig.subplots_adjust(**{"left": 0.07, "right": 0.98, "bottom": 0.16, "top": 0.9, "wspace": 0.28, **margins})
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    return fig, list(axes)


SCORE_COLORS = {"log": plots.BLUE, "brier": plots.GREEN, "abs": plots.RED}
SCORE_STYLES = {"log": "-", "brier": "--", "abs": "-."}   # told apart by line style as well as colour
SCORE_YMAX = 2.2   # room for the legend above the curves


class ProperScoresView:
    """The three expected-score curves against the report q, a dot at the current q, a star at each lowest."""

    alt = ("Expected score (lower is better) against the reported probability q from 0 to 1, for the true "
           "probability p set by the first slider: the expected log loss (solid line), the expected Brier "
           "score (dashed) and the expected absolute error (dash-dotted), named in the legend. A star marks "
           "each curve's lowest point, a dotted vertical line the true p, a black vertical line the report q "
           "with a dot on each curve. The log-loss and Brier stars sit on the dotted line q = p; the "
           "absolute error is a straight line whose star sits at an edge, q near 0 or 1.")

    def __init__(self):
        self.fig, (ax,) = _figure(1, width=7.5, height=3.2, left=0.09)
        self.curves, self.dots, self.stars = {}, {}, {}
        for key, name in SCORE_NAMES.items():
            color = SCORE_COLORS[key]
            (self.curves[key],) = ax.plot(Q_GRID, np.zeros_like(Q_GRID), color=color, ls=SCORE_STYLES[key],
                                          label=f"expected {name}")
            (self.dots[key],) = ax.plot([], [], "o", color=color)
            (self.stars[key],) = ax.plot([], [], "*", ms=13, color=color, mec="black", mew=0.5)
        self.q_line = ax.axvline(0.5, color="black", lw=1)
        self.p_line = ax.axvline(0.5, color=plots.GREY, ls=":", lw=1.5)
        self.title = ax.set_title(" ", y=1.0)   # a set y skips matplotlib's title placement: half the first draw
        ax.set(xlim=(0, 1), ylim=(0, SCORE_YMAX), xlabel="reported q (black line; dotted: the true p)",
               ylabel="expected score (lower is better)")
        ax.legend(loc="upper center", fontsize=8, ncol=3)
        self.artists = [*self.curves.values(), *self.dots.values(), *self.stars.values(),
                        self.q_line, self.p_line, self.title]

    def update(self, r: dict) -> None:
        for key in SCORE_NAMES:
            self.curves[key].set_ydata(np.minimum(r["curves"][key], 1.1 * SCORE_YMAX))   # leaves through the top
            self.dots[key].set_data([r["q"]], [min(r["at_q"][key], SCORE_YMAX)])
            best = r["best_q"][key]
            self.stars[key].set_data(([], []) if math.isnan(best) else ([best], [r["lowest"][key]]))
        self.q_line.set_xdata([r["q"], r["q"]])
        self.p_line.set_xdata([r["p"], r["p"]])
        self.title.set_text(f"true p = {r['p']:.2f}: stars mark each score's lowest point")


def describe_proper(r: dict) -> str:
    parts = []
    for key, name in SCORE_NAMES.items():
        best = r["best_q"][key]
        where = "the same for every q" if math.isnan(best) else f"lowest at q = {best:.3f}"
        parts.append(f"{name} <b>{r['at_q'][key]:.4f}</b> ({where})")
    return f"p = {r['p']:.2f}, report q = {r['q']:.2f} · " + " · ".join(parts)


class ReliabilityBars:
    """Accuracy per bin (blue bars), each bin's mean confidence (black dash), over-confidence (red)."""

    def __init__(self, ax, n_bins: int = N_BINS, legend: bool = True):
        edges = np.linspace(0, 1, n_bins + 1)
        width = 1 / n_bins
        self.left, self.right = edges[:-1] + 0.12 * width, edges[1:] - 0.12 * width
        centers = (edges[:-1] + edges[1:]) / 2
        self.acc = ax.bar(centers, np.zeros(n_bins), width=width, color=plots.BLUE, edgecolor="white",
                          label="accuracy in the bin")
        self.gap = ax.bar(centers, np.zeros(n_bins), width=width, color=plots.RED, alpha=0.35, hatch="///",
                          edgecolor=plots.RED, lw=0, label="over-confidence")   # hatched: not by colour alone
        self.conf = ax.hlines(np.full(n_bins, -1.0), self.left, self.right, color="black", lw=2,
                              label="mean confidence in the bin")
        ax.plot([0, 1], [0, 1], color="black", ls="--", lw=1, label="calibrated")
        ax.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy")
        if legend:
            ax.legend(loc="upper left", fontsize=8)
        self.artists = [*self.acc, *self.gap, self.conf]

    def update(self, bins: dict) -> None:
        segments = []
        for bar, gap, a, c, lo, hi in zip(self.acc, self.gap, bins["accuracy"], bins["confidence"],
                                          self.left, self.right):
            empty = math.isnan(a)
            bar.set_height(0.0 if empty else a)
            gap.set_y(0.0 if empty else a)
            gap.set_height(0.0 if empty else max(c - a, 0.0))
            segments.append([(lo, -1.0), (hi, -1.0)] if empty else [(lo, c), (hi, c)])   # -1: off the axes
        self.conf.set_segments(segments)


def draw_reliability(ax, bins: dict, title: str = "", count_ax=None) -> None:
    """A reliability diagram (see ReliabilityBars) and, on count_ax, the share of examples in each bin."""
    ReliabilityBars(ax, len(bins["count"])).update(bins)
    ax.set(xlabel="" if count_ax is not None else "confidence (top probability)")
    ax.set_title(f"{title} · ECE {bins['ece']:.4f}", y=1.0)
    if count_ax is not None:
        edges = bins["edges"]
        count_ax.bar((edges[:-1] + edges[1:]) / 2, bins["count"] / bins["count"].sum(), width=np.diff(edges),
                     color=plots.GREY, edgecolor="white")
        count_ax.set(xlim=(0, 1), xlabel="confidence (top probability)", ylabel="share of examples")


class ScalingView:
    """Left: the reliability diagram at T. Middle and right: NLL and ECE against T, a dot at the current T."""

    alt = ("Three panels for the temperature T of the slider. Left: the reliability diagram of the test "
           "names at that T: for each of 15 equal-width confidence bins, a solid bar of the accuracy in the "
           "bin, a black dash at the bin's mean confidence, a hatched bar for the over-confidence (where the "
           "dash is above the bar) and a dashed diagonal where a calibrated model's bars would end. Middle "
           "and right: the test NLL and the test ECE against T, a dot at the slider's T and a dashed "
           "vertical line at the T fitted on the validation names, near the lowest point of both curves.")

    def __init__(self, curve: dict, fitted_temperature: float | None, n_bins: int = N_BINS):
        self.fig, (rel, nll_ax, ece_ax) = _figure(3, width=10.5, height=3.2, left=0.06)
        self.bars = ReliabilityBars(rel, n_bins, legend=False)
        rel.set(xlabel="confidence (black: mean confidence)")
        rel.set_title("reliability diagram (red: over-confident)", y=1.0)
        self.dots = []
        for ax, key, name in [(nll_ax, "nll", "test NLL (nats)"), (ece_ax, "ece", "test ECE")]:
            ax.plot(curve["temperature"], curve[key], color=plots.GREY)
            if fitted_temperature is not None:
                ax.axvline(fitted_temperature, color=plots.GREEN, ls="--", lw=1, label=f"fitted T = {fitted_temperature:.2f}")
                ax.legend(fontsize=8, loc="upper right")
            (dot,) = ax.plot([], [], "o", color="black")
            self.dots.append(dot)
            ax.set(xlabel="temperature T")
            ax.set_title(name, y=1.0)
        self.artists = [*self.bars.artists, *self.dots]

    def update(self, r: dict) -> None:
        self.bars.update(r["bins"])
        self.dots[0].set_data([r["temperature"]], [r["nll"]])
        self.dots[1].set_data([r["temperature"]], [r["ece"]])


def describe_scaling(r: dict) -> str:
    return (f"T = {r['temperature']:.2f} · test NLL <b>{r['nll']:.4f}</b> · ECE <b>{r['ece']:.4f}</b> · "
            f"Brier {r['brier']:.4f} · accuracy {r['accuracy']:.4f} (the same at every T)")


KL_YLIM = (0.3, 300.0)   # log scale: the forward KL of a narrow q is in the tens


class KLView:
    """Left: p, the current q and the fitted q's. Right: KL(p‖q) and KL(q‖p) against μ at the current σ."""

    alt = ("Two panels. Left: the density p with two bumps, at −2 and +2 (grey, filled), the Gaussians "
           "fitted by forward KL (one wide bump over both, dashed) and by reverse KL (one narrow bump on "
           "each side, dotted), and the sliders' Gaussian q (thick solid line). Right, on a log scale: "
           "KL(p‖q) (forward, solid) and KL(q‖p) (reverse, dashed) against the mean μ of q at the slider's "
           "σ, with a dot at the slider's μ on each. For a small σ the reverse curve has two valleys, one "
           "per bump, and the forward curve one; for σ about 2 the reverse curve's valleys merge.")

    def __init__(self, fits: dict | None = None):
        self.fig, (dens, kl_ax) = _figure(2, width=10.0, height=3.2)
        p = np.exp(mixture_log_density(KL_X))
        dens.fill_between(KL_X, p, color=plots.GREY, alpha=0.4, label="p (two bumps)")
        for label, (mu, sigma) in (fits or {}).items():
            forward = label.startswith("forward")                # forward fits dashed, reverse fits dotted
            dens.plot(KL_X, np.exp(normal_log_density(KL_X, mu, sigma)), color=plots.BLUE if forward else plots.RED,
                      ls="--" if forward else ":", lw=1.2, label=label)
        (self.q_line,) = dens.plot(KL_X, np.zeros_like(KL_X), color=plots.ORANGE, lw=2, label="q (sliders)")
        dens.set(xlim=(-6, 6), ylim=(0, 1.15), xlabel="x", ylabel="density")   # headroom: the legend sits above the curves
        dens.legend(fontsize=7, loc="upper center", ncol=2)
        (self.fwd,) = kl_ax.plot(KL_MU, np.ones_like(KL_MU), color=plots.BLUE, label="KL(p‖q): forward")
        (self.rev,) = kl_ax.plot(KL_MU, np.ones_like(KL_MU), color=plots.RED, ls="--", label="KL(q‖p): reverse")
        (self.fwd_dot,) = kl_ax.plot([], [], "o", color=plots.BLUE)   # reverse: a square
        (self.rev_dot,) = kl_ax.plot([], [], "s", color=plots.RED)
        self.title = kl_ax.set_title(" ", y=1.0)
        kl_ax.set(xlim=(KL_MU[0], KL_MU[-1]), yscale="log", ylim=KL_YLIM, xlabel="μ of q",
                  ylabel="nats (log scale)")
        kl_ax.yaxis.set_minor_locator(NullLocator())   # no minor ticks: a faster first draw
        kl_ax.legend(fontsize=8, loc="upper center", ncol=2)
        self.artists = [self.q_line, self.fwd, self.rev, self.fwd_dot, self.rev_dot, self.title]

    def update(self, r: dict) -> None:
        self.q_line.set_ydata(r["q"])
        self.fwd.set_ydata(np.clip(r["forward_curve"], *KL_YLIM))
        self.rev.set_ydata(np.clip(r["reverse_curve"], *KL_YLIM))
        self.fwd_dot.set_data([r["mu"]], [np.clip(r["forward"], *KL_YLIM)])
        self.rev_dot.set_data([r["mu"]], [np.clip(r["reverse"], *KL_YLIM)])
        self.title.set_text(f"both KLs against μ, at σ = {r['sigma']:.2f}")


def describe_kl(r: dict) -> str:
    return (f"q = N({r['mu']:.2f}, {r['sigma']:.2f}²) · KL(p‖q) <b>{r['forward']:.4f}</b> · "
            f"KL(q‖p) <b>{r['reverse']:.4f}</b> nats")


def draw_accuracy_step(axes, grid, acc_curve, ce_curve, current: float) -> None:
    """Accuracy (a step) and cross-entropy (smooth) of one example against the true class's logit."""
    for ax, curve, name, color in [(axes[0], acc_curve, "accuracy (scores the guess)", plots.RED),
                                   (axes[1], ce_curve, "cross-entropy (scores the belief)", plots.BLUE)]:
        ax.plot(grid, curve, color=color, lw=2)                  # one line per panel, named in its title
        ax.axvline(current, color=plots.GREY, ls=":", lw=1, label="the trained logit")
        ax.set(xlabel="logit of the true class")
        ax.set_title(name, y=1.0)
        ax.legend(fontsize=8)
    axes[0].set(ylim=(-0.05, 1.05), ylabel="1 if the top class is right")
    axes[1].set(ylim=(0, None), ylabel="nats")

