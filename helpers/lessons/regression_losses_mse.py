"""Lesson 06 (regression_losses_mse): line fits under each loss, the outlier widget, figures, checkers.

The losses themselves (mse, mae, huber, pinball, gaussian_nll) are written out in the notebook
and kept, checked against torch, in `helpers.losses`. Everything here is numpy float64.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.patches import Rectangle

from .. import checks, losses, plots, validate


# --- fitting a line y = a x + b under each loss ------------------------------------------------

def _xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    xa, ya = validate.points(x, y)
    if xa.size < 2 or np.ptp(xa) == 0:
        raise ValueError("a line needs at least two points with different x values")
    return xa, ya


def _weighted_line(x, y, w) -> tuple[float, float]:
    """The line minimising sum w (y - a x - b)²: weighted least squares in closed form."""
    sw = w.sum()
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    a = (w * (x - mx) * (y - my)).sum() / (w * (x - mx) ** 2).sum()
    return float(a), float(my - a * mx)


def fit_line_mse(x, y) -> tuple[float, float]:
    """Slope and intercept that minimise the mean squared error (closed form)."""
    xa, ya = _xy(x, y)
    return _weighted_line(xa, ya, np.ones_like(xa))


def _irls(x, y, weights, steps: int) -> tuple[float, float]:
    """Iteratively reweighted least squares, started from the MSE line (deterministic).

    `weights(u)` gets the residuals u = y - (a x + b). Each step solves the weighted
    least-squares normal equations from five dot products (x·x and x·y are computed once),
    which keeps a slider move fast.
    """
    xx, xy = x * x, x * y
    a, b = _weighted_line(x, y, np.ones_like(x))
    for _ in range(steps):
        w = weights(y - (a * x + b))
        sw, sx, sy, sxx, sxy = w.sum(), w @ x, w @ y, w @ xx, w @ xy
        a_new = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
        b_new = (sy - a_new * sx) / sw
        done = abs(a_new - a) + abs(b_new - b) < 1e-10
        a, b = float(a_new), float(b_new)
        if done:
            break
    return a, b


def fit_line_mae(x, y, steps: int = 300, eps: float = 1e-6) -> tuple[float, float]:
    """The line minimising the mean absolute error, by IRLS with weights 1/|u|."""
    xa, ya = _xy(x, y)
    return _irls(xa, ya, lambda u: 1.0 / np.maximum(np.abs(u), eps), steps)


def fit_line_huber(x, y, delta: float = 1.0, steps: int = 300) -> tuple[float, float]:
    """The line minimising the Huber loss, by IRLS: weight 1 inside delta, delta/|u| beyond."""
    if not delta > 0:
        raise ValueError(f"delta must be > 0; got {delta}")
    xa, ya = _xy(x, y)
    return _irls(xa, ya, lambda u: np.where(np.abs(u) <= delta, 1.0, delta / np.maximum(np.abs(u), 1e-300)), steps)


def fit_line_quantile(x, y, tau: float, steps: int = 500, eps: float = 1e-9) -> tuple[float, float]:
    """The line minimising the pinball loss at level tau, by IRLS: weights tau/|u| above, (1 - tau)/|u| below."""
    if not 0 < tau < 1:
        raise ValueError(f"tau must be strictly between 0 and 1; got {tau}")
    xa, ya = _xy(x, y)
    return _irls(xa, ya, lambda u: np.where(u > 0, tau, 1 - tau) / np.maximum(np.abs(u), eps), steps)


# --- the ten points and the outlier widget ----------------------------------------------------

TRUE_SLOPE, TRUE_INTERCEPT, LINE_NOISE = 0.5, 1.0, 0.4
OUTLIER_X = 9.0
XLIM, YLIM = (-0.5, 10.5), (-12.0, 22.0)
FIT_COLORS = {"MSE": plots.RED, "MAE": plots.GREEN, "Huber": plots.BLUE}
FIT_STYLES = {"MSE": dict(lw=2), "MAE": dict(lw=4, alpha=0.6, ls=":"), "Huber": dict(lw=2, ls="--")}


def outlier_data(seed: int = 0, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """n points on y = 0.5 x + 1 plus Gaussian noise (sd 0.4), x evenly spread over [0, 10]."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 10.0, n)
    return x, TRUE_SLOPE * x + TRUE_INTERCEPT + LINE_NOISE * rng.normal(size=n)


