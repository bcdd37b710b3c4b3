"""Notebook 04's M&M surprise game: colour mixes, the game's pure functions, views, checkers.

Everything is in nats unless a function says bits. The game's rules in one line: a
belief q over the six colours, candies drawn from a true bag p, and each draw costs
its surprise -log q(colour); the running mean of those surprises heads for H(p, q).

    load_mixes()                      the bags in data/mm_mixes.csv, validated
    normalise(weights)                slider weights -> a belief q
    draw_colours(p, n, seed)          n seeded draws (a prefix of n + k draws)
    play(weights, p, n, seed)         one game: surprises, running mean, H(p, q), H(p), KL
    belief_game(...), hidden_game(...) the two widgets' compute functions
    belief_lesson(), hidden_lesson()  the widgets themselves
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import checks, losses, plots

COLOURS = ("red", "orange", "yellow", "green", "blue", "brown")
CANDY = {"red": "#c8102e", "orange": "#ff7f00", "yellow": "#ffd100",
         "green": "#2e9a47", "blue": "#1f5fbf", "brown": "#5c3a21"}
DATA = Path(__file__).resolve().parent.parent / "data" / "mm_mixes.csv"
REQUIRED = ("bag", "label", *COLOURS)
OPTIONAL = ("source",)
PERCENT_TOL = 1e-6
MAX_DRAWS = 5000          # the game's bag never runs out before this many draws
LN2 = math.log(2)
UNITS = {"nats": 1.0, "bits": 1.0 / LN2}   # multiply nats by this to get the unit
INF = "∞"
PURPLE = "#7b3294"


def fmt(x: float, digits: int = 4) -> str:
    """A number with `digits` decimals, or ∞ (the game never prints inf or nan)."""
    return INF if math.isinf(x) else f"{x:.{digits}f}"


# --- the bags -------------------------------------------------------------------------

@dataclass(frozen=True)
class Mix:
    """One colour mix: `probs` in the order of COLOURS (fractions summing to 1)."""

    bag: str
    label: str
    probs: np.ndarray
    source: str = ""

    def as_dict(self) -> dict[str, float]:
        return {c: float(p) for c, p in zip(COLOURS, self.probs)}


def _number(text: str, bag: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: bag {bag!r} has {column}={text!r}; expected a number "
                         "(a percentage)") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: bag {bag!r} has {column}={text!r}; expected a finite percentage")
    if value < 0:
        raise ValueError(f"{where}: bag {bag!r} has a negative percentage {column}={value:g}; "
                         "percentages must be >= 0")
    return value


def load_mixes(path=DATA) -> dict[str, Mix]:
    """Read and validate the colour mixes (percent rows summing to 100), keyed by bag name."""
    path = Path(path)
    where = path.name
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ValueError(f"{where} is missing column(s) {missing}; expected the columns "
                             f"{list(REQUIRED)} (and optionally {list(OPTIONAL)})")
        extra = [c for c in columns if c not in REQUIRED + OPTIONAL]
        if extra:
            raise ValueError(f"{where} has unexpected column(s) {extra}; the colours are "
                             f"{list(COLOURS)}")
        rows = list(reader)
    mixes: dict[str, Mix] = {}
    for line, row in enumerate(rows, start=2):
        bag = (row.get("bag") or "").strip()
        if not bag:
            raise ValueError(f"{where} line {line}: empty bag name")
        if bag in mixes:
            raise ValueError(f"{where} line {line}: duplicate bag name {bag!r}; each bag appears once")
        percents = np.array([_number(row.get(c), bag, c, where) for c in COLOURS])
        total = float(percents.sum())
        if abs(total - 100.0) > PERCENT_TOL:
            raise ValueError(f"{where}: bag {bag!r} sums to {total:g} percent; each row's "
                             "colour percentages must sum to 100")
        mixes[bag] = Mix(bag, (row.get("label") or bag).strip(), percents / 100.0,
                         (row.get("source") or "").strip())
    if not mixes:
        raise ValueError(f"{where} has no bags; expected one row per colour mix")
    return mixes


def get_mix(bag: str, mixes: dict[str, Mix] | None = None) -> Mix:
    """The mix called `bag`; a clear error for an unknown name."""
    mixes = load_mixes() if mixes is None else mixes
    if bag not in mixes:
        raise ValueError(f"unknown bag {bag!r}; expected one of {list(mixes)}")
    return mixes[bag]


# --- the game's pure functions ----------------------------------------------------------

def normalise(weights) -> np.ndarray:
    """Slider weights (any scale, >= 0, not all 0) -> a belief q over the six colours."""
    w = losses.as_array(weights, "weights")
    if w.shape != (len(COLOURS),):
        raise ValueError(f"weights must be {len(COLOURS)} numbers, one per colour {list(COLOURS)}; "
                         f"got shape {list(w.shape)}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite numbers")
    if np.any(w < 0):
        bad = COLOURS[int(np.argmin(w))]
        raise ValueError(f"weights must be >= 0; {bad} has {w.min():g}")
    total = float(w.sum())
    if total <= 0:
        raise ValueError("all weights are 0: a belief must give some colour a chance; "
                         "raise at least one slider")
    return w / total


def draw_colours(p, n: int, seed: int) -> np.ndarray:
    """n colour indices drawn from p with numpy's default_rng(seed).

    Inverse-CDF sampling on default_rng(seed).random(n): the first n draws of a longer
    run are exactly draw_colours(p, n, seed), so a game can be replayed from (seed, n).
    """
    probs = losses.check_probabilities(p, "p")
    if probs.ndim != 1:
        raise ValueError(f"p must be one distribution (1-D); got shape {list(probs.shape)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a whole number of draws >= 0; got {n!r}")
    cdf = np.cumsum(probs)
    cdf /= cdf[-1]                      # the last edge is exactly 1, so u < 1 always lands
    u = np.random.default_rng(seed).random(int(n))
    return np.searchsorted(cdf, u, side="right")  # a colour with p = 0 is never drawn


def surprise_table(q) -> np.ndarray:
    """-log q(colour) for every colour, in nats (inf where q = 0)."""
    probs = losses.check_probabilities(q, "q")
    return np.array([losses.surprise(probs, k) for k in range(len(probs))])


def surprises(q, draws) -> np.ndarray:
    """The surprise of each draw, -log q(drawn colour), in nats."""
    return surprise_table(q)[np.asarray(draws, dtype=np.int64)]


def running_mean(values) -> np.ndarray:
    """Mean of the first k values for k = 1..n; inf from the first inf on (never nan)."""
    v = losses.as_array(values, "values")
    if v.ndim != 1:
        raise ValueError(f"values must be 1-D; got shape {list(v.shape)}")
    if np.any(np.isnan(v)) or np.any(v < 0):
        raise ValueError("surprises must be >= 0 (inf allowed, nan not)")
    return np.cumsum(v) / np.arange(1, len(v) + 1)


def scores(p, q) -> dict[str, float]:
    """H(p, q), the floor H(p) and the gap KL(p || q), in nats (inf where q = 0 < p)."""
    return {"cross_entropy": losses.cross_entropy_probs(p, q), "entropy": losses.entropy(p),
            "kl": losses.kl_divergence(p, q)}


def play(weights, p, n: int, seed: int) -> dict:
    """One game: the belief, n seeded draws from p, each draw's surprise and the running mean."""
    q = normalise(weights)
    draws = draw_colours(p, n, seed)
    s = surprises(q, draws)
    return {"q": q, "p": np.asarray(p, dtype=float), "draws": draws, "surprises": s,
            "running_mean": running_mean(s), "counts": np.bincount(draws, minlength=len(COLOURS)),
            **scores(p, q)}


