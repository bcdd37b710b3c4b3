"""Lesson 10 · Scoring a model: perplexity, calibration and proper scores.

The notebook writes every computation out; this module holds the same computations for the
lesson's widgets, checkers and tests (tests/lessons/test_scoring_a_model.py checks them
against torch):

- the trigram table: `lesson_data`, `contexts`, `count_table`, `train_table`, `fit_temperature`
- scores of a classifier: `accuracy`, `reliability` (binned, with its `ece`), `Predictions`,
  `temperature_scores`
- proper scoring rules: `expected_forecast_scores`, `proper_scores`
- forward vs reverse KL (`kl.py`): `mixture_log_density`, `kl_on_grid`, `fit_gaussian`, `kl_fit`
- widgets (each wraps one of the pure functions above): `proper_scores_widget`,
  `temperature_widget`, `kl_widget`; static figures: `draw_accuracy_step`, `draw_reliability`
  (figures and readouts in `views.py`)
- checkers: `check_temperature_direction`, `check_perplexity_per_name`, `check_long_temperature`,
  `check_mle_train_ece`, `check_kl_div_call`
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from ... import checks, data, validate
from ...widgets import Lesson, slider
from .kl import KL_DIV_SNIPPETS as KL_DIV_SNIPPETS  # exercise (d), with its checker
from .kl import check_kl_div_call as check_kl_div_call
from .kl import kl_fit

N_SYMBOLS = 27                 # '.' and a..z
N_CONTEXTS = N_SYMBOLS ** 2    # the two previous symbols
N_BINS = 15                    # equal-width confidence bins (torchmetrics' CalibrationError default)
TRAIN_STEPS, TRAIN_LR = 300, 50.0
FIT_STEPS, FIT_LR = 50, 1.0
LONG_STEPS = 900               # exercise (b): the same table trained three times as long
N_FEW = 500                    # the table is trained on the first 500 training names only


# --- the data and the trigram table ---------------------------------------------------------

def contexts(X) -> torch.Tensor:
    """Context index 27·a + b of the two previous symbols (a, b): X [N, 2] -> [N] in 0..728."""
    X = torch.as_tensor(X)
    if X.ndim != 2 or X.shape[1] != 2 or X.dtype.is_floating_point:
        raise ValueError(f"X must be integer symbol indices of shape [N, 2]; got {X.dtype} {list(X.shape)}")
    if X.numel() and (X.min() < 0 or X.max() >= N_SYMBOLS):
        raise ValueError(f"symbol indices must be 0..{N_SYMBOLS - 1}; got {int(X.min())}..{int(X.max())}")
    return N_SYMBOLS * X[:, 0] + X[:, 1]


def count_table(ctx, target) -> torch.Tensor:
    """counts[c, y]: how often symbol y follows context c. [729, 27], float64."""
    ctx, target = torch.as_tensor(ctx), torch.as_tensor(target)
    if ctx.shape != target.shape or ctx.ndim != 1:
        raise ValueError(f"ctx and target must both be [N]; got {list(ctx.shape)} and {list(target.shape)}")
    if ctx.numel() and (ctx.min() < 0 or ctx.max() >= N_CONTEXTS or target.min() < 0 or target.max() >= N_SYMBOLS):
        raise ValueError(f"contexts must be 0..{N_CONTEXTS - 1} and targets 0..{N_SYMBOLS - 1}")
    flat = torch.bincount(ctx * N_SYMBOLS + target, minlength=N_CONTEXTS * N_SYMBOLS)
    return flat.view(N_CONTEXTS, N_SYMBOLS).double()


def train_table(counts, steps: int = TRAIN_STEPS, lr: float = TRAIN_LR) -> torch.Tensor:
    """The notebook's loop: full-batch gradient descent on the mean NLL, from a table of zeros."""
    counts = torch.as_tensor(counts, dtype=torch.float64)
    if counts.ndim != 2 or (counts < 0).any() or counts.sum() <= 0:
        raise ValueError("counts must be a [contexts, symbols] table of counts >= 0 with at least one count")
    W = torch.zeros(counts.shape, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        loss = -(counts * F.log_softmax(W, dim=-1)).sum() / counts.sum()
        W.grad = None
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
    return W.detach()


def _logits_target(logits, target):
    logits = torch.as_tensor(logits, dtype=torch.float64)
    target = torch.as_tensor(validate.as_class_indices(target))       # int64; refuses fractional "classes"
    if logits.ndim != 2 or target.shape != logits.shape[:1]:
        raise ValueError(f"expected logits [N, C] and target [N]; got {list(logits.shape)} and {list(target.shape)}")
    validate.targets(target.numpy(), tuple(logits.shape[:1]), logits.shape[1], None)
    return logits, target


def _descend_log_t(nll_at, steps: int, lr: float) -> float:
    """Gradient descent on log T (so T stays > 0) of nll_at(T), from T = 1."""
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        loss = nll_at(log_t.exp())
        log_t.grad = None
        loss.backward()
        with torch.no_grad():
            log_t -= lr * log_t.grad
    return log_t.exp().item()


def fit_temperature(logits, target, steps: int = FIT_STEPS, lr: float = FIT_LR) -> float:
    """The notebook's fit: the T that minimises the mean NLL of logits / T."""
    logits, target = _logits_target(logits, target)
    return _descend_log_t(lambda t: F.cross_entropy(logits / t, target), steps, lr)


@lru_cache(maxsize=1)
def lesson_data() -> dict:
    """The lesson's splits as contexts and targets: the few training names, validation, test."""
    all_names = data.load_names()
    stoi, _ = data.build_vocab(all_names)
    train_names, val_names = data.split_names(all_names, val_fraction=0.1, seed=0)
    out = {}
    for split, group in {"few": train_names[:N_FEW], "val": val_names, "test": train_names[N_FEW:]}.items():
        X, Y = data.build_dataset(group, stoi, block_size=2)
        out[split] = (contexts(X), Y)
    out["counts"] = count_table(*out["few"])
    return out


@lru_cache(maxsize=4)
def trained_table(steps: int = TRAIN_STEPS) -> torch.Tensor:
    """The lesson's table after `steps` steps (cached: the checkers and tests share it)."""
    return train_table(lesson_data()["counts"], steps=steps)


# --- scores of a classifier -------------------------------------------------------------------

def accuracy(logits, target) -> float:
    """The fraction of examples whose top logit is the target (ties: the first top class)."""
    logits, target = _logits_target(logits, target)
    return float((logits.argmax(dim=-1) == target).double().mean())


def binned(conf, weight, right, n_bins: int = N_BINS) -> dict:
    """Bin k holds confidences in (k/M, (k+1)/M]. conf [U], weight [U] examples, right [U] correct ones.

    Returns per-bin count, accuracy and mean confidence (nan for an empty bin) and the ECE
    = Σ_b (n_b / N) |accuracy_b − confidence_b|.
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a whole number >= 1; got {n_bins!r}")
    conf, weight, right = (np.asarray(a, dtype=np.float64) for a in (conf, weight, right))
    idx = np.clip(np.ceil(conf * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    count = np.bincount(idx, weight, n_bins)
    correct = np.bincount(idx, right, n_bins)
    claimed = np.bincount(idx, weight * conf, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc, mean_conf = correct / count, claimed / count
    return {"edges": np.linspace(0.0, 1.0, n_bins + 1), "count": count, "accuracy": acc,
            "confidence": mean_conf, "ece": float(np.abs(correct - claimed).sum() / count.sum())}


def reliability(logits, target, n_bins: int = N_BINS) -> dict:
    """Top-1 reliability bins and ECE of a classifier, one example at a time (see `binned`)."""
    logits, target = _logits_target(logits, target)
    conf, pred = F.softmax(logits, dim=-1).max(dim=-1)              # [N], [N]
    return binned(conf.numpy(), np.ones(len(target)), (pred == target).double().numpy(), n_bins)


class Predictions:
    """Logits [N, C] and targets [N] grouped by distinct logit rows, so a rescoring costs little.

    A table model has at most one row per context (729 here), however many examples it scores.
    """

    def __init__(self, logits, target):
        logits, target = _logits_target(logits, target)
        # group equal rows by a random projection (fast), then make sure the grouping is exact
        key = logits @ torch.randn(logits.shape[1], dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        _, inverse = torch.unique(key, return_inverse=True)                  # [N] group of each example
        self.rows = torch.zeros(int(inverse.max()) + 1, logits.shape[1], dtype=torch.float64)
        self.rows.index_copy_(0, inverse, logits)                            # [U, C] one row per group
        if not torch.equal(self.rows[inverse], logits):                      # two rows shared a key: group exactly
            self.rows, inverse = torch.unique(logits, dim=0, return_inverse=True)
        self.targets = torch.zeros_like(self.rows)                              # [U, C] targets per row
        self.targets.index_put_((inverse, target), torch.ones(len(target), dtype=torch.float64), accumulate=True)
        self.n = len(target)


def temperature_scores(temperature: float, predictions: Predictions, n_bins: int = N_BINS) -> dict:
    """NLL, Brier score, accuracy and ECE of softmax(logits / T), per example, and the reliability `bins`."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    rows, k, n = predictions.rows, predictions.targets, predictions.n
    log_q = F.log_softmax(rows / temperature, dim=-1)                           # [U, C]
    q = log_q.exp()
    per_row = k.sum(dim=-1)                                                     # [U] examples per row
    conf, pred = q.max(dim=-1)                                                  # [U]
    right = k.gather(1, pred[:, None])[:, 0]                                    # [U] correct among them
    brier = (per_row * (q ** 2).sum(-1) - 2 * (k * q).sum(-1) + per_row).sum() / n
    bins = binned(conf.numpy(), per_row.numpy(), right.numpy(), n_bins)
    return {"temperature": float(temperature), "nll": float(-(k * log_q).sum() / n), "ece": bins["ece"],
            "accuracy": float(right.sum() / n), "brier": float(brier), "bins": bins}


# --- proper scoring rules -------------------------------------------------------------------------

SCORE_NAMES = {"log": "log loss", "brier": "Brier score", "abs": "absolute error"}
Q_GRID = np.linspace(0.001, 0.999, 999)   # reports q, away from 0 and 1 where the log score is infinite


def expected_forecast_scores(p, q) -> dict:
    """Expected score of reporting q for an event of true probability p: log loss, Brier, absolute error."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if np.any((p < 0) | (p > 1)) or np.any((q < 0) | (q > 1)) or np.any(np.isnan(p)) or np.any(np.isnan(q)):
        raise ValueError("p and q must be probabilities in [0, 1]")
    with np.errstate(divide="ignore", invalid="ignore"):
        log = -(np.where(p > 0, p * np.log(q), 0.0) + np.where(p < 1, (1 - p) * np.log(1 - q), 0.0))
    return {"log": log, "brier": p * (1 - q) ** 2 + (1 - p) * q ** 2, "abs": p * (1 - q) + (1 - p) * q}


def proper_scores(p: float = 0.7, q: float = 0.9) -> dict:
    """The widget's numbers: the three expected-score curves over Q_GRID, their values at q, their best q."""
    curves = expected_forecast_scores(p, Q_GRID)
    at_q = expected_forecast_scores(p, q)
    return {"p": float(p), "q": float(q), "grid": Q_GRID, "curves": curves,
            "at_q": {k: float(v) for k, v in at_q.items()},
            "best_q": {k: math.nan if np.ptp(v) < 1e-12 else float(Q_GRID[np.argmin(v)])  # nan: flat, no best
                       for k, v in curves.items()},
            "lowest": {k: float(v.min()) for k, v in curves.items()}}


# --- widgets: each wraps one pure function above; views.py builds their figures ----------------------

SCALING_TEMPERATURES = np.linspace(0.5, 3.0, 51)   # the temperature widget's curves


def proper_scores_widget(p: float = 0.7, q: float = 0.9):
    """Sliders for the true p and the report q; the figure shows the three expected scores."""
    from .views import ProperScoresView, describe_proper
    controls = {"p": slider(p, 0.01, 0.99, 0.01, "true p"), "q": slider(q, 0.01, 0.99, 0.01, "report q")}
    return Lesson(controls, proper_scores, ProperScoresView(), describe_proper, title="proper scores: p and q")


def temperature_widget(logits=None, target=None, fitted_temperature: float | None = None, n_bins: int = N_BINS):
    """A temperature slider over a model's held-out logits: reliability diagram, NLL and ECE.

    By default: the lesson's 300-step table on the test names, T fitted on the validation names.
    """
    if logits is None or target is None:
        splits, W = lesson_data(), trained_table()
        logits, target = W[splits["test"][0]], splits["test"][1]
        if fitted_temperature is None:
            fitted_temperature = fit_temperature(W[splits["val"][0]], splits["val"][1])
    from .views import ScalingView, describe_scaling
    predictions = Predictions(logits, target)

    def compute(temperature):
        return temperature_scores(temperature, predictions, n_bins)

    sweep = [compute(t) for t in SCALING_TEMPERATURES]
    curve = {"temperature": SCALING_TEMPERATURES, "nll": [s["nll"] for s in sweep], "ece": [s["ece"] for s in sweep]}
    controls = {"temperature": slider(1.0, SCALING_TEMPERATURES[0], SCALING_TEMPERATURES[-1], 0.05, "temperature T")}
    return Lesson(controls, compute, ScalingView(curve, fitted_temperature, n_bins), describe_scaling,
                  title="temperature scaling")


def kl_widget(fits: dict | None = None, mu: float = 0.0, sigma: float = 1.0):
    """Sliders for q's μ and σ; fits maps a label to a fitted (μ, σ), drawn dashed."""
    from .views import KLView, describe_kl
    controls = {"mu": slider(mu, -4.0, 4.0, 0.1, "μ of q"), "sigma": slider(sigma, 0.2, 4.0, 0.05, "σ of q")}
    return Lesson(controls, kl_fit, KLView(fits), describe_kl, title="forward vs reverse KL")


# --- exercise checkers ------------------------------------------------------------------------------

def check_temperature_direction(answer, fitted_temperature: float) -> checks.Verdict:
    """Predict-then-check: is the temperature that calibrates an overconfident model above or below 1?"""
    expected = "above" if fitted_temperature > 1 else "below" if fitted_temperature < 1 else "equal"
    why_not = {"above": "T > 1 flattens the softmax: the model would become even less confident",
               "below": "T < 1 sharpens the softmax: an overconfident model would become even more confident",
               "equal": "T = 1 changes nothing; the reliability diagram shows a gap to close"}
    why_not.pop(expected)
    return checks.check_choice(answer, expected, why_not=why_not, options=("above", "below", "equal"))


BIGRAM_ALPHA = 0.1  # section 1's bigram counts, smoothed with α = 0.1


@lru_cache(maxsize=1)
def bigram_per_name() -> dict:
    """Section 1's bigram counts (α = 0.1) scored on the validation names, per character and per name.

    A name's NLL is the sum over its characters, the final '.' included; `per_name` is the mean of
    that sum over the names, `letters_only` the same sum without the final '.'."""
    all_names = data.load_names()
    stoi, _ = data.build_vocab(all_names)
    train_names, val_names = data.split_names(all_names, val_fraction=0.1, seed=0)
    counts = torch.tensor(data.bigram_counts(train_names, stoi), dtype=torch.float64) + BIGRAM_ALPHA
    log_q = torch.log(counts / counts.sum(dim=1, keepdim=True))           # [27, 27]
    X, y = data.build_dataset(val_names, stoi, block_size=1)
    nll = -log_q[X[:, 0], y]                                               # [N] one per character
    return {"per_character": nll.mean().item(), "per_name": (nll.sum() / len(val_names)).item(),
            "letters_only": (nll[y != 0].sum() / len(val_names)).item(),
            "characters_per_name": len(y) / len(val_names)}


def check_perplexity_per_name(answer) -> checks.Verdict:
    """Applied: the perplexity of section 1's bigram counts per validation *name*, exp(mean over the
    names of a name's summed NLL), recomputed here from the names."""
    if checks.unanswered(answer):
        return checks.check_number(answer, 1.0)
    r = bigram_per_name()
    per_char, per_name = r["per_character"], r["per_name"]
    mistakes = {"that is the perplexity per character; a name's NLL is the sum of its characters' NLLs, "
                "and the mean is then taken over the names": math.exp(per_char),
                "that is the NLL per name; perplexity is its exponential": per_name,
                "perplexities multiply where losses add: e^(a + b) = e^a · e^b, so multiplying the per-character "
                "perplexity by the number of characters is not it": math.exp(per_char) * r["characters_per_name"],
                "the loss is in nats, so the base is e: exp(NLL), not 2^NLL": 2 ** per_name,
                "a name's probability includes its end: the final '.' is one of its characters": math.exp(r["letters_only"])}
    return checks.check_number(answer, math.exp(per_name), close=0.0, mistakes=mistakes,
                               hint="sum each name's NLL over its characters (the final '.' included), take the "
                                    "mean over the 516 names, then exp")


def _fit_temperature_table(W, counts) -> float:
    """fit_temperature for a table model, from the counts of (context, next) pairs: the same NLL, faster."""
    return _descend_log_t(lambda t: -(counts * F.log_softmax(W / t, dim=-1)).sum() / counts.sum(), FIT_STEPS, FIT_LR)


@lru_cache(maxsize=1)
def _long_reference() -> dict:
    splits, W = lesson_data(), trained_table(LONG_STEPS)
    fits = {split: _fit_temperature_table(W, count_table(*splits[split])) for split in ("val", "test", "few")}
    return {"W": W, "fits": fits, "short": _fit_temperature_table(trained_table(), count_table(*splits["val"]))}


def check_long_temperature(answer) -> checks.Verdict:
    """Applied: the temperature of the 900-step table, fitted on the validation names (within 0.5 %)."""
    if checks.unanswered(answer):
        return checks.check_number(answer, 1.0)
    ref = _long_reference()
    best, fits = ref["fits"]["val"], ref["fits"]
    mistakes = {"that divides the logits by 1/T: temperature scaling divides the logits by T": 1 / best,
                "that is fitted on the test names; fit T on the validation names and keep the test names for scoring":
                    fits["test"],
                "that is fitted on the names the table was trained on; there it is not overconfident": fits["few"],
                "that is the 300-step table's temperature; train the table for 900 steps first": ref["short"],
                "T = 1 leaves the model as it is; minimise the validation NLL over T": 1.0}
    verdict = checks.check_number(answer, best, tol=0.005, close=0.0, mistakes=mistakes,
                                  hint="minimise the validation names' NLL of W_long[ctx_val] / T over T")
    try:
        value = float(validate.as_array(answer, "answer"))
    except (ValueError, TypeError):
        return verdict
    if verdict.status == "unanswered" or not value > 0:
        return verdict
    splits = lesson_data()
    val_logits, y_val = ref["W"][splits["val"][0]], splits["val"][1]
    nll = float(F.cross_entropy(val_logits / value, y_val))
    lowest = float(F.cross_entropy(val_logits / best, y_val))
    return checks.Verdict(verdict.status, f"{verdict.detail} · validation NLL at your T {nll:.4f}, "
                                          f"at the best T {lowest:.4f}")


def check_mle_train_ece(answer, measured=None) -> checks.Verdict:
    """Predict-then-check: the ECE of the count model (the MLE) on the very names it was counted from.

    `measured`, the ECE the lesson's cell computes, is revealed beside the verdict only once a
    number has been predicted, so the notebook's stored output never shows it before the answer.
    """
    if checks.unanswered(answer):
        return checks.check_number(answer, 0.0)
    verdict = _mle_train_ece_verdict(answer)
    if measured is None or checks.as_number(answer) is None:
        return verdict
    value = checks.as_number(measured)
    if value is None:
        raise ValueError(f"measured must be one number (the ECE you computed); got {measured!r}")
    return checks.Verdict(verdict.status, f"{verdict.detail} · measured: the count model's ECE on the "
                                          f"names it was counted from is {value:.4f}")


def _mle_train_ece_verdict(answer) -> checks.Verdict:
    splits, W = lesson_data(), trained_table()
    mistakes = {"that is the 300-step table on its training names; it has not reached the counts yet, "
                "and the question is about the counts": reliability(W[splits["few"][0]], splits["few"][1])["ece"],
                "that is the ECE on unseen (test) names; the question is about the names it was counted from":
                    reliability(W[splits["test"][0]], splits["test"][1])["ece"]}
    return checks.check_number(answer, 0.0, close=0.0, mistakes=mistakes,
                               hint="in one context, the count model's top probability is the top symbol's "
                                    "frequency there, and that is also how often its guess is right")


# The static figures the notebook draws (views.py), reachable as lesson.draw_*.
from .views import draw_accuracy_step as draw_accuracy_step  # noqa: E402
from .views import draw_reliability as draw_reliability  # noqa: E402
