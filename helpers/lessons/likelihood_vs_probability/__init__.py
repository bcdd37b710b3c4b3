"""Lesson 02 (likelihood_vs_probability): likelihood vs probability for a coin with bias θ flipped n times.

Pure functions (the binomial pmf, the likelihood, the closed-form maximum-likelihood estimate,
a posterior), the two-panel widget (fix θ and vary k / fix k and vary θ; its figure and readout
in views.py) and the checkers of the lesson's exercises. Everything is float64 numpy. The lesson itself writes out the grid
search, the gradient-descent fit and the underflow of a long product.

Bad input raises `ValueError` saying what was wrong and what is expected.
"""
from __future__ import annotations

import math

import numpy as np

from ... import checks, validate

N_MAX = 30          # the widget's largest number of flips: its bar panel has N_MAX + 1 bars
THETA_GRID = np.linspace(0.0, 1.0, 1001)  # θ values for curves, grid search and areas


# --- input checks ---------------------------------------------------------------------

def _counts(k, n) -> tuple[int, int]:
    """Validate a number of heads k out of n flips."""
    n = validate.whole_number(n, "n (the number of flips)")
    k = validate.whole_number(k, "k (the number of heads)")
    if k > n:
        raise ValueError(f"k = {k} heads is impossible in n = {n} flips; expected 0 <= k <= n")
    return k, n


def _thetas(theta) -> np.ndarray:
    """θ as a float64 array, every value a probability in [0, 1]."""
    return np.asarray(validate.unit_interval(theta, "theta (the probability of heads)"))


def flips_to_counts(flips) -> tuple[int, int]:
    """(k heads, n flips) from a string such as "HTTH" or a sequence of 0/1."""
    if isinstance(flips, str):
        text = flips.replace(" ", "").upper()
        bad = sorted(set(text) - {"H", "T"})
        if bad:
            raise ValueError(f"flips must be written with H and T only; found {bad[0]!r}")
        values = [c == "H" for c in text]
    else:
        arr = np.asarray(flips)
        if arr.ndim != 1 or not np.all((arr == 0) | (arr == 1)):
            raise ValueError("flips must be a string of H/T or a 1-D sequence of 0 (tails) and 1 (heads)")
        values = arr.astype(bool).tolist()
    if not values:
        raise ValueError("flips is empty; a likelihood needs at least one observation")
    return int(sum(values)), len(values)


# --- probability and likelihood -------------------------------------------------------

def log_binomial_pmf(k, n, theta):
    """log p(k | θ, n) = log C(n, k) + k log θ + (n - k) log(1 - θ), in nats (−inf where p = 0)."""
    k, n = _counts(k, n)
    t = _thetas(theta)
    with np.errstate(divide="ignore"):
        # 0 · log 0 = 0: with k = 0 heads, θ = 0 is certain, not impossible
        heads = k * np.log(t) if k else np.zeros_like(t)
        tails = (n - k) * np.log1p(-t) if n - k else np.zeros_like(t)
    log_comb = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    out = log_comb + heads + tails
    return float(out) if out.ndim == 0 else out


def binomial_pmf(k, n, theta):
    """p(k heads | θ, n flips) = C(n, k) θ^k (1 − θ)^(n − k): a probability of the data."""
    return np.exp(log_binomial_pmf(k, n, theta)) if np.ndim(theta) else math.exp(log_binomial_pmf(k, n, theta))


def distribution_over_k(theta: float, n: int) -> np.ndarray:
    """θ fixed: p(k | θ, n) for k = 0..n. A probability distribution over k: it sums to 1."""
    n = validate.whole_number(n, "n (the number of flips)")
    t = float(_thetas(theta))
    return np.array([binomial_pmf(k, n, t) for k in range(n + 1)])


def likelihood(theta, k: int, n: int):
    """k fixed: L(θ | k, n) = p(k | θ, n) as a function of θ. Not a distribution over θ."""
    return binomial_pmf(k, n, theta)


def area(values, grid=THETA_GRID) -> float:
    """The area under a curve sampled on `grid` (trapezoid rule)."""
    values, grid = np.asarray(values, dtype=np.float64), np.asarray(grid, dtype=np.float64)
    if values.shape != grid.shape:
        raise ValueError(f"values has shape {list(values.shape)} but grid has shape {list(grid.shape)}")
    return float(np.sum((values[1:] + values[:-1]) * np.diff(grid)) / 2)