BASE_X, BASE_Y = outlier_data()


def outlier_fits(outlier_y: float = 15.0, delta: float = 1.0, x=BASE_X, y=BASE_Y) -> dict:
    """Fit y = a x + b under MSE, MAE and Huber to the points plus one outlier at (9, outlier_y)."""
    xs = np.append(validate.as_array(x, "x"), OUTLIER_X)
    ys = np.append(validate.as_array(y, "y"), float(outlier_y))
    fits = {"MSE": fit_line_mse(xs, ys), "MAE": fit_line_mae(xs, ys),
            "Huber": fit_line_huber(xs, ys, delta=delta)}
    return {"x": xs, "y": ys, "outlier": (OUTLIER_X, float(outlier_y)), "delta": delta,
            "fits": fits, "pred_at_outlier": {k: a * OUTLIER_X + b for k, (a, b) in fits.items()}}


class OutlierView:
    """Points (the outlier's marker moves) and three fitted lines, updated in place."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Data points in grey with one outlier (a white circle) that the slider moves up and down, "
           "and the straight line each loss fits: MSE (solid), MAE (thick, faded, dotted) "
           "and Huber (dashed). As the outlier moves away, the MSE line tilts towards it while the MAE and "
           "Huber lines stay with the other points.")

    def __init__(self, x=BASE_X, y=BASE_Y):
        self.fig, (ax,) = plots.new_figure(1, width=7.0, height=3.6)
        ax.scatter(x, y, color=plots.GREY, s=25, label="data", zorder=3)
        (self.outlier,) = ax.plot([], [], "o", color="black", mfc="white", ms=9, mew=2,
                                  label="outlier (slider)", zorder=4)
        self.lines = {name: ax.plot([], [], color=c, label=name, **FIT_STYLES[name])[0]  # MAE and Huber
                      for name, c in FIT_COLORS.items()}                              # often overlap
        self.xs = np.array(XLIM)
        ax.set(xlim=XLIM, ylim=YLIM, xlabel="x", ylabel="y", title="the line each loss fits")
        ax.legend(loc="upper left", fontsize=9)
        self.artists = [*self.lines.values(), self.outlier]

    def update(self, result: dict) -> None:
        self.outlier.set_data([result["outlier"][0]], [result["outlier"][1]])
        for name, (a, b) in result["fits"].items():
            self.lines[name].set_data(self.xs, a * self.xs + b)


def describe_fits(result: dict) -> str:
    """Readout: each loss's slope and intercept (the points alone have slope about 0.5)."""
    parts = [f"<b style='color:{plots.readable(FIT_COLORS[k])}'>{k}</b> slope {a:.3f}, intercept {b:.3f}"
             for k, (a, b) in result["fits"].items()]
    return f"outlier y = {result['outlier'][1]:.1f} · " + " · ".join(parts)


def outlier_widget():
    """The lesson's widget: drag the outlier up and down and watch the three lines."""
    from ..widgets import Lesson, slider
    controls = {"outlier_y": slider(15.0, -10.0, 20.0, 0.5, "outlier's y"),
                "delta": slider(1.0, 0.25, 5.0, 0.25, "Huber delta")}
    return Lesson(controls, outlier_fits, OutlierView(), describe_fits,
                  title="an outlier vs MSE, MAE, Huber")


# --- delivery times: skewed noise, where the mean and the quantiles part ----------------------

