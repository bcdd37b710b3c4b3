"""Lesson 04 (mm_surprise_game): the two games' figures and controls.

    BeliefView      game 1: belief bars with the bag's ticks; surprise per draw and its running mean
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
    """Game 1's figure: belief bars with the true bag's ticks; the running mean of surprise."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: bars of your belief q for each M&M colour (each bar in its colour and "
           "named below it) with black ticks at the true bag's mix p. Right: a dot for each candy "
           "drawn at its surprise −log q, the running mean as a black line, a dashed line at H(p, "
           "q), a grey line at the floor H(p), and a thick faded bar between them, the gap KL(p‖q).")

    Y_TOP = 6.0  # nats; fixed so the picture does not jump (bits: the same height / ln 2)

    def __init__(self):
        self.fig, (left, right) = plots.new_figure(2, width=9.5, height=3.4)
        self.left, self.right, self.live = left, right, None
        x = np.arange(len(COLOURS))
        colours = [CANDY[c] for c in COLOURS]
        self.q_bars = plots.Bars(left, COLOURS, color=colours, title="your belief q (bars), bag p (black ticks)",
                                 ylabel="probability")
        for bar in self.q_bars.bars:
            bar.set_edgecolor("black")
        (self.p_ticks,) = left.plot(x, np.zeros(len(x)), ls="none", marker="_", ms=26, mew=3,
                                    color="black")
        right.set_title("surprise per draw (dots), running mean (line)")
        right.set_xlabel("draw number")
        # one marker line per colour: Agg stamps Line2D markers far faster than a scatter
        self.dots = [right.plot([], [], ls="none", marker="o", ms=3.5, mfc=CANDY[c], mec="black",
                                mew=0.3, zorder=2)[0] for c in COLOURS]
        (self.mean_line,) = right.plot([], [], color="black", lw=2, zorder=3, label="running mean")
        self.ce_line = right.axhline(0, color=PURPLE, ls="--", lw=1.5, label="H(p, q)")
        self.floor_line = right.axhline(0, color=plots.GREY, lw=1.5, label="floor H(p)")
        (self.gap,) = right.plot([], [], color=PURPLE, lw=4, alpha=0.5, label="gap = KL(p‖q)")
        self.hint = right.text(0.5, 0.5, "press a draw button", transform=right.transAxes, ha="center",
                               color=plots.GREY)
        self.inf_text = right.text(0.02, 0.9, "∞ drawn at the top edge: a colour you gave q = 0 came out",
                                   transform=right.transAxes, fontsize=9, color=PURPLE)
        right.legend(loc="upper right", fontsize=8)  # clear of the means near 2 nats
        self.units, self.xmax = None, None
        self._set_axes("nats", 10)
        # the values are in the readout under the figure: fewer texts here keep each frame fast
        self.artists = [*self.q_bars.artists, self.p_ticks, *self.dots, self.mean_line, self.ce_line,
                        self.floor_line, self.gap, self.hint, self.inf_text]

    def _set_axes(self, units: str, xmax: int) -> None:
        if (units, xmax) == (self.units, self.xmax):
            return
        self.units, self.xmax = units, xmax
        self.right.set_ylim(0, self.Y_TOP * UNITS[units])
        self.right.set_xlim(0, xmax * 1.02)
        self.right.set_ylabel(f"surprise ({units})")
        if self.live is not None:
            self.live.invalidate()  # limits and labels are part of the cached background

    def update(self, r: dict) -> None:
        k, top = r["scale"], self.Y_TOP * r["scale"]
        self._set_axes(r["units"], _x_limit(r["n"]))
        self.q_bars.update(r["q"])
        self.p_ticks.set_ydata(r["p"])
        for text, q, p in zip(self.q_bars.texts, r["q"], r["p"]):
            text.set_y(min(max(q, p) + 0.015, 0.92))  # above the bar and the bag's tick; under the title
        n = r["n"]
        x = np.arange(1, n + 1)
        clip = 0.985 * top  # an infinite or off-scale value is drawn at the top edge
        y = np.minimum(r["surprises"] * k, clip)
        for colour, dots in enumerate(self.dots):
            mine = r["draws"] == colour
            dots.set_data(x[mine], y[mine])
        self.mean_line.set_data(x, np.minimum(r["running_mean"] * k, clip))
        ce, h = r["cross_entropy"] * k, r["entropy"] * k
        ce_y = min(ce, clip)
        self.ce_line.set_ydata([ce_y, ce_y])
        self.floor_line.set_ydata([h, h])
        gx = 0.5 * self.xmax
        self.gap.set_data([gx, gx], [h, ce_y])
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
    """Game 2's figure: counts, your belief and (after the reveal) the bag; the scores."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: for each colour, a wide grey bar of the observed frequency in the "
           "drawn candies, a narrow bar of your belief q in the candy's colour, and a black tick at "
           "the hidden bag's mix p once revealed. Right: horizontal bars of the scores, lower is "
           "better.")

    X_TOP = 4.0  # nats

    def __init__(self):
        self.fig, (left, right) = plots.new_figure(2, width=9.5, height=3.2)
        x = np.arange(len(COLOURS))
        self.freq_bars = left.bar(x, np.zeros(len(x)), width=0.8, color="#dddddd", edgecolor=plots.GREY,
                                  label="observed frequency")
        self.q_bars = left.bar(x, np.zeros(len(x)), width=0.35, color=[CANDY[c] for c in COLOURS],
                               edgecolor="black", label="your belief q")
        (self.p_ticks,) = left.plot(x, np.zeros(len(x)), ls="none", marker="_", ms=26, mew=3,
                                    color="black", label="hidden bag p")
        left.set_xticks(x, COLOURS)
        left.set_ylim(0, 0.6)
        left.set_ylabel("probability")
        left.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        self.names = ["you, draws seen", "best on draws seen", "you, future H(p,q)", "floor H(p)"]
        y = np.arange(len(self.names))[::-1]
        self.score_bars = right.barh(y, np.zeros(len(y)), color=[PURPLE, "#bbbbbb", PURPLE, plots.GREY])
        self.score_texts = [right.text(0.05, yi, "", va="center", fontsize=9) for yi in y]
        right.set_yticks(y, self.names)
        right.set_xlim(0, self.X_TOP)
        right.set_xlabel("mean surprise (nats)")
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
        values = [r["seen"], r.get("best_seen", math.nan), r.get("cross_entropy", math.nan),
                  r.get("entropy", math.nan)]
        for bar, text, v in zip(self.score_bars, self.score_texts, values):
            hidden = math.isnan(v)
            bar.set_width(0 if hidden else min(v, self.X_TOP))
            text.set_text("?" if hidden else fmt(v, 3))
            text.set_x(0.05 if hidden else min(v, self.X_TOP) * 0.98)
            text.set_ha("left" if hidden else "right")
            text.set_color("black" if hidden else "white")