# --- maximum likelihood ---------------------------------------------------------------------

def mle_closed_form(k, n) -> float:
    """The θ that maximises the binomial likelihood: k / n (set d/dθ log L = 0)."""
    k, n = _counts(k, n)
    if n == 0:
        raise ValueError("n = 0 flips: every θ is equally likely, there is no maximum to find")
    return k / n


# --- what we are not computing: the posterior ------------------------------------------

def posterior(k, n, prior=None, grid=THETA_GRID) -> np.ndarray:
    """p(θ | k, n) on `grid` by Bayes: prior × likelihood, normalised to area 1 (uniform prior by default)."""
    grid = _thetas(grid)
    like = likelihood(grid, k, n)
    prior = np.ones_like(grid) if prior is None else np.asarray(prior, dtype=np.float64)
    if prior.shape != grid.shape:
        raise ValueError(f"prior has shape {list(prior.shape)} but grid has shape {list(grid.shape)}")
    if np.any(np.isnan(prior)) or np.any(prior < 0):
        raise ValueError("prior must be a density: finite values >= 0")
    unnorm = prior * like
    z = area(unnorm, grid)
    if not z > 0:
        raise ValueError("prior × likelihood is 0 everywhere; the prior rules out every θ the data allow")
    return unnorm / z


# --- the widget: two views of one formula ------------------------------------------------

WIDGET_START = {"theta": 0.5, "n": 20, "k": 14}  # θ ≠ k/n, so "your θ" and "the best θ" are two lines


def two_views(theta: float = 0.5, n: int = 20, k: int = 14) -> dict:
    """Both readings of p(k | θ, n): a distribution over k (θ fixed) and a likelihood over θ (k fixed)."""
    k, n = _counts(k, n)
    if n > N_MAX:
        raise ValueError(f"n = {n} is more flips than the widget draws; expected n <= {N_MAX}")
    t = float(_thetas(theta))
    probs = distribution_over_k(t, n)
    curve = likelihood(THETA_GRID, k, n)
    return {"theta": t, "n": n, "k": k, "ks": np.arange(n + 1), "probs": probs,
            "sum": float(probs.sum()), "curve": curve, "area": area(curve),
            "at_theta": binomial_pmf(k, n, t), "mle": k / n if n else float("nan")}


def two_views_widget():
    """The lesson's widget: sliders for θ, n and k; k's maximum follows n."""
    import traitlets

    from ...widgets import Lesson, slider
    from .views import TwoViewsView, describe_two_views
    theta = slider(WIDGET_START["theta"], 0.0, 1.0, 0.01, "θ (bias)")
    n = slider(WIDGET_START["n"], 1, N_MAX, 1, "n flips", integer=True)
    k = slider(WIDGET_START["k"], 0, WIDGET_START["n"], 1, "k heads", integer=True)
    # linked before the Lesson observes n: lowering n first clamps k to at most n
    traitlets.dlink((n, "value"), (k, "max"))
    view = TwoViewsView()
    lesson = Lesson({"theta": theta, "n": n, "k": k}, two_views, view, describe_two_views,
                    title="probability vs likelihood for a coin")
    view.live = lesson.live
    # the static edition's grid (tools/frames.py): θ in tenths, n = 10, 20, 30, every k <= n
    lesson.static_grid = {"theta": (0.0, 1.0, 0.1), "n": (10, N_MAX, 10), "k": (0, N_MAX, 1)}
    return lesson


# --- checkers for the exercises -------------------------------------------------------------

KINDS = ("probability", "likelihood", "both")
WHICH_IS_WHICH = {  # the exercise's statements and the right kind for each
    "a": "probability",   # p(k | θ = 0.5, n = 10) as k runs over 0..10
    "b": "likelihood",    # p(k = 7 | θ, n = 10) as θ runs over [0, 1]
    "c": "both",          # the single number p(k = 7 | θ = 0.5, n = 10)
    "d": "probability",   # the posterior p(θ | k = 7, n = 10) as θ runs over [0, 1]
}
WHY = {
    "a": "θ is fixed and the outcome k varies: the values sum to 1 over k",
    "b": "the data k = 7 are fixed and the parameter θ varies: a likelihood, its area need not be 1",
    "c": "one number is both: the probability of the data at θ = 0.5 and the likelihood's value at θ = 0.5",
    "d": "a posterior is a distribution over θ (its area is 1); it needs a prior",
}