def smooth(q, eps: float) -> np.ndarray:
    """Mix a belief with the uniform one: (1 - eps) q + eps / C. No colour is left at 0."""
    probs = losses.check_probabilities(q, "q")
    if not 0 <= eps <= 1:
        raise ValueError(f"eps must be in [0, 1]; got {eps}")
    return (1 - eps) * probs + eps / probs.shape[-1]


def frequencies(draws) -> np.ndarray:
    """Observed colour frequencies of the draws: the maximum-likelihood belief."""
    d = np.asarray(draws, dtype=np.int64)
    if d.size == 0:
        raise ValueError("no draws yet: frequencies need at least one draw")
    return np.bincount(d, minlength=len(COLOURS)) / d.size


# --- game 1: set your belief -------------------------------------------------------------

def belief_game(red=1.0, orange=1.0, yellow=1.0, green=1.0, blue=1.0, brown=1.0, *,
                bag="milk_chocolate_2006", units="nats", guess="blue", seed=0, n_draws=0,
                guesses=(), mixes=None) -> dict:
    """Game 1's compute function: the slider weights, the bag, and the draws so far.

    `guesses` are the colours guessed before each draw. They are counted as hits or
    misses and nothing else: no surprise depends on them.
    """
    if units not in UNITS:
        raise ValueError(f"unknown units {units!r}; expected one of {list(UNITS)}")
    mix = get_mix(bag, mixes)
    out = play([red, orange, yellow, green, blue, brown], mix.probs, n_draws, seed)
    guesses = list(guesses)
    if guesses and len(guesses) != n_draws:
        raise ValueError(f"got {len(guesses)} guesses for {n_draws} draws; expected one per draw")
    for g in [guess, *guesses]:
        if g not in COLOURS:
            raise ValueError(f"unknown colour {g!r}; expected one of {list(COLOURS)}")
    hits = sum(COLOURS[d] == g for d, g in zip(out["draws"], guesses))
    out.update(mix=mix, units=units, scale=UNITS[units], guess=guess, guesses=guesses,
               hits=int(hits), n=int(n_draws), seed=seed)
    return out