def delivery_data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic deliveries: distance in km (0.5 to 10) and time in minutes.

    minutes = 10 + 2·km + (1 + 0.8·km)·E with E ~ Exponential(1): most trips are close to
    the fast time, a few are very late, and the spread grows with the distance. Every
    quantile of the time at a given km is then a straight line in km.
    """
    n = validate.whole_number(n, "n", lo=1)
    rng = np.random.default_rng(seed)
    km = rng.uniform(0.5, 10.0, n)
    return km, 10.0 + 2.0 * km + (1.0 + 0.8 * km) * rng.exponential(1.0, n)


def true_quantile_line(tau: float) -> tuple[float, float]:
    """The exact tau-quantile of delivery_data's time at each km: (slope, intercept)."""
    e = -math.log(1 - tau)  # the tau-quantile of Exponential(1)
    return 2.0 + 0.8 * e, 10.0 + e


# --- figures (the notebook makes the axes and calls plt.show()) ------------------------------

def draw_squares(ax, x, y, a: float, b: float) -> None:
    """The points, the line a x + b and each residual's square: MSE is their mean area."""
    xs = np.array([x.min() - 0.5, x.max() + 0.5])
    ax.plot(xs, a * xs + b, color=plots.BLUE, lw=2, label=f"fitted line ŷ = {a:.2f}x + {b:.2f}")
    for xi, yi in zip(x, y):
        r = a * xi + b - yi  # the side of the square is |r|, drawn away from the line
        ax.add_patch(Rectangle((xi, yi), -r, r, facecolor=plots.GREY, alpha=0.3, edgecolor=plots.GREY))
        ax.plot([xi, xi], [yi, yi + r], color=plots.RED, lw=1)
    ax.scatter(x, y, color="black", s=20, zorder=3, label="data")
    ax.plot([], [], color=plots.RED, lw=1, label="residual r = ŷ − y")
    ax.fill([], [], facecolor=plots.GREY, alpha=0.3, label="r² (a square of side |r|)")
    ax.set_aspect("equal")
    ax.set(xlabel="x", ylabel="y", title="MSE = the mean area of the squares")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)


def draw_sum_vs_mean(axes, runs: dict, lr: float) -> None:
    """MSE curves of plain gradient descent on the sum and on the mean, one panel per N."""
    for ax, n in zip(axes, sorted({n for n, _ in runs})):
        for reduction, style in (("mean", dict(color=plots.BLUE, ls="-")), ("sum", dict(color=plots.RED, ls="--"))):
            ax.plot(runs[n, reduction], label=f"loss = {reduction} of squared errors", lw=2, **style)
        ax.set(xlabel="step", title=f"N = {n}, lr = {lr}", ylim=(-0.05, 2.6))
    axes[0].set_ylabel("MSE (the mean, for both runs)")
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)


def draw_losses_and_pulls(axes, delta: float = 1.0) -> None:
    """Left: squared, absolute and Huber loss of one residual; right: their derivatives (the pull)."""
    r = np.linspace(-4, 4, 401)
    curves = {"MSE: r²": (r ** 2, 2 * r, plots.RED, "-"),
              "MAE: |r|": (np.abs(r), np.sign(r), plots.GREEN, ":"),
              f"Huber (δ = {delta:g})": (losses.huber(r, np.zeros_like(r), delta, "none"),
                                          np.clip(r, -delta, delta), plots.BLUE, "--")}
    for name, (value, grad, color, ls) in curves.items():
        axes[0].plot(r, value, color=color, ls=ls, lw=2, label=name)
        axes[1].plot(r, grad, color=color, ls=ls, lw=2, label=name)
    axes[0].set(xlabel="residual r", ylabel="loss", ylim=(0, 8), title="loss of one residual")
    axes[1].set(xlabel="residual r", ylabel="d loss / d r", title="how hard it pulls")
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)