def check_which_is_which(answer) -> checks.Verdict:
    """Exercise: label statements a-d as "probability", "likelihood" or "both"."""
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    if not isinstance(answer, dict):
        return checks.Verdict("wrong", 'expected a dict such as {"a": "probability", "b": ...}')
    got = {str(key).strip().lower(): str(v).strip().lower() for key, v in answer.items()}
    missing = sorted(set(WHICH_IS_WHICH) - set(got))
    if missing:
        return checks.Verdict("wrong", f"label every statement; missing {', '.join(missing)}")
    unknown = [v for v in got.values() if v not in KINDS]
    if unknown:
        return checks.Verdict("wrong", f"{unknown[0]!r} is not one of {list(KINDS)}")
    wrong = [key for key, kind in WHICH_IS_WHICH.items() if got[key] != kind]
    if not wrong:
        return checks.Verdict("correct", "all four")
    key = wrong[0]
    return checks.Verdict("wrong", f"{len(wrong)} of 4 need another look. Hint for {key}: {WHY[key]}")


def check_log_likelihood(answer, flips, theta) -> checks.Verdict:
    """Exercise: the log-likelihood (nats) of a sequence of flips at a given θ."""
    k, n = flips_to_counts(flips)
    t = float(_thetas(theta))
    seq = k * math.log(t) + (n - k) * math.log(1 - t)
    return checks.check_number(answer, seq, mistakes={
        "that includes log C(n, k): the question asks for this exact sequence of flips, not for k heads in any order":
            log_binomial_pmf(k, n, t),
        "that is log base 10; the course uses the natural log (nats)": seq / math.log(10),
        "that is the negative log-likelihood; the log-likelihood of probabilities below 1 is negative": -seq,
        "that is the likelihood itself; take the log": math.exp(seq),
        "heads and tails swapped: a head has probability θ": k * math.log(1 - t) + (n - k) * math.log(t),
    }, hint="add log θ for every head and log(1 − θ) for every tail")


def sequence_area(flips) -> float:
    """The area under θ ↦ θ^k (1 − θ)^(n − k) over [0, 1], the likelihood of one exact sequence.

    It is the Beta function B(k + 1, n − k + 1) = k! (n − k)! / (n + 1)!: the binomial
    likelihood's area, 1 / (n + 1), divided by C(n, k).
    """
    k, n = flips_to_counts(flips)
    return math.exp(math.lgamma(k + 1) + math.lgamma(n - k + 1) - math.lgamma(n + 2))


def check_sequence_area(answer, flips) -> checks.Verdict:
    """Exercise: the area under the likelihood of one exact sequence of flips, over θ in [0, 1]."""
    k, n = flips_to_counts(flips)
    peak = (k / n) ** k * (1 - k / n) ** (n - k)
    return checks.check_number(answer, sequence_area(flips), mistakes={
        "that is the area for k heads in any order (the binomial, with C(n, k)); this likelihood is of one "
        "exact sequence, which leaves C(n, k) out: divide by C(n, k)": 1 / (n + 1),
        "a likelihood is not a distribution over θ: its area need not be 1": 1.0,
        "that is the height of the curve at its peak θ = k/n, not the area under it": peak,
    }, hint="integrate θ^k (1 − θ)^(n − k) numerically on a fine θ grid (lesson.area), or use section 2")


# --- the applied exercise: fit a die by gradient descent ---------------------------------------

