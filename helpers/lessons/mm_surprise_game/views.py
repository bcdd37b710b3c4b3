"""Lesson 04 (mm_surprise_game): the two games' figures and controls.

    BeliefView      game 1: belief bars with the bag's ticks; each draw's surprise; a zoomed
                    panel where the running mean, H(p, q), the floor H(p) and the gap KL show
    HiddenView      game 2: counts, belief and (after the reveal) the bag; the scores
    DrawState       what the draw buttons change: the seed, the number of draws, the guesses
    draw_buttons    a row of "draw k" buttons (and extra actions) wired to a DrawState
    weight_sliders  one belief slider per colour, its handle in the candy's colour

The widgets that put these together, `belief_widget` and `hidden_widget`, are in
`mm_surprise_game` (this package's `__init__.py`), with the pure functions they call.
"""
from __future__ import annotations

import math

import numpy as np

from ... import plots
from ...data import COLOURS
from . import MAX_DRAWS, UNITS, fmt

CANDY = {"red": "#c8102e", "orange": "#ff7f00", "yellow": "#ffd100",
         "green": "#2e9a47", "blue": "#1f5fbf", "brown": "#5c3a21"}
PURPLE = "#7b3294"


def _x_limit(n: int) -> int:
    for lim in (10, 20, 50, 100, 200, 500, 1000, 2000, MAX_DRAWS):
        if n <= lim:
            return lim
    return MAX_DRAWS


class BeliefView:
    """Game 1's figure: belief bars with the bag's ticks; each draw's surprise; the zoomed scores.

    The middle panel shows every candy's surprise on a fixed 0-6 nat scale. The right panel
    zooms in on the band just above the floor H(p) (ZOOM nats high), where the running mean,
    H(p, q) and the gap KL(p‖q) between them are tenths of a nat apart; a value above the
    band is drawn at its top edge and its number is written there.
    """

    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image, where supported)
    alt = ("Three panels. Left: bars of your belief q for each M&M colour (each bar in its colour and named "
           "below it) with black ticks at the true bag's mix p. Middle: a dot for each candy drawn at its "
           "surprise −log q, with the running mean as a black line. Right: the same running mean zoomed in on "
           "the band just above the floor, with a dashed line at H(p, q), a grey line at the floor H(p) and a "
           "thick faded bar between them labelled with the gap KL(p‖q).")
    Y_TOP = 6.0    # nats; the middle panel's fixed height (bits: the same height / ln 2)
    ZOOM = 1.0     # nats; the height of the right panel's band
    BELOW = 0.2    # nats of the band below the floor H(p)

    def __init__(self):
        self.fig, (left, mid, right) = plots.new_figure(3, width=10.5, height=3.5)
        self.left, self.mid, self.right, self.live = left, mid, right, None
        x = np.arange(len(COLOURS))
        colours = [CANDY[c] for c in COLOURS]
        self.q_bars = plots.Bars(left, COLOURS, color=colours, title="your belief q (bars), bag p (black ticks)",
                                 ylabel="probability")
        for bar in self.q_bars.bars:
            bar.set_edgecolor("black")
        left.tick_params(axis="x", labelsize=8)   # six colour names side by side
        (self.p_ticks,) = left.plot(x, np.zeros(len(x)), ls="none", marker="_", ms=22, mew=3, color="black")
        mid.set_title("each candy's surprise (dots)")
        mid.set_xlabel("draw number")
        # one marker line per colour: Agg stamps Line2D markers far faster than a scatter
        self.dots = [mid.plot([], [], ls="none", marker="o", ms=3.5, mfc=CANDY[c], mec="black",
                              mew=0.3, zorder=2)[0] for c in COLOURS]
        (self.mid_mean,) = mid.plot([], [], color="black", lw=2, zorder=3)
        self.hint = mid.text(0.5, 0.5, "press a draw button", transform=mid.transAxes, ha="center",
                             color=plots.GREY)
        self.inf_text = mid.text(0.02, 0.92, "∞ at the top edge: a colour you gave q = 0 came out",
                                 transform=mid.transAxes, fontsize=8, color=PURPLE)
        right.set_title("zoomed in: the mean surprise")
        right.set_xlabel("draw number")
        (self.mean_line,) = right.plot([], [], color="black", lw=2, zorder=3, label="your running mean")
        self.ce_line = right.axhline(0, color=PURPLE, ls="--", lw=1.8, zorder=4, label="H(p, q): where it settles")
        self.floor_line = right.axhline(0, color=plots.GREY, ls="-", lw=2.5, label="floor H(p)")
        (self.gap,) = right.plot([], [], color=PURPLE, lw=6, alpha=0.45, solid_capstyle="butt",
                                 label="gap KL(p‖q)")
        self.gap_text = right.text(0, 0, "", fontsize=9, color=PURPLE, va="center")
        self.off_text = right.text(0.98, 0.95, "", transform=right.transAxes, ha="right", va="top", fontsize=8,
                                   color=PURPLE)
        self.fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncol=4, frameon=False,
                        fontsize=9)
        self.units, self.xmax, self.low = None, None, None
        self._set_axes("nats", 10, 1.0)
        # the values are in the readout under the figure: fewer texts here keep each frame fast
        self.artists = [*self.q_bars.artists, self.p_ticks, *self.dots, self.mid_mean, self.mean_line,
                        self.ce_line, self.floor_line, self.gap, self.gap_text, self.off_text, self.hint,
                        self.inf_text]

    def _set_axes(self, units: str, xmax: int, low: float) -> None:
        """Axis limits and labels: fixed while the bag, the units and the draw range stay the same."""
        if (units, xmax, low) == (self.units, self.xmax, self.low):
            return
        self.units, self.xmax, self.low = units, xmax, low
        k = UNITS[units]
        self.mid.set_ylim(0, self.Y_TOP * k)
        self.right.set_ylim(low * k, (low + self.ZOOM) * k)
        for ax in (self.mid, self.right):
            ax.set_xlim(0, xmax * 1.02)
            ax.set_ylabel(f"surprise ({units})")
        if self.live is not None:
            self.live.invalidate()  # limits and labels are part of the cached background

    def update(self, r: dict) -> None:
        k = r["scale"]
        low = round(r["entropy"] - self.BELOW, 2)        # the band starts just under the floor
        self._set_axes(r["units"], _x_limit(r["n"]), low)
        self.q_bars.update(r["q"])
        self.p_ticks.set_ydata(r["p"])
        for text, q, p in zip(self.q_bars.texts, r["q"], r["p"]):
            text.set_y(min(max(q, p) + 0.015, 0.92))  # above the bar and the bag's tick; under the title
        n = r["n"]
        x = np.arange(1, n + 1)
        top = 0.985 * self.Y_TOP * k                     # an infinite or off-scale value sits at the top edge
        y = np.minimum(r["surprises"] * k, top)
        for colour, dots in enumerate(self.dots):
            mine = r["draws"] == colour
            dots.set_data(x[mine], y[mine])
        self.mid_mean.set_data(x, np.minimum(r["running_mean"] * k, top))
        zoom_top = (low + self.ZOOM) * k
        clip = low * k + 0.99 * self.ZOOM * k
        self.mean_line.set_data(x, np.minimum(r["running_mean"] * k, clip))
        ce, h = r["cross_entropy"] * k, r["entropy"] * k
        ce_y = min(ce, clip)
        self.ce_line.set_ydata([ce_y, ce_y])
        self.floor_line.set_ydata([h, h])
        gx = 0.6 * self.xmax
        self.gap.set_data([gx, gx], [h, ce_y])
        small = ce_y - h < 0.15 * self.ZOOM * k          # a thin gap: write its label above the dashed line
        self.gap_text.set_position((gx + 0.03 * self.xmax, ce_y + 0.06 * self.ZOOM * k if small else (h + ce_y) / 2))
        self.gap_text.set_text(f"KL = {fmt(r['kl'] * k, 3)}")
        self.off_text.set_text(f"H(p, q) = {fmt(ce, 3)}, above this band ↑")
        self.off_text.set_visible(ce > zoom_top)          # an invisible text costs nothing to draw
        self.hint.set_visible(n == 0)
        self.inf_text.set_visible(math.isinf(r["cross_entropy"]))