RATINGS = ((0.005, "spot on: your belief is the bag"), (0.03, "very close"), (0.1, "warm"),
           (0.5, "cold"), (math.inf, "ice cold"))


def rating(kl: float) -> str:
    """A word for how far a belief is from the bag, by KL(p || q) in nats."""
    if math.isinf(kl):
        return "out: you ruled out a colour that is in the bag"
    return next(word for limit, word in RATINGS if kl < limit)


def describe_belief(r: dict) -> str:
    """Game 1's readout: your score, the last draw and what your guess did to it."""
    u, k = r["units"], r["scale"]
    q_text = " · ".join(f"{c} {q:.2f}" for c, q in zip(COLOURS, r["q"]))
    lines = [f"<b>your belief q</b> (normalised): {q_text} · how close to the bag: <b>{rating(r['kl'])}</b>"]
    if r["n"] == 0:
        lines.append(f"<b>your score</b>: no draws yet. Pick a guess, press a draw button. "
                     f"Your mean surprise will head for H(p, q) = {fmt(r['cross_entropy'] * k)} {u}.")
    else:
        last = COLOURS[r["draws"][-1]]
        s = r["surprises"][-1] * k
        hit = "right" if r["guesses"] and r["guesses"][-1] == last else "wrong"
        guessed = f"you guessed {r['guesses'][-1]} ({hit})" if r["guesses"] else "no guess recorded"
        lines.append(f"<b>your score</b>: mean surprise over {r['n']} draws = "
                     f"<b>{fmt(r['running_mean'][-1] * k)} {u}</b> · H(p, q) = {fmt(r['cross_entropy'] * k)}"
                     f" · floor H(p) = {fmt(r['entropy'] * k)} · gap KL(p‖q) = {fmt(r['kl'] * k)}")
        lines.append(f"last draw: <b>{last}</b>; {guessed}. Its surprise = −log q({last}) = "
                     f"−log {_prob(r['q'][r['draws'][-1]])} = <b>{fmt(s)} {u}</b>, whatever you guessed. "
                     f"Guesses right: {r['hits']} of {r['n']} (a different game: it never enters the surprise).")
        if math.isinf(r["running_mean"][-1]):
            lines.append("∞: you gave a colour that came out a belief of exactly 0. "
                         "No later draw can bring the mean back; raise that slider above 0.")
    return "<br>".join(lines)


