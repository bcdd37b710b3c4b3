"""Lesson 02 (likelihood_vs_probability): likelihood vs probability for a coin with bias θ flipped n times.

Pure functions (the binomial pmf, the likelihood, three maximum-likelihood estimates,
a uniform-prior posterior), the two-panel widget (fix θ and vary k / fix k and vary θ)
and the checkers of the lesson's exercises. Everything is float64 numpy; only
`mle_gradient_descent` uses torch, imported when it is called.

Bad input raises `ValueError` saying what was wrong and what is expected.
"""
from __future__ import annotations

import math

import numpy as np

from .. import checks, plots, validate

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


# --- maximum likelihood three ways ---------------------------------------------------------

def mle_closed_form(k, n) -> float:
    """The θ that maximises the binomial likelihood: k / n (set d/dθ log L = 0)."""
    k, n = _counts(k, n)
    if n == 0:
        raise ValueError("n = 0 flips: every θ is equally likely, there is no maximum to find")
    return k / n


def mle_grid(k, n, grid=THETA_GRID) -> float:
    """The θ on `grid` with the largest log-likelihood (a brute-force search)."""
    mle_closed_form(k, n)  # same checks
    grid = _thetas(grid)
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError("grid must be a 1-D array of at least two θ values")
    return float(grid[np.argmax(log_binomial_pmf(k, n, grid))])


def mle_gradient_descent(k, n, steps: int = 200, lr: float = 0.5, seed: int = 0) -> dict:
    """Minimise the mean NLL −(k log θ + (n − k) log(1 − θ)) / n with torch, θ = sigmoid(w).

    The sigmoid keeps θ inside (0, 1) whatever w is, so no step can leave the valid range.
    Returns the final θ and the history of θ and of the mean NLL (nats per flip).
    """
    import torch
    import torch.nn.functional as F

    k, n = _counts(k, n)
    if n == 0:
        raise ValueError("n = 0 flips: there is no data to fit")
    steps = validate.whole_number(steps, "steps", lo=1)
    if not lr > 0:
        raise ValueError(f"lr (the learning rate) must be > 0; got {lr}")
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(1, generator=gen, dtype=torch.float64).requires_grad_()  # [1]
    thetas, losses = [], []
    for _ in range(steps):
        # log θ = logsigmoid(w) and log(1 − θ) = logsigmoid(−w): stable for any w
        nll = -(k * F.logsigmoid(w) + (n - k) * F.logsigmoid(-w)).sum() / n
        w.grad = None
        nll.backward()
        thetas.append(float(torch.sigmoid(w.detach())))
        losses.append(float(nll.detach()))
        with torch.no_grad():
            w -= lr * w.grad
    return {"theta": float(torch.sigmoid(w.detach())), "thetas": np.array(thetas), "nll": np.array(losses),
            "w": float(w.detach())}


# --- products underflow, sums of logs do not -------------------------------------------

def sequence_probabilities(flips, theta) -> np.ndarray:
    """p(each flip | θ): θ for a head (1), 1 − θ for a tail (0)."""
    arr = np.asarray(flips)
    if arr.ndim != 1 or arr.size == 0 or not np.all((arr == 0) | (arr == 1)):
        raise ValueError("flips must be a non-empty 1-D sequence of 0 (tails) and 1 (heads)")
    t = float(_thetas(theta))
    return np.where(arr == 1, t, 1.0 - t)


def product_vs_log_sum(flips, theta) -> dict:
    """The likelihood of a sequence of flips as a product (underflows) and as a sum of logs."""
    probs = sequence_probabilities(flips, theta)
    running = np.cumprod(probs)
    zero = np.flatnonzero(running == 0.0)
    with np.errstate(divide="ignore"):
        log_sum = float(np.sum(np.log(probs)))
    return {"product": float(running[-1]), "log_sum": log_sum,
            "first_zero": int(zero[0]) + 1 if zero.size else None,  # flips until the product is 0
            "log10": log_sum / math.log(10)}


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

def two_views(theta: float = 0.3, n: int = 10, k: int = 3) -> dict:
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


