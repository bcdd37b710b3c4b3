"""Lesson 08 (regularization_and_overfitting): overfitting, the L2 penalty, weight decay and count smoothing.

What the notebook calls, by job (the notebook writes the lesson's loops itself; these are the
data, the closed-form fits behind the two sliders, the figures and the checkers):

- polynomial regression on a seeded sample of a known curve (synthetic on purpose: the
  learner can see the true curve the fit should find), fitted by ridge regression, so a
  slider can refit it in about a millisecond;
- the L2 penalty `λ · mean(w²)` and the `weight_decay` of SGD that equals it;
- a bigram model of names, where add-α smoothing of the counts regularises the
  maximum-likelihood estimate toward the uniform distribution (the counts, the add-α
  estimate and its NLL are `helpers.data.bigram_counts`, `bigram_probs`, `bigram_nll`).

This package's `views.py` holds the figures (the static ones the notebook draws and the two
widgets' views and readouts); `checkers.py` the exercise checkers. Both are re-exported here.

Losses are mean squared errors (for regression) or mean NLL in nats (for bigrams).
Bad input raises ValueError saying what was wrong and what is expected.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ... import validate
from ...data import bigram_counts, bigram_nll, bigram_probs, build_vocab, load_names, split_names

# --- data: a seeded noisy sample of a known smooth curve ----------------------------------

CURVE_NOISE = 0.25          # standard deviation of the noise added to the true curve
N_TRAIN, N_VAL = 12, 200
LOG10_LAMBDAS = np.round(np.arange(-8.0, 1.0 + 1e-9, 0.25), 2)  # the λ grid of the curves
MAX_DEGREE = 11
X_GRID = np.linspace(-1, 1, 200)  # where fitted curves are drawn


def true_curve(x) -> np.ndarray:
    """The curve the data come from: sin(πx) on [-1, 1]."""
    return np.sin(np.pi * validate.as_array(x, "x"))


def make_poly_data(n_train: int = N_TRAIN, n_val: int = N_VAL, noise: float = CURVE_NOISE,
                   seed: int = 0) -> dict:
    """Synthetic data: x uniform on [-1, 1], y = sin(πx) + Gaussian noise; a train and a validation set."""
    if n_train < 1 or n_val < 1:
        raise ValueError(f"n_train and n_val must be >= 1; got {n_train} and {n_val}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0; got {noise}")
    rng = np.random.default_rng(seed)
    x_train = np.sort(rng.uniform(-1, 1, n_train))
    y_train = true_curve(x_train) + noise * rng.standard_normal(n_train)
    x_val = np.sort(rng.uniform(-1, 1, n_val))
    y_val = true_curve(x_val) + noise * rng.standard_normal(n_val)
    return {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val}


# --- polynomial ridge regression ----------------------------------------------------------

def _check_lam(lam, name: str = "lam") -> float:
    lam = float(lam)
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(f"{name} (the penalty strength λ) must be a finite number >= 0; got {lam}")
    return lam


def poly_features(x, degree: int) -> np.ndarray:
    """The design matrix [1, x, x², ..., x^degree], shape [n, degree + 1]."""
    degree = validate.whole_number(degree, "degree")
    x = validate.as_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D; got shape {list(x.shape)}")
    return x[:, None] ** np.arange(degree + 1)


def l2_penalty(w, lam: float = 0.01) -> float:
    """The L2 penalty in its mean form: λ · mean(w²) (the mean over every weight)."""
    lam = _check_lam(lam)
    w = validate.as_array(w, "w")
    if w.size == 0:
        raise ValueError("w is empty; expected at least one weight")
    return float(lam * np.mean(w ** 2))


def ridge_loss(w, x, y, degree: int, lam: float) -> float:
    """Training objective: mean squared error + λ · mean(w²)."""
    x, y = validate.points(x, y)
    w = validate.as_array(w, "w")
    X = poly_features(x, degree)
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have degree + 1 = {X.shape[1]} entries; got shape {list(w.shape)}")
    return float(np.mean((X @ w - y) ** 2)) + l2_penalty(w, lam)


def ridge_fit(x, y, degree: int, lam: float = 0.0) -> np.ndarray:
    """The exact minimiser of mean((Xw - y)²) + λ · mean(w²): coefficients, constant term first.

    Setting the gradient to zero gives (XᵀX + λ' I) w = Xᵀy with λ' = λ · n / (degree + 1)
    (n points; the two means have different denominators). We solve the equivalent
    least-squares problem [X; √λ' I] w ≈ [y; 0], which stays accurate when XᵀX is nearly
    singular (high degree, few points) and is plain least squares at λ = 0.
    """
    x, y = validate.points(x, y)
    lam = _check_lam(lam)
    X = poly_features(x, degree)
    n, m = X.shape
    lam_prime = lam * n / m
    A = np.vstack([X, math.sqrt(lam_prime) * np.eye(m)])
    b = np.concatenate([y, np.zeros(m)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def poly_mse(w, x, y) -> float:
    """Mean squared error of the polynomial with coefficients w on the points (x, y)."""
    x, y = validate.points(x, y)
    w = validate.as_array(w, "w")
    return float(np.mean((poly_features(x, len(w) - 1) @ w - y) ** 2))


def degree_sweep(data: dict, degrees=range(MAX_DEGREE + 1), lam: float = 0.0) -> dict:
    """Train and validation MSE of the fit at each degree (capacity grows left to right)."""
    degrees = [validate.whole_number(d, "degree") for d in degrees]
    train, val = [], []
    for d in degrees:
        w = ridge_fit(data["x_train"], data["y_train"], d, lam)
        train.append(poly_mse(w, data["x_train"], data["y_train"]))
        val.append(poly_mse(w, data["x_val"], data["y_val"]))
    return {"degrees": np.array(degrees), "train": np.array(train), "val": np.array(val)}


def lambda_sweep(data: dict, degree: int, log10_lambdas=LOG10_LAMBDAS) -> dict:
    """Train / validation MSE and ‖w‖ of the ridge fit for each λ = 10**log10_lambdas."""
    lams = 10.0 ** np.asarray(log10_lambdas, dtype=float)
    ws = [ridge_fit(data["x_train"], data["y_train"], degree, lam) for lam in lams]
    train = np.array([poly_mse(w, data["x_train"], data["y_train"]) for w in ws])
    val = np.array([poly_mse(w, data["x_val"], data["y_val"]) for w in ws])
    best = int(np.argmin(val))
    return {"lams": lams, "train": train, "val": val, "norms": np.array([np.linalg.norm(w) for w in ws]),
            "best_lam": float(lams[best]), "best_val": float(val[best])}


# --- the λ slider: compute (its view and readout are in views.py) ------------------------------

@lru_cache(maxsize=None)
def _default_data() -> tuple:
    d = make_poly_data()
    return tuple(d[k] for k in ("x_train", "y_train", "x_val", "y_val"))


def default_data() -> dict:
    """The notebook's data set (seed 0), built once; a fresh dict of copies each call."""
    keys = ("x_train", "y_train", "x_val", "y_val")
    return {k: v.copy() for k, v in zip(keys, _default_data())}


@lru_cache(maxsize=None)
def default_sweep(degree: int) -> dict:
    """`lambda_sweep` of the notebook's data set at this degree, computed once."""
    return lambda_sweep(default_data(), degree)


def ridge_at(degree: int = 9, log10_lam: float = -2.0, data: dict | None = None) -> dict:
    """Fit at one λ = 10**log10_lam: coefficients, the curve on X_GRID, losses, and the λ curves."""
    degree = validate.whole_number(degree, "degree")
    if not math.isfinite(float(log10_lam)):
        raise ValueError(f"log10_lam must be a finite number; got {log10_lam}")
    lam = 10.0 ** float(log10_lam)
    if data is None:
        data, sweep = default_data(), default_sweep(degree)  # the curve is computed once per degree
    else:
        sweep = lambda_sweep(data, degree)
    w = ridge_fit(data["x_train"], data["y_train"], degree, lam)
    return {"degree": degree, "lam": lam, "w": w, "grid": X_GRID, "fit": poly_features(X_GRID, degree) @ w,
            "train_mse": poly_mse(w, data["x_train"], data["y_train"]),
            "val_mse": poly_mse(w, data["x_val"], data["y_val"]),
            "penalty": l2_penalty(w, lam), "norm": float(np.linalg.norm(w)), "sweep": sweep}


def ridge_widget(degree: int = 9, log10_lam: float = -2.0):
    """The λ widget: a slider over log10 λ and one over the polynomial degree."""
    from ...widgets import Lesson, slider
    from .views import RidgeView, describe_ridge
    controls = {"log10_lam": slider(log10_lam, float(LOG10_LAMBDAS[0]), float(LOG10_LAMBDAS[-1]), 0.25,
                                    "log10 λ"),
                "degree": slider(degree, 0, MAX_DEGREE, 1, "degree", integer=True)}
    return Lesson(controls, ridge_at, RidgeView(), describe_ridge,
                  title="ridge regression: λ and degree")


# --- weight decay ------------------------------------------------------------------------------

def weight_decay_for_mean_penalty(lam: float, n_weights: int) -> float:
    """The SGD weight_decay equal to adding λ · mean(w²) to the loss: 2λ / n_weights.

    The gradient of λ · mean(w²) = (λ / n) Σ w² is (2λ / n) w, and SGD's weight_decay=wd
    adds wd · w to the gradient, so wd = 2λ / n.
    """
    lam = _check_lam(lam)
    return 2.0 * lam / validate.whole_number(n_weights, "n_weights", lo=1)


# --- bigram counts: how far add-α smoothing pulls toward uniform -------------------------------------

def shrinkage_weight(row_total, alpha: float, n_next: int) -> float | np.ndarray:
    """How far add-α pulls a row toward uniform: q = (1 - s)·MLE + s·uniform with s = Vα / (N + Vα)."""
    alpha = float(alpha)
    if math.isnan(alpha) or alpha < 0:
        raise ValueError(f"alpha (the pseudo-count) must be >= 0; got {alpha}")
    total = validate.as_array(row_total, "row_total")
    if np.any(total < 0):
        raise ValueError(f"row_total must be >= 0; got {total.min():.4g}")
    s = n_next * alpha / (total + n_next * alpha)
    return float(s) if np.ndim(s) == 0 else s


def smoothing_sweep(train_counts, val_counts, alphas) -> dict:
    """Train and validation NLL of the add-α model fitted on train_counts, for each α."""
    alphas = np.asarray(alphas, dtype=float)
    train, val = [], []
    for a in alphas:
        q = bigram_probs(train_counts, a)
        train.append(bigram_nll(q, train_counts))
        val.append(bigram_nll(q, val_counts))
    train, val = np.array(train), np.array(val)
    best = int(np.argmin(val))
    return {"alphas": alphas, "train": train, "val": val, "best_alpha": float(alphas[best])}


# --- the α slider: add-α smoothing of one row, compute (view and readout in views.py) -----------

LOG10_ALPHAS = np.round(np.arange(-3.0, 3.0 + 1e-9, 0.25), 2)  # the α grid of the curves


def smoothing_at(log10_alpha: float = 0.0, prev: str = "q", *, train_counts, val_counts, itos) -> dict:
    """Add-α estimate at α = 10**log10_alpha: the row q(· | prev) against its MLE, and both NLLs."""
    if not math.isfinite(float(log10_alpha)):
        raise ValueError(f"log10_alpha must be a finite number; got {log10_alpha}")
    if prev not in itos:
        raise ValueError(f"prev must be one of the symbols {''.join(itos)!r}; got {prev!r}")
    train_counts, val_counts = validate.counts(train_counts), validate.counts(val_counts)
    if train_counts.shape != (len(itos), len(itos)) or val_counts.shape != train_counts.shape:
        raise ValueError(f"counts must both be [{len(itos)}, {len(itos)}]; got {list(train_counts.shape)} "
                         f"and {list(val_counts.shape)}")
    alpha = 10.0 ** float(log10_alpha)
    i = list(itos).index(prev)
    q = bigram_probs(train_counts, alpha)
    row_total = float(train_counts[i].sum())
    mle_row = train_counts[i] / row_total if row_total > 0 else np.full(len(itos), np.nan)
    return {"alpha": alpha, "prev": prev, "row": q[i], "mle_row": mle_row, "row_total": row_total,
            "shrinkage": shrinkage_weight(row_total, alpha, len(itos)),
            "train_nll": bigram_nll(q, train_counts), "val_nll": bigram_nll(q, val_counts)}


@lru_cache(maxsize=None)
def _default_counts() -> tuple:
    names = load_names()
    stoi, itos = build_vocab(names)
    train, val = split_names(names, 0.1, seed=0)
    return bigram_counts(train[:200], stoi), bigram_counts(val, stoi), tuple(itos)


def smoothing_widget(train_counts=None, val_counts=None, itos=None, prev: str = "q", log10_alpha: float = 0.0):
    """The α widget: a slider over log10 α and a choice of the previous character.

    The counts default to the lesson's: the first 200 training names and the validation names.
    """
    from functools import partial

    import ipywidgets as widgets

    from ...widgets import Lesson, slider
    from .views import SmoothingView, describe_smoothing
    if train_counts is None:
        train_counts, val_counts, itos = _default_counts()
    train_counts, val_counts = validate.counts(train_counts), validate.counts(val_counts)
    controls = {"log10_alpha": slider(log10_alpha, float(LOG10_ALPHAS[0]), float(LOG10_ALPHAS[-1]), 0.25,
                                      "log10 α"),
                "prev": widgets.Dropdown(options=list(itos), value=prev, description="previous character",
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(width="200px"))}
    compute = partial(smoothing_at, train_counts=train_counts, val_counts=val_counts, itos=list(itos))
    return Lesson(controls, compute, SmoothingView(train_counts, val_counts, itos), describe_smoothing,
                  title="add-α smoothing: a slider over α")


# --- figures and checkers, by job, in this package's other modules (re-exported for the notebook) ---
from .checkers import (  # noqa: E402, F401  (they use the functions above)
    BEST_LAMBDA_TOLERANCE, best_alpha, check_best_lambda, check_decay_groups, check_pull_shift, check_weight_decay)
from .views import draw_degree_sweep, draw_fits, draw_training_curves, draw_weight_histograms  # noqa: E402, F401
