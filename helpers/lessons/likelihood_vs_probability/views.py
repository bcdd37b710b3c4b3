"""Lesson 02's two-panel widget: its figure (built once, updated in place) and its readout."""
from __future__ import annotations

import numpy as np

from ... import plots
from . import N_MAX, THETA_GRID, WIDGET_START, two_views


Y_TOPS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.1)  # axis tops to choose from: limits change rarely, so frames stay cheap


def _y_top(highest: float) -> float:
    return next((top for top in Y_TOPS if highest <= 0.9 * top), Y_TOPS[-1])


def view_limits(r: dict) -> tuple:
    """(largest k on the x-axis, top of the bar panel, top of the likelihood panel) for a result."""
    return r["n"], _y_top(float(r["probs"].max())), _y_top(float(r["curve"].max()))


class TwoViewsView:
    """Left: bars p(k | θ) for k = 0..n. Right: L(θ | k) with its area shaded. Axes follow n and the heights."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: bars of the probability of each number of heads k out of n flips for "
           "the slider's θ, a distribution that sums to 1; the bar of the observed k is hatched. Right: "
           "the likelihood of θ for the slider's k heads, a shaded curve over θ whose area is printed in "
           "the title, with a dot at the slider's θ (the hatched bar's height), a dashed line at θ and a "
           "dotted line at the best θ = k/n.")

    def __init__(self, start: dict | None = None):
        from matplotlib.patches import Patch

        self.fig, (left, right) = plots.new_figure(2, width=9.5, height=3.4)
        self.left, self.right, self.live = left, right, None
        ks = np.arange(N_MAX + 1)
        self.bars = left.bar(ks, np.zeros(N_MAX + 1), color=plots.BLUE)
        left.set_xlabel("k, the number of heads")
        left.set_ylabel("p(k | θ, n)")
        self.left_title = left.set_title(" \n ", fontsize=10)
        self.curve, = right.plot(THETA_GRID, np.zeros_like(THETA_GRID), color=plots.ORANGE, lw=2)
        self.fill = right.fill_between(THETA_GRID, 0, np.zeros_like(THETA_GRID), color=plots.ORANGE, alpha=0.25)
        self.at, = right.plot([], [], "o", color=plots.RED, ms=7, label="p(k | θ): the same number\nas the red bar's height")
        self.theta_line = right.axvline(0.5, color=plots.GREY, ls="--", lw=1.2, label="the θ you picked")
        self.mle_line = right.axvline(0.7, color=plots.GREEN, ls=":", lw=2, label="the best θ = k / n")
        observed = Patch(facecolor=plots.RED, edgecolor="white", hatch="//", label="the observed k (left)")
        right.legend(handles=[observed, self.at, self.theta_line, self.mle_line], loc="upper left",
                     bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        right.set_xlim(0, 1)
        right.set_xlabel("θ, the probability of heads")
        right.set_ylabel("L(θ | k, n)")
        self.right_title = right.set_title(" \n ", fontsize=10)
        self.limits = None
        self._set_limits(view_limits(two_views(**(start or WIDGET_START))))
        self.artists = [*self.bars, self.left_title, self.curve, self.fill, self.at,
                        self.theta_line, self.mle_line, self.right_title]

    def _set_limits(self, limits: tuple) -> None:
        if limits == self.limits:
            return
        self.limits = limits
        n, bar_top, curve_top = limits
        self.left.set_xlim(-0.7, n + 0.7)
        self.left.set_ylim(0, bar_top)
        self.right.set_ylim(0, curve_top)
        if self.live is not None:
            self.live.invalidate()  # limits are part of the cached background

    def update(self, r: dict) -> None:
        self._set_limits(view_limits(r))
        for kk, bar in enumerate(self.bars):
            used = kk <= r["n"]
            bar.set_visible(used)
            bar.set_height(r["probs"][kk] if used else 0.0)
            observed = kk == r["k"]
            bar.set_facecolor(plots.RED if observed else plots.BLUE)
            bar.set_edgecolor("white" if observed else plots.BLUE)  # the hatch is drawn in the edge colour
            bar.set_hatch("//" if observed else "")
        self.left_title.set_text(f"θ = {r['theta']:.2f} fixed, k varies: a distribution\n"
                                 f"the bars sum to {r['sum']:.4f}")
        self.curve.set_ydata(r["curve"])
        self.fill.set_verts([np.column_stack([np.r_[THETA_GRID, THETA_GRID[::-1]],
                                              np.r_[r["curve"], np.zeros_like(THETA_GRID)]])])
        self.at.set_data([r["theta"]], [r["at_theta"]])  # the same number as the red bar
        self.theta_line.set_xdata([r["theta"], r["theta"]])
        self.mle_line.set_xdata([r["mle"], r["mle"]])
        self.right_title.set_text(f"k = {r['k']} of n = {r['n']} fixed, θ varies: a likelihood\n"
                                  f"the area under it is {r['area']:.4f}")


def describe_two_views(r: dict) -> str:
    """The readout under the two panels."""
    return (f"θ = {r['theta']:.2f}, n = {r['n']}, k = {r['k']} · the bars sum to {r['sum']:.4f} · "
            f"p(k={r['k']} | θ) = {r['at_theta']:.4f} (red bar = red dot)<br>"
            f"area under the likelihood = {r['area']:.4f} · the best θ is k/n = {r['mle']:.4f}")