class TwoViewsView:
    """Left: bars p(k | θ) for k = 0..N_MAX, unused ones hidden. Right: L(θ | k) with its area shaded."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two panels. Left: bars of the probability of each number of heads k out of n flips for "
           "the slider's θ, a distribution that sums to 1. Right: the likelihood of θ for the "
           "slider's k heads, a shaded curve over θ with a dot at the slider's θ, a dashed line at θ "
           "and a dotted line at its maximum k/n.")

    def __init__(self):
        self.fig, (left, right) = plots.new_figure(2, width=9.0, height=3.2)
        ks = np.arange(N_MAX + 1)
        self.bars = left.bar(ks, np.zeros(N_MAX + 1), color=plots.BLUE)
        left.set_xlim(-0.7, N_MAX + 0.7)
        left.set_ylim(0, 1)
        left.set_xlabel("k, the number of heads")
        left.set_ylabel("p(k | θ, n)")
        left.set_title("θ fixed, k varies: a distribution")
        self.sum_text = left.text(0.97, 0.95, "", transform=left.transAxes, ha="right", va="top",
                                  bbox={"facecolor": "white", "edgecolor": "none"})
        self.curve, = right.plot(THETA_GRID, np.zeros_like(THETA_GRID), color=plots.ORANGE, lw=2)
        self.fill = right.fill_between(THETA_GRID, 0, np.zeros_like(THETA_GRID), color=plots.ORANGE, alpha=0.25)
        self.at, = right.plot([], [], "o", color=plots.RED, ms=7)
        self.theta_line = right.axvline(0.3, color=plots.GREY, ls="--", lw=1, label="θ (slider)")
        self.mle_line = right.axvline(0.3, color=plots.GREEN, ls=":", lw=1.5, label="k / n (maximum)")
        right.legend(handles=[self.theta_line, self.mle_line], loc="upper left", fontsize=8, frameon=False)
        right.set_xlim(0, 1)
        right.set_ylim(0, 1)
        right.set_xlabel("θ, the probability of heads")
        right.set_ylabel("L(θ | k, n)")
        right.set_title("k fixed, θ varies: a likelihood")
        self.area_text = right.text(0.97, 0.95, "", transform=right.transAxes, ha="right", va="top",
                                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        self.artists = [*self.bars, self.sum_text, self.curve, self.fill, self.at,
                        self.theta_line, self.mle_line, self.area_text]

    def update(self, r: dict) -> None:
        for kk, bar in enumerate(self.bars):
            used = kk <= r["n"]
            bar.set_visible(used)
            bar.set_height(r["probs"][kk] if used else 0.0)
            bar.set_color(plots.RED if kk == r["k"] else plots.BLUE)  # the observed k
        self.sum_text.set_text(f"bars sum to {r['sum']:.4f}")
        self.curve.set_ydata(r["curve"])
        self.fill.set_verts([np.column_stack([np.r_[THETA_GRID, THETA_GRID[::-1]],
                                              np.r_[r["curve"], np.zeros_like(THETA_GRID)]])])
        self.at.set_data([r["theta"]], [r["at_theta"]])  # the same number as the red bar
        self.theta_line.set_xdata([r["theta"], r["theta"]])
        self.mle_line.set_xdata([r["mle"], r["mle"]])
        self.area_text.set_text(f"area = {r['area']:.4f}")


def describe_two_views(r: dict) -> str:
    """The readout under the two panels."""
    return (f"θ = {r['theta']:.2f}, n = {r['n']}, k = {r['k']} · the bars sum to {r['sum']:.4f} · "
            f"p(k={r['k']} | θ) = {r['at_theta']:.4f} (red bar = red dot)<br>"
            f"area under the likelihood = {r['area']:.4f} · maximum at θ = k/n = {r['mle']:.4f}")


def two_views_widget():
    """The lesson's widget: sliders for θ, n and k; k's maximum follows n."""
    import traitlets

    from ..widgets import Lesson, slider
    theta = slider(0.3, 0.0, 1.0, 0.01, "θ (bias)")
    n = slider(10, 1, N_MAX, 1, "n flips", integer=True)
    k = slider(3, 0, 10, 1, "k heads", integer=True)
    # linked before the Lesson observes n: lowering n first clamps k to at most n
    traitlets.dlink((n, "value"), (k, "max"))
    return Lesson({"theta": theta, "n": n, "k": k}, two_views, TwoViewsView(), describe_two_views,
                  title="probability vs likelihood for a coin")


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


def check_mle_theta(answer, flips) -> checks.Verdict:
    """Exercise: the maximum-likelihood θ (probability of heads) for a sequence of flips."""
    k, n = flips_to_counts(flips)
    mle = k / n
    return checks.check_number(answer, mle, mistakes={
        "that is the fraction of tails; θ is the probability of heads": 1 - mle,
        "that is (k + 1) / (n + 2), the posterior mean under a uniform prior, not the MLE": (k + 1) / (n + 2),
        "that is the number of heads k; divide by the number of flips n": k,
    }, hint="count the heads and divide by the number of flips")


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


def check_area(answer, k, n) -> checks.Verdict:
    """Exercise: the area under the likelihood curve L(θ | k, n) over θ in [0, 1], which is 1 / (n + 1)."""
    k, n = _counts(k, n)
    exact = 1 / (n + 1)  # ∫ C(n,k) θ^k (1-θ)^(n-k) dθ = C(n,k) · B(k+1, n-k+1) = 1/(n+1)
    return checks.check_number(answer, exact, mistakes={
        "a likelihood is not a distribution over θ: its area need not be 1": 1.0,
        "that is 1 / n; count the possible values of k (0..n), there are n + 1": 1 / n if n else math.inf,
    }, hint="integrate the likelihood numerically on a fine θ grid (lesson.area)")