class DrawState:
    """What the buttons change: the seed, how many candies are drawn, the guess before each."""

    def __init__(self, seed: int = 0, n: int = 0):
        self.seed, self.n, self.guesses = seed, 0, []
        self.draw(n, "blue")

    def draw(self, k: int, guess: str) -> None:
        k = max(0, min(k, MAX_DRAWS - self.n))
        self.n += k
        self.guesses += [guess] * k

    def restart(self) -> None:
        self.n, self.guesses = 0, []

    def new_bag(self) -> None:
        self.seed += 1
        self.restart()


def draw_buttons(state: DrawState, sizes, on_change, guess_control=None, extra=()):
    """A row of "draw k" buttons, then one button per (label, action) in `extra`.

    Each click changes `state` (draws with the guess in `guess_control`, or runs the
    action), then calls `on_change()`, which redraws the widget.
    """
    import ipywidgets as widgets

    def drawer(k):
        def on_click(_):
            state.draw(k, guess_control.value if guess_control is not None else "blue")
            on_change()
        return on_click

    row = []
    for k in sizes:
        b = widgets.Button(description=f"draw {k}", layout=widgets.Layout(width="90px"))
        b.on_click(drawer(k))
        row.append(b)
    for label, action in extra:
        b = widgets.Button(description=label, layout=widgets.Layout(width="150px"))

        def on_click(_, action=action):
            action()
            on_change()
        b.on_click(on_click)
        row.append(b)
    return widgets.HBox(row)


