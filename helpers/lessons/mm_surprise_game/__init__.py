"""Lesson 04 (mm_surprise_game): the M&M surprise game's pure functions, readouts, widgets, checkers.

Everything is in nats unless a function says bits. The game's rules in one line: a
belief q over the six colours, candies drawn from a true bag p, and each draw costs
its surprise -log q(colour); the running mean of those surprises heads for H(p, q).

    normalise(weights)                slider weights -> a belief q
    draw_colours(p, n, seed)          n seeded draws (a prefix of n + k draws)
    play(weights, p, n, seed)         one game: surprises, running mean, H(p, q), H(p), KL
    belief_game(...), hidden_game(...) the two widgets' compute functions
    hidden_bag(seed)                  game 2's secret bag: a seeded draw from a Dirichlet
    belief_widget(), hidden_widget()  the widgets themselves

The four mixes come from `helpers.data` (load_mixes, get_mix, COLOURS); game 2's hidden
bags are random mixes, none of them one of the four. The figures and the controls of the
two games are in this package's `views.py`.
"""
from __future__ import annotations

import math

import numpy as np

from ... import losses, validate
from ...data import COLOURS, Mix, get_mix, load_mixes

MAX_DRAWS = 5000          # the game's bag never runs out before this many draws
LN2 = math.log(2)
UNITS = {"nats": 1.0, "bits": 1.0 / LN2}   # multiply nats by this to get the unit
INF = "∞"


def fmt(x: float, digits: int = 4) -> str:
    """A number with `digits` decimals, or ∞ (the game never prints inf or nan)."""
    return INF if math.isinf(x) else f"{x:.{digits}f}"


# --- the game's pure functions ----------------------------------------------------------

def normalise(weights) -> np.ndarray:
    """Slider weights (any scale, >= 0, not all 0) -> a belief q over the six colours."""
    w = validate.as_array(weights, "weights")
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
    probs = validate.probabilities(p, "p")
    if probs.ndim != 1:
        raise ValueError(f"p must be one distribution (1-D); got shape {list(probs.shape)}")
    n = validate.whole_number(n, "n (the number of draws)")
    cdf = np.cumsum(probs)
    cdf /= cdf[-1]                      # the last edge is exactly 1, so u < 1 always lands
    u = np.random.default_rng(seed).random(int(n))
    return np.searchsorted(cdf, u, side="right")  # a colour with p = 0 is never drawn


def surprise_table(q) -> np.ndarray:
    """-log q(colour) for every colour, in nats (inf where q = 0)."""
    probs = validate.probabilities(q, "q")
    return np.array([losses.surprise(probs, k) for k in range(len(probs))])


def surprises(q, draws) -> np.ndarray:
    """The surprise of each draw, -log q(drawn colour), in nats."""
    return surprise_table(q)[np.asarray(draws, dtype=np.int64)]


def running_mean(values) -> np.ndarray:
    """Mean of the first k values for k = 1..n; inf from the first inf on (never nan)."""
    v = validate.as_array(values, "values")
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
    probs = validate.probabilities(q, "q")
    eps = validate.unit_interval(eps, "eps")
    return (1 - eps) * probs + eps / probs.shape[-1]


def frequencies(draws) -> np.ndarray:
    """Observed colour frequencies of the draws: the maximum-likelihood belief."""
    d = np.asarray(draws, dtype=np.int64)
    if d.size == 0:
        raise ValueError("no draws yet: frequencies need at least one draw")
    return np.bincount(d, minlength=len(COLOURS)) / d.size


# --- game 1: set your belief -------------------------------------------------------------

DEMO_BAG = "invented_bag"  # game 1 starts here: far from uniform, so the gap KL(p‖q) is easy to see