def _prob(x: float) -> str:
    return "0 (exactly)" if x == 0 else f"{x:.4f}"


def _x_limit(n: int) -> int:
    for lim in (10, 20, 50, 100, 200, 500, 1000, 2000, MAX_DRAWS):
        if n <= lim:
            return lim
    return MAX_DRAWS


class BeliefView:
    """Game 1's figure: belief bars with the true bag's ticks; the running mean of surprise."""

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


def _buttons(lesson, state: DrawState, sizes, guess_control=None, extra=()):
    import ipywidgets as widgets

    def drawer(k):
        def on_click(_):
            state.draw(k, guess_control.value if guess_control is not None else "blue")
            lesson.update()
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
            lesson.update()
        b.on_click(on_click)
        row.append(b)
    return widgets.HBox(row)


def weight_sliders(value: float = 10):
    """One slider per colour (weights 0..40, normalised for display), handle in the candy colour."""
    from .widgets import slider
    out = {}
    for c in COLOURS:
        s = slider(value, 0, 40, 1, c, integer=True)
        s.style.handle_color = CANDY[c]
        s.layout.width = "260px"
        out[c] = s
    return out


def belief_lesson(seed: int = 0, mixes: dict[str, Mix] | None = None):
    """Game 1 widget: six belief sliders, a bag, units, a guess, and draw buttons."""
    import ipywidgets as widgets

    from .widgets import Lesson
    mixes = load_mixes() if mixes is None else mixes
    state = DrawState(seed)
    sliders = weight_sliders()
    bag = widgets.Dropdown(options=[(m.label, m.bag) for m in mixes.values()],
                           value="milk_chocolate_2006" if "milk_chocolate_2006" in mixes else next(iter(mixes)),
                           description="true bag p", style={"description_width": "initial"},
                           layout=widgets.Layout(width="260px"))
    units = widgets.ToggleButtons(options=["nats", "bits"], value="nats", description="units",
                                  style={"button_width": "60px", "description_width": "initial"})
    guess = widgets.Dropdown(options=list(COLOURS), value="blue", description="your guess",
                             style={"description_width": "initial"}, layout=widgets.Layout(width="200px"))
    bag.observe(lambda _: state.restart(), names="value")  # runs before the lesson's update

    def compute(**values):
        return belief_game(**values, seed=state.seed, n_draws=state.n, guesses=state.guesses, mixes=mixes)

    view = BeliefView()
    lesson = Lesson({**sliders, "bag": bag, "units": units, "guess": guess}, compute, view,
                    describe_belief, title="M&M game 1: set your belief")
    view.live = lesson.live
    lesson.state = state
    lesson.static_note = ("In the live course you draw candies and watch your mean surprise "
                          "settle on H(p, q).")
    buttons = _buttons(lesson, state, (1, 10, 100), guess, [("new bag", state.new_bag)])
    intro = widgets.HTML("Move the sliders to set your belief q; pick a guess; press <b>draw</b>. "
                         "Make your mean surprise as low as you can.")
    lesson.children = [intro, widgets.HBox(list(sliders.values()), layout=widgets.Layout(flex_flow="row wrap")),
                       widgets.HBox([bag, guess, units]), buttons, *lesson.children[1:]]
    return lesson


# --- game 2: the hidden bag ------------------------------------------------------------

def hidden_bag(seed: int, mixes: dict[str, Mix]) -> str:
    """The secret bag for a seed: a seeded choice among the mixes."""
    names = list(mixes)
    return names[int(np.random.default_rng([seed, 2]).integers(len(names)))]