def weight_sliders(value: float = 10):
    """One slider per colour (weights 0..40, normalised for display), handle in the candy colour."""
    from ...widgets import slider
    out = {}
    for c in COLOURS:
        s = slider(value, 0, 40, 1, c, integer=True)
        s.style.handle_color = CANDY[c]
        s.layout.width = "260px"
        out[c] = s
    return out


class HiddenView:
    """Game 2's figure: counts, your belief and (after the reveal) the bag; the scores.

    Scores, lower is better: on the candies seen (yours and the frequencies', the lowest
    possible there), and after the reveal on future candies, H(p, q): yours, the raw
    frequencies', the add-one smoothed frequencies' and the floor H(p).
    """

    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image, where supported)
    alt = ("Two panels. Left: for each colour, a wide grey bar of the observed frequency in the drawn candies, "
           "a narrow bar of your belief q in the candy's colour, and a black tick at the hidden bag's mix p once "
           "revealed. Right: horizontal bars of the scores, lower is better: your mean surprise and the "
           "frequencies' on the candies seen, and after the reveal the future surprise H(p, q) of your belief, "
           "of the raw and of the add-one smoothed frequencies, and the floor H(p); each bar's number is "
           "written after it. The score axis zooms in on a 1-nat band that starts just under the lowest score "
           "shown, so gaps of a few hundredths of a nat are visible; a longer or infinite bar stops at the "
           "band's top.")
    ZOOM = 1.0     # nats; the width of the score band; a longer (or infinite) bar stops at its top
    BELOW = 0.2    # nats of the band below the lowest score shown
    NAMES = ("seen: you", "seen: frequencies (MLE)", "future: you", "future: frequencies",
             "future: add-one smoothed", "future: floor H(p)")
    KEYS = ("seen", "best_seen", "cross_entropy", "freqs_score", "smoothed_score", "entropy")

    def __init__(self):
        self.fig, (left, right) = plots.new_figure(2, width=10.0, height=3.3)
        x = np.arange(len(COLOURS))
        self.freq_bars = left.bar(x, np.zeros(len(x)), width=0.8, color="#dddddd", edgecolor=plots.GREY,
                                  label="observed frequency")
        self.q_bars = left.bar(x, np.zeros(len(x)), width=0.35, color=[CANDY[c] for c in COLOURS],
                               edgecolor="black", label="your belief q (coloured bars)")
        (self.p_ticks,) = left.plot(x, np.zeros(len(x)), ls="none", marker="_", ms=26, mew=3,
                                    color="black", label="hidden bag p (after reveal)")
        left.set_xticks(x, COLOURS)
        left.set_ylim(0, 0.7)
        left.set_ylabel("probability")
        left.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        y = np.arange(len(self.NAMES))[::-1]
        colours = [PURPLE, "#bbbbbb", PURPLE, "#bbbbbb", "#888888", plots.GREY]
        hatches = ["", "", "//", "//", "//", "//"]   # the future scores are hatched: not colour alone
        self.score_bars = right.barh(y, np.zeros(len(y)), color=colours, hatch=hatches, edgecolor="white")
        self.score_texts = [right.text(0.05, yi, "", va="center", ha="left", fontsize=9) for yi in y]
        right.set_yticks(y, self.NAMES)
        right.axhline(3.5, color=plots.GREY, lw=0.8, ls=":")
        self.right, self.live = right, None  # live: set by the widget; limits are in its cached background
        self.low = 0.0
        right.set_xlabel("mean surprise (nats; zoomed: not from 0)")
        right.set_title("scores (lower is better)")
        self.artists = [*self.freq_bars, *self.q_bars, self.p_ticks, *self.score_bars, *self.score_texts]

    def update(self, r: dict) -> None:
        freqs = r.get("freqs", np.zeros(len(COLOURS)))
        for bar, f in zip(self.freq_bars, freqs):
            bar.set_height(f)
        for bar, qv in zip(self.q_bars, r["q"]):
            bar.set_height(qv)
        self.p_ticks.set_visible(r["reveal"])
        if r["reveal"]:
            self.p_ticks.set_ydata(r["p"])
        values = [r.get(key, math.nan) for key in self.KEYS]
        finite = [v for v in values if math.isfinite(v)]
        # the band: ZOOM nats from just under the lowest score shown, so small gaps are visible
        low = max(0.0, math.floor((min(finite) - self.BELOW) * 10) / 10) if finite else 0.0
        top = low + self.ZOOM
        self.low = low
        self.right.set_xlim(low, top + 0.35 * self.ZOOM)      # room for the number after a full bar
        if self.live is not None:
            # with the zoomed band, blitting over a cached background left a strip of pixels that
            # differ from a full redraw (tests/test_lesson_widgets.py): redraw the whole figure
            self.live.invalidate()
        for bar, text, v in zip(self.score_bars, self.score_texts, values):
            hidden = math.isnan(v)
            shown = self.low if hidden else min(v, top)
            bar.set_width(shown)
            text.set_text("?" if hidden else fmt(v, 3))
            text.set_x(shown + 0.02 * self.ZOOM)
