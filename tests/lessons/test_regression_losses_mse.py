"""helpers.lessons.regression_losses_mse: the lesson's pure functions, views, widgets and checkers."""
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import losses
from helpers.lessons import regression_losses_mse as lesson
from tests.checker_contract import Table, number_forms, sequence_forms

P, T = [1.0, 2.0, 3.0], [1.5, 2.0, 5.0]


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))


def _lad_exact(x, y):
    """The least-absolute-deviation line: an optimum passes through two data points."""
    best = math.inf
    for i, j in itertools.combinations(range(len(x)), 2):
        if x[i] != x[j]:
            a = (y[j] - y[i]) / (x[j] - x[i])
            best = min(best, np.abs(y - (a * x + y[i] - a * x[i])).mean())
    return best


def test_mse_line_matches_lstsq():
    x, y = lesson.outlier_data(seed=5)
    a, b = lesson.fit_line_mse(x, y)
    coef, *_ = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)
    np.testing.assert_allclose([a, b], coef)


@pytest.mark.parametrize("outlier_y", [-10.0, 0.0, 5.0, 20.0])
def test_mae_line_reaches_the_exact_minimum(outlier_y):
    r = lesson.outlier_fits(outlier_y)
    a, b = r["fits"]["MAE"]
    assert losses.mae(a * r["x"] + b, r["y"]) <= _lad_exact(r["x"], r["y"]) + 1e-6


@pytest.mark.parametrize("outlier_y,delta", [(15.0, 1.0), (-8.0, 0.5), (3.0, 2.0)])
def test_huber_line_matches_torch_optimiser(outlier_y, delta):
    r = lesson.outlier_fits(outlier_y, delta=delta)
    x, y = _t(r["x"]), _t(r["y"])
    w = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-14,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.huber_loss(w[0] * x + w[1], y, delta=delta)
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(r["fits"]["Huber"], w.detach().numpy(), atol=1e-5)


def test_robust_lines_ignore_the_outlier_and_mse_does_not():
    lo, hi = lesson.outlier_fits(0.0), lesson.outlier_fits(20.0)
    assert abs(hi["fits"]["MSE"][0] - lo["fits"]["MSE"][0]) > 0.3
    assert abs(hi["fits"]["MAE"][0] - lo["fits"]["MAE"][0]) < 0.1
    assert abs(hi["fits"]["Huber"][0] - lo["fits"]["Huber"][0]) < 0.15