def hidden_game(red=1.0, orange=1.0, yellow=1.0, green=1.0, blue=1.0, brown=1.0, *,
                reveal=False, seed=0, n_draws=20, mixes=None) -> dict:
    """Game 2's compute function. Without `reveal` the result holds nothing about the bag."""
    mixes = load_mixes() if mixes is None else mixes
    mix = mixes[hidden_bag(seed, mixes)]
    game = play([red, orange, yellow, green, blue, brown], mix.probs, n_draws, seed)
    out = {"q": game["q"], "n": int(n_draws), "counts": game["counts"], "reveal": bool(reveal),
           "seen": float(game["running_mean"][-1]) if n_draws else math.nan}
    if n_draws:
        freqs = frequencies(game["draws"])
        out["freqs"] = freqs
        out["best_seen"] = float(surprises(freqs, game["draws"]).mean())  # the frequencies' mean surprise
    if reveal:
        out.update(p=mix.probs, bag=mix.label, **scores(mix.probs, game["q"]))
        if n_draws:
            out["freqs_score"] = losses.cross_entropy_probs(mix.probs, out["freqs"])
            out["smoothed_score"] = losses.cross_entropy_probs(mix.probs, smooth(out["freqs"], 0.05))
    return out


def describe_hidden(r: dict) -> str:
    """Game 2's readout: what you can know now, and the score after the reveal."""
    if r["n"] == 0:
        return "no draws yet: press draw"
    lines = [f"draws seen: {r['n']} ({', '.join(f'{c} {k}' for c, k in zip(COLOURS, r['counts']))}). "
             f"Your mean surprise on them: <b>{fmt(r['seen'])} nats</b> "
             f"(the lowest any belief can get on these draws: {fmt(r['best_seen'])})."]
    if not r["reveal"]:
        lines.append("<b>your score</b> is your surprise on future draws, H(p, q): hidden until you press reveal.")
    else:
        lines.append(f"<b>your score: H(p, q) = {fmt(r['cross_entropy'])} nats</b> · the best possible, "
                     f"H(p) = {fmt(r['entropy'])} · you are KL = {fmt(r['kl'])} nats above it. "
                     f"The bag was <b>{r['bag']}</b>.")
        lines.append(f"the observed frequencies would score {fmt(r['freqs_score'])}; smoothed "
                     f"(5% uniform) {fmt(r['smoothed_score'])}.")
    return "<br>".join(lines)


class HiddenView:
    """Game 2's figure: counts, your belief and (after the reveal) the bag; the scores."""

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
        for bar, f, qv in zip(self.freq_bars, freqs, r["q"]):
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


def hidden_lesson(seed: int = 0, mixes: dict[str, Mix] | None = None, start: int = 20):
    """Game 2 widget: a secret bag, draw buttons, belief sliders and a reveal toggle."""
    import ipywidgets as widgets

    from .widgets import Lesson
    mixes = load_mixes() if mixes is None else mixes
    state = DrawState(seed, start)
    sliders = weight_sliders()
    reveal = widgets.ToggleButton(value=False, description="reveal the bag")

    def compute(**values):
        return hidden_game(**values, seed=state.seed, n_draws=state.n, mixes=mixes)

    def new_hidden():
        state.new_bag()
        state.draw(start, "blue")
        reveal.value = False   # triggers an update of its own; the button's update follows

    lesson = Lesson({**sliders, "reveal": reveal}, compute, HiddenView(), describe_hidden,
                    title="M&M game 2: the hidden bag")
    lesson.state = state
    lesson.static_note = ("In the live course you draw from a hidden bag, set your belief, "
                          "then reveal the bag and your score.")
    buttons = _buttons(lesson, state, (10, 100), None, [("new hidden bag", new_hidden)])
    intro = widgets.HTML("A bag is hidden. Look at the draws, set the sliders to the belief you "
                         "think will be least surprised by <i>future</i> draws, then press reveal.")
    lesson.children = [intro, widgets.HBox(list(sliders.values()), layout=widgets.Layout(flex_flow="row wrap")),
                       widgets.HBox([*buttons.children, reveal]), *lesson.children[1:]]
    return lesson