def belief_game(red=1.0, orange=1.0, yellow=1.0, green=1.0, blue=1.0, brown=1.0, *,
                bag=DEMO_BAG, units="nats", guess="blue", seed=0, n_draws=0,
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
        log = "−log₂" if u == "bits" else "−log"   # the log's base follows the units
        lines.append(f"<b>your score</b>: mean surprise over {r['n']} draw{'s' if r['n'] != 1 else ''} = "
                     f"<b>{fmt(r['running_mean'][-1] * k)} {u}</b> · H(p, q) = {fmt(r['cross_entropy'] * k)}"
                     f" · floor H(p) = {fmt(r['entropy'] * k)} · gap KL(p‖q) = {fmt(r['kl'] * k)}")
        lines.append(f"last draw: <b>{last}</b>; {guessed}. Its surprise = {log} q({last}) = "
                     f"{log} {_prob(r['q'][r['draws'][-1]])} = <b>{fmt(s)} {u}</b>. "
                     f"Guesses right: {r['hits']} of {r['n']} (the guessing game's score: the accuracy).")
        if math.isinf(r["running_mean"][-1]):
            lines.append("∞: you gave a colour that came out a belief of exactly 0. "
                         "No later draw can bring the mean back; raise that slider above 0.")
    return "<br>".join(lines)


def _prob(x: float) -> str:
    return "0 (exactly)" if x == 0 else f"{x:.4f}"


def belief_widget(seed: int = 0, mixes: dict[str, Mix] | None = None):
    """Game 1 widget: six belief sliders, a bag, units, a guess, and draw buttons."""
    import ipywidgets as widgets

    from ...widgets import Lesson
    from .views import BeliefView, DrawState, draw_buttons, weight_sliders
    mixes = load_mixes() if mixes is None else mixes
    state = DrawState(seed)
    sliders = weight_sliders()
    bag = widgets.Dropdown(options=[(m.label, m.bag) for m in mixes.values()],
                           value=DEMO_BAG if DEMO_BAG in mixes else next(iter(mixes)),
                           description="true bag p", style={"description_width": "initial"},
                           layout=widgets.Layout(width="260px"))
    units = widgets.ToggleButtons(options=["nats", "bits"], value="nats", description="units",
                                  style={"button_width": "60px", "description_width": "initial"})
    guess = widgets.Dropdown(options=list(COLOURS), value="blue", description="your guess",
                             style={"description_width": "initial"}, layout=widgets.Layout(width="200px"))
    bag.observe(lambda _: state.restart(), names="value")  # runs before the lesson's update

    def compute(**values):
        return belief_game(**values, seed=state.seed, n_draws=state.n, guesses=state.guesses, mixes=mixes)

    buttons = draw_buttons(state, (1, 10, 100), lambda: lesson.update(), guess, [("new bag", state.new_bag)])
    intro = widgets.HTML("Move the sliders to set your belief q; pick a guess; press <b>draw</b>. "
                         "Make your mean surprise as low as you can.")
    view = BeliefView()
    lesson = Lesson({**sliders, "bag": bag, "units": units, "guess": guess}, compute, view,
                    describe_belief, title="M&M game 1: set your belief",
                    header=[intro], footer=[widgets.HBox([bag, guess, units]), buttons])
    view.live = lesson.live
    lesson.live.invalidate()   # the first update set the zoom to the bag's floor before the view knew `live`
    lesson.live.refresh()
    lesson.state = state
    lesson.static_note = ("In the live course you draw candies and watch your mean surprise "
                          "settle on H(p, q).")
    return lesson


# --- game 2: the hidden bag ------------------------------------------------------------

HIDDEN_ALPHA = 2.0     # hidden bags ~ Dirichlet(2, ..., 2): most are clearly uneven, none is a real mix
HIDDEN_START = 20      # candies shown before you set your belief
DEMO_SEED = 1003       # the lesson's replayable round: far from the widget's seeds 0, 1, 2, ...


def hidden_bag(seed: int) -> np.ndarray:
    """The secret bag for a seed: six colour probabilities drawn from a Dirichlet(HIDDEN_ALPHA)."""
    seed = validate.whole_number(seed, "seed")
    return np.random.default_rng([seed, 2]).dirichlet(np.full(len(COLOURS), HIDDEN_ALPHA))


def add_one(counts) -> np.ndarray:
    """Add-one (Laplace) smoothing: (count + 1) / (N + C), the frequencies mixed with the uniform belief."""
    c = validate.as_array(counts, "counts")
    if c.shape != (len(COLOURS),) or np.any(c < 0) or np.any(c != np.round(c)):
        raise ValueError(f"counts must be {len(COLOURS)} whole numbers >= 0, one per colour; got {c.tolist()}")
    return (c + 1) / (c.sum() + len(c))


def hidden_game(red=1.0, orange=1.0, yellow=1.0, green=1.0, blue=1.0, brown=1.0, *,
                reveal=False, seed=0, n_draws=HIDDEN_START) -> dict:
    """Game 2's compute function. Without `reveal` the result holds nothing about the bag.

    Before the reveal: your belief, the counts, your mean surprise on the candies seen and
    the frequencies' (the lowest any belief can get there: maximum likelihood). After it:
    the bag, and the future surprise H(p, q) of your belief, of the raw frequencies, of the
    add-one smoothed frequencies and of the uniform belief, against the floor H(p).
    """
    p = hidden_bag(seed)
    game = play([red, orange, yellow, green, blue, brown], p, n_draws, seed)
    out = {"q": game["q"], "n": int(n_draws), "counts": game["counts"], "reveal": bool(reveal),
           "seen": float(game["running_mean"][-1]) if n_draws else math.nan}
    if n_draws:
        freqs = frequencies(game["draws"])
        out["freqs"] = freqs
        out["best_seen"] = float(surprises(freqs, game["draws"]).mean())  # the frequencies' mean surprise
    if reveal:
        out.update(p=p, bag=f"hidden bag no. {seed}", **scores(p, game["q"]),
                   uniform_score=losses.cross_entropy_probs(p, np.full(len(COLOURS), 1 / len(COLOURS))))
        if n_draws:
            out["freqs_score"] = losses.cross_entropy_probs(p, out["freqs"])
            out["smoothed_score"] = losses.cross_entropy_probs(p, add_one(game["counts"]))
    return out


def describe_hidden(r: dict) -> str:
    """Game 2's readout: what you can know from the candies seen, and the future scores after the reveal."""
    if r["n"] == 0:
        return "no draws yet: press draw"
    lines = [f"candies seen: {r['n']} ({', '.join(f'{c} {k}' for c, k in zip(COLOURS, r['counts']))}). "
             f"Your mean surprise on them: <b>{fmt(r['seen'])} nats</b>; the observed frequencies get "
             f"{fmt(r['best_seen'])}, the lowest any belief can get on these candies (maximum likelihood)."]
    if not r["reveal"]:
        lines.append("<b>your score</b> is your surprise on <i>future</i> candies, H(p, q): hidden until you "
                     "press reveal.")
        return "<br>".join(lines)
    mix = " · ".join(f"{c} {x:.2f}" for c, x in zip(COLOURS, r["p"]))
    lines.append(f"<b>your score: H(p, q) = {fmt(r['cross_entropy'])} nats</b> · the best possible, "
                 f"H(p) = {fmt(r['entropy'])} · you are KL = {fmt(r['kl'])} nats above it. "
                 f"The bag was {r['bag']}: {mix}.")
    unseen = [c for c, k, pc in zip(COLOURS, r["counts"], r["p"]) if k == 0 and pc > 0]
    why = f" ({', '.join(unseen)} never came out, so they believe it impossible)" if unseen else ""
    lines.append(f"On future candies the raw frequencies score {fmt(r['freqs_score'])}{why}; "
                 f"add-one smoothed, (count + 1) / (N + 6), {fmt(r['smoothed_score'])}; "
                 f"the uniform belief {fmt(r['uniform_score'])}.")
    return "<br>".join(lines)


def hidden_widget(seed: int = 0, start: int = HIDDEN_START):
    """Game 2 widget: a secret bag, draw buttons, belief sliders and a reveal toggle."""
    import ipywidgets as widgets

    from ...widgets import Lesson
    from .views import DrawState, HiddenView, draw_buttons, weight_sliders
    state = DrawState(seed, start)
    sliders = weight_sliders()
    reveal = widgets.ToggleButton(value=False, description="reveal the bag")

    def compute(**values):
        return hidden_game(**values, seed=state.seed, n_draws=state.n)

    def new_hidden():
        state.new_bag()
        state.draw(start, "blue")
        reveal.value = False   # triggers an update of its own; the button's update follows

    buttons = draw_buttons(state, (10, 100), lambda: lesson.update(), None, [("new hidden bag", new_hidden)])
    intro = widgets.HTML("A bag with a random mix is hidden. Look at the candies, set the sliders to the "
                         "belief you think will be least surprised by <i>future</i> candies, then press reveal.")
    view = HiddenView()
    lesson = Lesson({**sliders, "reveal": reveal}, compute, view, describe_hidden,
                    title="M&M game 2: the hidden bag",
                    header=[intro], footer=[widgets.HBox([*buttons.children, reveal])])
    view.live = lesson.live
    lesson.state = state
    lesson.static_note = ("In the live course you draw from a hidden bag, set your belief, "
                          "then reveal the bag and your score.")
    return lesson


# --- tables -------------------------------------------------------------------------------

def bag_summary(mix: Mix) -> dict:
    """H(p), H(p, uniform), KL(p || uniform) and each colour's surprise -log p, in nats."""
    uniform = np.full(len(COLOURS), 1 / len(COLOURS))
    return {"entropy": losses.entropy(mix.probs),
            "ce_uniform": losses.cross_entropy_probs(mix.probs, uniform),
            "kl_uniform": losses.kl_divergence(mix.probs, uniform),
            "surprise": surprise_table(mix.probs)}


# --- check yourself: the exercises' checkers are in exercises.py -----------------------------

from .exercises import (FUTURE_SEED, check_future_belief, check_long_run, check_mild_vs_confident,  # noqa: E402,F401
                        check_floor_belief, check_surprise_bits)
