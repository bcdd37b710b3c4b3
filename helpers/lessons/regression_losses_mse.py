"""Lesson 06 (regression_losses_mse): line fits under MSE, MAE and Huber, the outlier widget, checkers.

The losses themselves (mse, mae, huber, gaussian_nll) are written out in the notebook and
kept, checked against torch, in `helpers.losses`. Everything here is numpy float64.
"""
from __future__ import annotations

import math

import numpy as np

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

    Each step solves the weighted least-squares normal equations from five dot products
    (the products x·x and x·y are computed once), which keeps a slider move fast.
    """
    xx, xy = x * x, x * y
    a, b = _weighted_line(x, y, np.ones_like(x))
    for _ in range(steps):
        w = weights(np.abs(y - (a * x + b)))
        sw, sx, sy, sxx, sxy = w.sum(), w @ x, w @ y, w @ xx, w @ xy
        a_new = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
        b_new = (sy - a_new * sx) / sw
        done = abs(a_new - a) + abs(b_new - b) < 1e-10
        a, b = float(a_new), float(b_new)
        if done:
            break
    return a, b


def fit_line_mae(x, y, steps: int = 300, eps: float = 1e-6) -> tuple[float, float]:
    """The line minimising the mean absolute error, by IRLS with weights 1/|r|."""
    xa, ya = _xy(x, y)
    return _irls(xa, ya, lambda r: 1.0 / np.maximum(r, eps), steps)


def fit_line_huber(x, y, delta: float = 1.0, steps: int = 300) -> tuple[float, float]:
    """The line minimising the Huber loss, by IRLS: weight 1 inside delta, delta/|r| beyond."""
    if not delta > 0:
        raise ValueError(f"delta must be > 0; got {delta}")
    xa, ya = _xy(x, y)
    return _irls(xa, ya, lambda r: np.where(r <= delta, 1.0, delta / np.maximum(r, 1e-300)), steps)


# --- the outlier widget ---------------------------------------------------------------------

TRUE_SLOPE, TRUE_INTERCEPT, LINE_NOISE = 0.5, 1.0, 0.4
OUTLIER_X = 9.0
XLIM, YLIM = (-0.5, 10.5), (-12.0, 22.0)
FIT_COLORS = {"MSE": plots.RED, "MAE": plots.GREEN, "Huber": plots.BLUE}


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
           "and the straight line each loss fits: MSE (solid), MAE (thick, faded) and Huber "
           "(dashed). As the outlier moves away, the MSE line tilts towards it while the MAE and "
           "Huber lines stay with the other points.")

    def __init__(self, x=BASE_X, y=BASE_Y):
        self.fig, (ax,) = plots.new_figure(1, width=7.0, height=3.6)
        ax.scatter(x, y, color=plots.GREY, s=25, label="data", zorder=3)
        (self.outlier,) = ax.plot([], [], "o", color="black", mfc="white", ms=9, mew=2,
                                  label="outlier (slider)", zorder=4)
        styles = {"MSE": dict(lw=2), "MAE": dict(lw=4, alpha=0.6), "Huber": dict(lw=2, ls="--")}  # MAE and
        self.lines = {name: ax.plot([], [], color=c, label=name, **styles[name])[0]  # Huber often overlap
                      for name, c in FIT_COLORS.items()}
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


# --- checkers for the exercises -------------------------------------------------------------

def check_mse(answer, pred, target) -> checks.Verdict:
    """The mean squared error of pred against target, with hints for the usual slips."""
    p, t = validate.pair(pred, target)
    return checks.check_number(answer, losses.mse(p, t), mistakes={
        "that is the sum of squared errors; the mean divides by N": losses.mse(p, t, "sum"),
        "that is the mean absolute error: square the differences, do not take |.|": losses.mae(p, t),
        "that is the root of the MSE (RMSE); leave out the square root": math.sqrt(losses.mse(p, t)),
        "you averaged the signed differences and squared that; square each difference first":
            float((p - t).mean() ** 2),
    }, hint="subtract, square each difference, then average")


def check_sum_lr(answer, lr_mean: float, n: int) -> checks.Verdict:
    """The learning rate that makes sum-of-squares training take the same steps as mean-MSE."""
    want = lr_mean / n  # a small number: check_number's tolerances are relative
    return checks.check_number(answer, want, mistakes={
        "the sum's gradient is N times larger, so the learning rate must be N times smaller": lr_mean * n,
        "with the same learning rate the sum takes N times bigger steps": lr_mean,
    }, hint="grad(sum) = N · grad(mean); the step is lr · grad")


def _huber_ref(r, delta):
    return losses.huber(np.asarray(r, float), np.zeros(np.shape(r)), delta, "none")


HUBER_CASES = [(np.array([0.0, 0.5, -0.8, 2.0, -3.0]), 1.0), (np.array([0.1, 4.0, -6.0]), 2.0),
               (np.array([1.5, -0.2]), 0.5)]


def _numpy_or_torch(fn):
    """Call fn on numpy arrays; if it only works on tensors (r.abs(), torch.where), call it on tensors."""
    def call(r, delta):
        try:
            return fn(r, delta)
        except (AttributeError, TypeError):
            import torch  # only needed for a learner's torch code
            return fn(torch.as_tensor(r), delta)
    return call


def check_huber_fn(fn) -> checks.Verdict:
    """A learner's huber(r, delta) on residuals, element-wise, against the reference (numpy or torch code)."""
    if callable(fn):
        fn = _numpy_or_torch(fn)
    return checks.check_function(fn, _huber_ref, HUBER_CASES, mistakes={
        "inside delta the Huber loss is r²/2 (you left out the 1/2)":
            lambda r, d: np.where(np.abs(r) <= d, r ** 2, d * (np.abs(r) - 0.5 * d)),
        "that is smooth_l1 (Huber divided by delta); huber keeps delta·(|r| - delta/2) outside":
            lambda r, d: _huber_ref(r, d) / d,
        "outside delta the loss is delta·(|r| - delta/2), not delta·|r|: the two pieces must meet":
            lambda r, d: np.where(np.abs(r) <= d, 0.5 * r ** 2, d * np.abs(r)),
        "use |r| in the linear part: a negative residual must give a positive loss":
            lambda r, d: np.where(np.abs(r) <= d, 0.5 * r ** 2, d * (r - 0.5 * d)),
    })


def check_gaussian_nll(answer, pred, target, sigma: float) -> checks.Verdict:
    """Mean Gaussian NLL (full, with the constant) of target under N(pred, sigma²)."""
    p, t = validate.pair(pred, target)
    want = losses.gaussian_nll(p, t, sigma)
    m = losses.mse(p, t)
    return checks.check_number(answer, want, mistakes={
        "you left out the constant log(σ) + log(2π)/2; F.gaussian_nll_loss(full=True) keeps it":
            m / (2 * sigma ** 2),
        "the squared error is divided by 2σ² (the variance), not by 2σ":
            m / (2 * sigma) + math.log(sigma) + 0.5 * math.log(2 * math.pi),
        "that is the MSE itself; the NLL scales it by 1/(2σ²) and adds a constant": m,
        "that is the sum over the points; take the mean": losses.gaussian_nll(p, t, sigma, "sum"),
    }, hint="mean of (y - μ)²/(2σ²) + log σ + ½ log 2π")