# --- tables -------------------------------------------------------------------------------

def bag_summary(mix: Mix) -> dict:
    """H(p), H(p, uniform), KL(p || uniform) and each colour's surprise -log p, in nats."""
    uniform = np.full(len(COLOURS), 1 / len(COLOURS))
    return {"entropy": losses.entropy(mix.probs),
            "ce_uniform": losses.cross_entropy_probs(mix.probs, uniform),
            "kl_uniform": losses.kl_divergence(mix.probs, uniform),
            "surprise": surprise_table(mix.probs)}


# --- check yourself -----------------------------------------------------------------------

def check_best_belief(answer, bag: str = "peanut_2006", mixes=None) -> checks.Verdict:
    """Exercise: the belief with the lowest expected surprise for a bag (its own mix)."""
    p = get_mix(bag, mixes).probs
    top = np.zeros(len(COLOURS))
    top[int(np.argmax(p))] = 1.0
    if not checks.unanswered(answer):
        try:
            a = losses.as_array(answer, "answer")
        except ValueError:
            a = None
        if a is not None and a.shape == p.shape and abs(a.sum() - 100) < 1e-3:
            return checks.Verdict("wrong", "those are percentages. Hint: divide by 100; a belief sums to 1")
    return checks.check_array(answer, p, tol=1e-3, mistakes={
        "all your belief on the most common colour: any other colour then costs ∞ surprise. "
        "Expected surprise is lowest when q matches p": top,
        "the uniform belief is safe but not best: it pays KL(p‖uniform) extra on average": np.full(len(COLOURS), 1 / 6),
    }, hint="expected surprise H(p, q) is lowest when q = p (the gap KL(p‖q) is then 0)")


def check_surprise_bits(answer) -> checks.Verdict:
    """Exercise: belief = the notes' bag, you guessed blue, a red one comes out: surprise in bits."""
    q = {"red": 0.10, "green": 0.20, "blue": 0.30, "yellow": 0.25, "brown": 0.15}
    right = losses.to_bits(losses.surprise(q, "red"))
    return checks.check_number(answer, right, mistakes={
        "that is in nats; divide by ln 2 for bits": losses.surprise(q, "red"),
        "that is the surprise of blue: your guess does not enter the surprise, only q(red) does":
            losses.to_bits(losses.surprise(q, "blue")),
        "surprise is −log q, a positive number: you dropped the minus sign": -right,
        "that is log base 10; bits are log base 2": -math.log10(0.10),
        "that is 1 − q(red), not −log₂ q(red)": 0.9,
    })


def check_mild_vs_confident(answer, q_mild: float = 0.5, q_confident: float = 1e-4) -> checks.Verdict:
    """Exercise: how many mild misses (q = 0.5) cost as much surprise as one at q = 0.0001?"""
    right = math.log(q_confident) / math.log(q_mild)
    return checks.check_number(answer, right, tol=1e-3, mistakes={
        "you compared probabilities (0.5 / 0.0001); compare surprises, −log q": q_mild / q_confident,
        "you compared 1 − q, not −log q": (1 - q_confident) / (1 - q_mild),
    }, hint="divide the surprise of the confident miss, −log 0.0001, by that of a mild one, −log 0.5")


def check_mle(answer, counts) -> checks.Verdict:
    """Exercise: the belief that makes these draws least surprising (their frequencies)."""
    c = losses.as_array(counts, "counts")
    freqs = c / c.sum()
    return checks.check_array(answer, freqs, tol=1e-3, mistakes={
        "those are the counts; divide by the number of draws": c,
        "that is add-one smoothing; it lowers future surprise but not the surprise on these draws":
            (c + 1) / (c.sum() + len(c)),
    }, hint="the maximum-likelihood belief is the observed frequencies: count / number of draws")