def test_fit_errors():
    with pytest.raises(ValueError, match="two points with different x"):
        lesson.fit_line_mse([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="1-D"):
        lesson.fit_line_mae(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="delta must be > 0"):
        lesson.fit_line_huber([0.0, 1.0], [0.0, 1.0], delta=-1)


def test_outlier_fits_compute():
    r = lesson.outlier_fits(12.0)
    assert r["outlier"] == (lesson.OUTLIER_X, 12.0)
    assert r["x"][-1] == lesson.OUTLIER_X and r["y"][-1] == 12.0 and len(r["x"]) == len(lesson.BASE_X) + 1
    assert set(r["fits"]) == {"MSE", "MAE", "Huber"}


def test_outlier_lesson_updates_in_place():
    widget = lesson.outlier_widget()
    view = widget.view
    before = {k: line.get_ydata().copy() for k, line in view.lines.items()}
    widget.controls["outlier_y"].value = -8.0
    assert widget.result["outlier"][1] == -8.0
    assert view.outlier.get_ydata()[0] == -8.0
    assert not np.allclose(view.lines["MSE"].get_ydata(), before["MSE"])
    assert widget.updates == 2
    assert "outlier y = -8.0" in widget.readout.value


def test_delta_slider_moves_only_the_huber_line():
    widget = lesson.outlier_widget()
    before = {k: line.get_ydata().copy() for k, line in widget.view.lines.items()}
    widget.controls["delta"].value = 2.5
    assert widget.result["delta"] == 2.5
    assert not np.allclose(widget.view.lines["Huber"].get_ydata(), before["Huber"])
    np.testing.assert_allclose(widget.view.lines["MSE"].get_ydata(), before["MSE"])
    np.testing.assert_allclose(widget.view.lines["MAE"].get_ydata(), before["MAE"])


def test_huber_line_has_zero_gradient_under_torch():
    r = lesson.outlier_fits(20.0, delta=1.0)
    w = torch.tensor(r["fits"]["Huber"], dtype=torch.float64, requires_grad=True)
    F.huber_loss(w[0] * _t(r["x"]) + w[1], _t(r["y"]), delta=1.0).backward()
    assert w.grad.abs().max() < 1e-6


# --- quantile lines and the delivery data -------------------------------------------------------

def _pinball_exact(x, y, tau):
    """The smallest mean pinball loss of any line: an optimum passes through two data points."""
    best = math.inf
    for i, j in itertools.combinations(range(len(x)), 2):
        if x[i] != x[j]:
            a = (y[j] - y[i]) / (x[j] - x[i])
            best = min(best, losses.pinball(a * x + y[i] - a * x[i], y, tau))
    return best


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
def test_quantile_line_reaches_the_exact_minimum(tau):
    x, y = lesson.delivery_data(n=40, seed=3)
    a, b = lesson.fit_line_quantile(x, y, tau)
    assert losses.pinball(a * x + b, y, tau) <= _pinball_exact(x, y, tau) + 1e-9


def test_quantile_line_at_one_half_is_the_mae_line():
    x, y = lesson.delivery_data(n=41, seed=4)
    a, b = lesson.fit_line_quantile(x, y, 0.5)
    assert losses.mae(a * x + b, y) == pytest.approx(_lad_exact(x, y), abs=1e-9)


def test_delivery_quantile_lines_hold_their_share_of_new_deliveries():
    """The true tau-line of the generator has a share tau of a large sample below it."""
    km, minutes = lesson.delivery_data(n=200_000, seed=7)
    for tau in (0.1, 0.5, 0.9):
        slope, intercept = lesson.true_quantile_line(tau)
        assert (minutes < slope * km + intercept).mean() == pytest.approx(tau, abs=0.005)
    assert lesson.late_share(*lesson.true_quantile_line(lesson.PROMISE_TAU)) == pytest.approx(0.1, abs=0.006)


def test_lessons_skewed_data_put_the_mean_line_above_the_median_line():
    km, minutes = lesson.delivery_data(n=300, seed=0)
    mse_a, mse_b = lesson.fit_line_mse(km, minutes)
    med_a, med_b = lesson.fit_line_quantile(km, minutes, 0.5)
    assert np.all(mse_a * km + mse_b > med_a * km + med_b)


def test_delivery_and_quantile_errors():
    with pytest.raises(ValueError, match="n must be a whole number >= 1"):
        lesson.delivery_data(n=0)
    with pytest.raises(ValueError, match="tau must be strictly between 0 and 1"):
        lesson.fit_line_quantile([0.0, 1.0], [0.0, 1.0], tau=0.0)


# --- checkers ---------------------------------------------------------------------------------

PRICES = [2.1, 2.4, 2.5, 2.7, 2.9, 3.0, 12.0]
MEAN, MEDIAN = float(np.mean(PRICES)), float(np.median(PRICES))
KM, MINUTES = lesson.delivery_data(n=300, seed=0)  # the lesson's section 5 data
PROMISE = lesson.fit_line_quantile(KM, MINUTES, 0.9)
GNLL_P, GNLL_T, GNLL_SIGMA = [0.0, 1.0, 2.0], [0.5, 0.5, 3.0], 2.0


def _as_var_slip():
    """What F.gaussian_nll_loss(full=True) returns when given sigma where it wants the variance."""
    var = torch.full((3,), GNLL_SIGMA, dtype=torch.float64)
    return F.gaussian_nll_loss(_t(GNLL_P), _t(GNLL_T), var, full=True).item()


CHECKER_TABLES = [
    Table(lesson.check_best_constants, args=(PRICES,),
          right=[*sequence_forms([MEAN, MEDIAN]), (round(MEAN, 4), round(MEDIAN, 4)), torch.tensor([MEAN, MEDIAN])],
          mistakes={"swapped": (MEDIAN, MEAN),
                    "the far-off value counts too": (float(np.mean(PRICES[:-1])), MEDIAN),
                    "the MSE part is right": (MEAN, MEAN),
                    "the MAE part is right": (MEDIAN, MEDIAN)},
          wrong=[(MEAN, 2.5), (4.0, 2.7), (MEAN,), MEAN, (0.0, 0.0), "mean, median"]),
    Table(lesson.check_sum_lr, args=(0.1, 32),
          right=number_forms(0.1 / 32),
          mistakes={"N times smaller": 0.1 * 32, "N times bigger steps": 0.1, "not √N times": 0.1 / math.sqrt(32)},
          wrong=[0.0025, 0.004, 0.1 / 31, 1 / 32]),
    Table(lesson.check_adam_sum_lr, args=(0.002, 32),
          right=number_forms(0.002),
          mistakes={"rule for plain SGD": 0.002 / 32, "does not grow with it": 0.002 * 32,
                    "not √N either": 0.002 / math.sqrt(32)},
          wrong=[0.001, 0.02, 0.004, 0.1 / 32]),
    Table(lesson.check_promise_line,
          right=[*sequence_forms(PROMISE), torch.tensor(PROMISE), tuple(round(v, 4) for v in PROMISE),
                 lesson.true_quantile_line(0.9)],
          mistakes={"MSE line": lesson.fit_line_mse(KM, MINUTES),
                    "median line": lesson.fit_line_quantile(KM, MINUTES, 0.5),
                    "BELOW the τ-line": lesson.fit_line_quantile(KM, MINUTES, 0.1),
                    "not cautious enough": lesson.fit_line_quantile(KM, MINUTES, 0.75),
                    "nobody wants": (10.0, 60.0),
                    "too cautious": lesson.true_quantile_line(0.97)},
          wrong=[(0.0, 0.0), (PROMISE[0],), lesson.true_quantile_line(0.8), lesson.true_quantile_line(0.95),
                 (PROMISE[1], PROMISE[0])]),
    Table(lesson.check_gaussian_nll, args=(GNLL_P, GNLL_T), kwargs={"sigma": GNLL_SIGMA},
          right=number_forms(losses.gaussian_nll(GNLL_P, GNLL_T, GNLL_SIGMA)),
          mistakes={"constant": losses.mse(GNLL_P, GNLL_T) / 8,
                    "you passed σ as var": _as_var_slip(),
                    "not by 2σ": losses.mse(GNLL_P, GNLL_T) / 4 + math.log(2) + 0.5 * math.log(2 * math.pi),
                    "the MSE itself": losses.mse(GNLL_P, GNLL_T),
                    "sum over the points": losses.gaussian_nll(GNLL_P, GNLL_T, GNLL_SIGMA, "sum"),
                    "without full=True": F.gaussian_nll_loss(_t(GNLL_P), _t(GNLL_T),
                                                             torch.full((3,), 4.0, dtype=torch.float64)).item()},
          wrong=[losses.gaussian_nll(GNLL_P, GNLL_T, 1.0), 1.0, losses.mae(GNLL_P, GNLL_T)]),
]


def test_check_gaussian_nll_names_the_variance_slip_by_torch():
    v = lesson.check_gaussian_nll(_as_var_slip(), GNLL_P, GNLL_T, GNLL_SIGMA)
    assert v.status == "wrong" and "var = σ ** 2" in v.detail


def test_check_promise_line_counts_on_new_deliveries_only():
    """The checker's deliveries are not the learner's: fitting them exactly is not the test."""
    assert lesson.PROMISE_TEST["seed"] != 0 and lesson.PROMISE_TEST["n"] >= 10_000
    share = lesson.late_share(*PROMISE)
    assert lesson.PROMISE_BAND[0] + 0.01 < share < lesson.PROMISE_BAND[1] - 0.01  # the right answer is well inside
    assert lesson.check_promise_line(...).status == "unanswered"
    assert "two numbers" in lesson.check_promise_line([1.0, 2.0, 3.0]).detail


def test_check_best_constants_takes_the_median_of_an_odd_count():
    assert lesson.check_best_constants((2.0, 1.0), [1.0, 0.0, 5.0]).status == "correct"
    assert lesson.check_best_constants(..., PRICES).status == "unanswered"