DIE_TOL = 1e-3    # softmax(logits) within this of the frequencies counts / n: fitted
DIE_CLOSE = 2e-2  # within this: on the way, not there yet


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def check_die_fit(logits, counts) -> checks.Verdict:
    """Exercise: logits whose softmax is the maximum-likelihood die for the counts (their frequencies)."""
    if checks.unanswered(logits):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    c = validate.as_array(counts, "counts")
    try:
        z = np.asarray(validate.to_numpy(logits), dtype=np.float64)
    except (TypeError, ValueError):
        return checks.Verdict("wrong", f"expected a tensor of {c.size} logits, one per face; got {logits!r}")
    if z.shape != c.shape:
        return checks.Verdict("wrong", f"expected {c.size} logits, one per face (shape {list(c.shape)}); "
                                       f"got shape {list(z.shape)}")
    if not np.all(np.isfinite(z)):
        return checks.Verdict("wrong", "your logits contain nan or inf: the learning rate may be too large")
    q, freq = _softmax(z), c / c.sum()
    gap = float(np.max(np.abs(q - freq)))
    shown = np.array2string(q, precision=4, separator=", ")
    if gap <= DIE_TOL:
        return checks.Verdict("correct", f"softmax(logits) = {shown}: the frequencies counts / n, to {DIE_TOL}")
    mistakes = {
        "your softmax is uniform: the logits never moved. Update them in place inside torch.no_grad() "
        "(logits -= lr * logits.grad), and run the loop": np.full_like(c, 1 / c.size),
        "those look like probabilities; softmax reads its input as logits (log-probabilities up to a constant), "
        "so softmax(probabilities) is not those probabilities": _softmax(freq),
        "softmax(counts) is not counts / n: logits are log-probabilities up to a constant, "
        "so the counts would have to enter as log counts": _softmax(c),
        "the most frequent face got the smallest probability: you climbed the NLL; step against the "
        "gradient (logits -= lr * grad)": _softmax(-np.log(c)),
    }
    for hint, wrong_q in mistakes.items():
        if np.max(np.abs(q - wrong_q)) <= DIE_TOL:
            return checks.Verdict("wrong", f"softmax(logits) = {shown}. Hint: {hint}")
    if gap <= DIE_CLOSE:
        return checks.Verdict("close", f"softmax(logits) = {shown} is within {gap:.4f} of the frequencies: "
                                       "not converged yet; run more steps or use a larger learning rate")
    return checks.Verdict("wrong", f"softmax(logits) = {shown} is {gap:.4f} away from the maximum-likelihood "
                                   "die. Hint: minimise the mean NLL per roll, -(counts · log_softmax(logits)).sum() "
                                   "/ counts.sum()")


def die_nll_after_steps(counts, steps: int, lr: float) -> dict:
    """Gradient descent on the mean NLL per roll from zero logits (a fair die): the loss after `steps` updates.

    Also the loss before the last update and the lowest possible loss (at the frequencies), for the hints.
    """
    import torch

    c = torch.as_tensor(validate.as_array(counts, "counts"), dtype=torch.float64)  # [6]
    if steps < 1:
        raise ValueError(f"steps must be a whole number >= 1; got {steps}")
    logits = torch.zeros_like(c, requires_grad=True)
    for _ in range(steps):
        nll = -(c * torch.log_softmax(logits, dim=-1)).sum() / c.sum()
        before_last = nll.item()
        logits.grad = None
        nll.backward()
        with torch.no_grad():
            logits -= lr * logits.grad
    with torch.no_grad():
        after = (-(c * torch.log_softmax(logits, dim=-1)).sum() / c.sum()).item()
    freq = c / c.sum()
    return {"after": after, "before_last": before_last, "lowest": float(-(freq * freq.log()).sum()),
            "start": math.log(c.numel()), "n": float(c.sum())}


def check_nll_after_steps(answer, counts, steps: int = 5, lr: float = 1.0) -> checks.Verdict:
    """Exercise: the mean NLL per roll after exactly `steps` updates at learning rate `lr` from a fair die."""
    r = die_nll_after_steps(counts, steps, lr)
    one_more = die_nll_after_steps(counts, steps + 1, lr)["after"]
    mistakes = {
        f"that is the loss after {steps + 1} updates; stop after exactly {steps}": one_more,
        f"that is the loss computed before the last update (after {steps - 1} updates): the loop's `nll` "
        f"is one step behind; compute the loss once more after the loop": r["before_last"],
        "that is the loss of the fair-die start: the logits never moved. Update them in place inside "
        "torch.no_grad() (logits -= lr * logits.grad)": r["start"],
        f"that is the lowest possible loss, at the frequencies; after {steps} updates the loop is not there yet": r["lowest"],
        "that is the summed NLL over all rolls; the mean divides by the number of rolls": r["after"] * r["n"],
        "that is in bits; the course works in nats (natural log)": r["after"] / math.log(2),
    }
    # every loss on the way lies between 1.69 and 1.79 nats, so "close" is kept to 0.1 %, not the usual 1 %
    return checks.check_number(answer, r["after"], tol=1e-4, close=1e-3, mistakes=mistakes,
                               hint=f"start from zero logits, make exactly {steps} updates at learning rate {lr} "
                                    "on the mean NLL per roll, then compute the mean NLL of the updated logits")