def draw_quantile_lines(ax, km, minutes, lines: dict) -> None:
    """Deliveries and the fitted lines, each given as label -> (slope, intercept)."""
    ax.scatter(km, minutes, s=8, color=plots.GREY, alpha=0.6, label="deliveries")
    xs = np.array([0.0, 10.5])
    styles = [dict(color=plots.GREEN, ls=":"), dict(color=plots.BLUE, ls="-"), dict(color=plots.GREEN, ls="-."),
              dict(color=plots.RED, ls="--")]
    for (label, (a, b)), style in zip(lines.items(), styles):
        ax.plot(xs, a * xs + b, lw=2, label=label, **style)
    ax.set(xlabel="distance (km)", ylabel="delivery time (minutes)", title="one line per loss", ylim=(0, 80))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)


# --- checkers for the exercises -------------------------------------------------------------

def _two_numbers(answer) -> tuple[float, float] | None:
    """An answer given as two numbers (a tuple, list, array or tensor), else None."""
    if isinstance(answer, (str, bytes, dict, set)):
        return None
    try:
        arr = validate.as_array(answer, "answer").ravel()
    except ValueError:
        return None
    if arr.size != 2 or not np.all(np.isfinite(arr)):
        return None
    return float(arr[0]), float(arr[1])


def check_best_constants(answer, targets) -> checks.Verdict:
    """A prediction (best constant under MSE, best constant under MAE) for an odd number of targets."""
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    t = validate.finite(validate.as_array(targets, "targets"), "targets")
    got = _two_numbers(answer)
    if got is None:
        return checks.Verdict("wrong", f"give two numbers, (best for MSE, best for MAE); got {answer!r}")
    mean, median = float(t.mean()), float(np.median(t))
    hits = [checks.check_number(g, w).status == "correct" for g, w in zip(got, (mean, median))]
    shown = f"({got[0]:.4f}, {got[1]:.4f})"
    if all(hits):
        return checks.Verdict("correct", f"MSE's best constant is the mean {mean:.4f}, MAE's the median {median:.4f}")
    swapped = [checks.check_number(g, w).status == "correct" for g, w in zip(got, (median, mean))]
    if all(swapped):
        return checks.Verdict("wrong", f"{shown}. Hint: swapped: squaring is what makes the mean best "
                                       "(d/dc of the mean of (c - y)² is 2(c - mean))")
    without = np.delete(t, np.argmax(np.abs(t - median)))
    if checks.check_number(got[0], without.mean()).status == "correct":
        return checks.Verdict("wrong", f"{shown}. Hint: the far-off value counts too: the MSE's constant is the "
                                       "mean of all the targets, and squaring gives the far one a strong pull")
    if hits[0]:
        return checks.Verdict("wrong", f"{shown}. Hint: the MSE part is right; MAE's best constant has as many "
                                       "targets above it as below it")
    if hits[1]:
        return checks.Verdict("wrong", f"{shown}. Hint: the MAE part is right; for MSE set the derivative "
                                       "2(c - mean) to zero")
    return checks.Verdict("wrong", f"{shown}. Hint: one of them is the mean of the targets, the other the median")


def check_sum_lr(answer, lr_mean: float, n: int) -> checks.Verdict:
    """The learning rate that makes sum-of-squares training take the same steps as mean-MSE."""
    want = lr_mean / n  # a small number: check_number's tolerances are relative
    return checks.check_number(answer, want, mistakes={
        "the sum's gradient is N times larger, so the learning rate must be N times smaller": lr_mean * n,
        "with the same learning rate the sum takes N times bigger steps": lr_mean,
        "the gradient of the sum is N times that of the mean, not √N times": lr_mean / math.sqrt(n),
    }, hint="grad(sum) = N · grad(mean); the step is lr · grad")


def check_adam_sum_lr(answer, lr_mean: float, n: int) -> checks.Verdict:
    """Adam's learning rate for the summed loss: unchanged, because Adam's step ignores the gradient's scale."""
    return checks.check_number(answer, lr_mean, mistakes={
        "that is the rule for plain SGD; Adam divides by the gradient's running size, "
        "so multiplying the loss by N leaves its step as it was": lr_mean / n,
        "the summed loss has a larger gradient, but Adam's step does not grow with it": lr_mean * n,
        "not √N either: Adam's m̂ / √v̂ does not change when every gradient is multiplied by N":
            lr_mean / math.sqrt(n),
    }, hint="Adam steps by lr · m̂ / (√v̂ + ε): multiply every gradient by N and see what changes")


PROMISE_TAU = 0.9          # "late at most 1 time in 10"
PROMISE_BAND = (0.07, 0.13)  # the late share the checker accepts on new deliveries
PROMISE_TEST = dict(n=20_000, seed=12345)  # new deliveries the checker draws (not the learner's data)


def late_share(slope: float, intercept: float) -> float:
    """The share of new deliveries (PROMISE_TEST) that take longer than the promise slope·km + intercept."""
    km, minutes = delivery_data(**PROMISE_TEST)
    return float((minutes > slope * km + intercept).mean())


def check_promise_line(answer) -> checks.Verdict:
    """A promised time, a line (slope in minutes per km, intercept in minutes), kept about 9 times in 10."""
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    got = _two_numbers(answer)
    if got is None:
        return checks.Verdict("wrong", f"give the line as two numbers, (slope, intercept); got {answer!r}")
    share = late_share(*got)
    seen = f"on 20,000 new deliveries, {share:.1%} took longer than your promise"
    lo, hi = PROMISE_BAND
    if lo <= share <= hi:
        return checks.Verdict("correct", seen)
    if share < 0.01:
        return checks.Verdict("wrong", f"{seen}. Hint: a promise that is almost never broken is one nobody wants "
                                       "to wait for: aim for about 10 % late, not 0 %")
    if share < lo:
        return checks.Verdict("wrong", f"{seen}. Hint: too cautious: the promise is longer than it needs to be")
    if 0.30 <= share <= 0.42:
        return checks.Verdict("wrong", f"{seen}. Hint: that is close to the MSE line: it predicts the mean, and "
                                       "with skewed delays the mean is broken about a third of the time")
    if 0.42 < share < 0.58:
        return checks.Verdict("wrong", f"{seen}. Hint: that is the median line (τ = 0.5, or MAE): late half the time")
    if share >= 0.8:
        return checks.Verdict("wrong", f"{seen}. Hint: the line lies below most deliveries: with the pinball loss, "
                                       "a share τ of the points ends up BELOW the τ-line")
    return checks.Verdict("wrong", f"{seen}. Hint: not cautious enough: a share τ of the points ends up below "
                                   "the τ-line, so choose τ from the share you want kept")


def check_gaussian_nll(answer, pred, target, sigma: float) -> checks.Verdict:
    """Mean Gaussian NLL (full, with the constant) of target under N(pred, sigma²)."""
    p, t = validate.pair(pred, target)
    want = losses.gaussian_nll(p, t, sigma)
    m = losses.mse(p, t)
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    return checks.check_number(answer, want, mistakes={
        "you left out the constant log(σ) + log(2π)/2; F.gaussian_nll_loss(full=True) keeps it":
            m / (2 * sigma ** 2),
        "you passed σ as var: F.gaussian_nll_loss takes the variance σ², so give it var = σ ** 2":
            m / (2 * sigma) + 0.5 * math.log(sigma) + half_log_2pi,
        "the squared error is divided by 2σ² (the variance), not by 2σ":
            m / (2 * sigma) + math.log(sigma) + half_log_2pi,
        "that is the MSE itself; the NLL scales it by 1/(2σ²) and adds a constant": m,
        "that is the sum over the points; take the mean": losses.gaussian_nll(p, t, sigma, "sum"),
        "without full=True, F.gaussian_nll_loss leaves out ½ log 2π; the question asks for every constant":
            want - half_log_2pi,
    }, hint="mean of (y - μ)²/(2σ²) + log σ + ½ log 2π")
