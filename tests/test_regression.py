"""helpers.regression: losses against torch, line fits against independent solvers, widget, checkers."""
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import regression as R

P, T = [1.0, 2.0, 3.0], [1.5, 2.0, 5.0]


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))


# --- losses against torch ------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_mae_match_torch(reduction):
    rng = np.random.default_rng(1)
    p, t = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    np.testing.assert_allclose(R.mse(p, t, reduction), F.mse_loss(_t(p), _t(t), reduction=reduction).numpy())
    np.testing.assert_allclose(R.mae(p, t, reduction), F.l1_loss(_t(p), _t(t), reduction=reduction).numpy())


def test_mse_brief_numbers():
    assert R.mse(P, T) == pytest.approx(F.mse_loss(_t(P), _t(T)).item())
    assert R.mse(P, T, "sum") == pytest.approx(F.mse_loss(_t(P), _t(T), reduction="sum").item())
    assert round(R.mse(P, T), 4) == 1.4167 and R.mse(P, T, "sum") == pytest.approx(4.25)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.5])
def test_huber_matches_torch(delta):
    rng = np.random.default_rng(2)
    p, t = 3 * rng.normal(size=50), rng.normal(size=50)
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(R.huber(p, t, delta, reduction),
                                   F.huber_loss(_t(p), _t(t), delta=delta, reduction=reduction).numpy())
    # smooth_l1 with beta = delta is huber / delta: the usual confusion between the two
    np.testing.assert_allclose(R.huber(p, t, delta) / delta, F.smooth_l1_loss(_t(p), _t(t), beta=delta).item())


@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.0])
def test_gaussian_nll_matches_torch_and_is_scaled_mse(sigma):
    rng = np.random.default_rng(3)
    p, t = rng.normal(size=20), rng.normal(size=20)
    var = torch.full((20,), sigma ** 2, dtype=torch.float64)
    torch_value = F.gaussian_nll_loss(_t(p), _t(t), var, full=True).item()
    assert R.gaussian_nll(p, t, sigma) == pytest.approx(torch_value, rel=1e-12)
    const = math.log(sigma) + 0.5 * math.log(2 * math.pi)
    assert R.gaussian_nll(p, t, sigma) == pytest.approx(R.mse(p, t) / (2 * sigma ** 2) + const)


def test_loss_errors():
    with pytest.raises(ValueError, match="shape \\[3\\] but target has shape \\[2\\]"):
        R.mse([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="reduction must be one of"):
        R.mse(P, T, reduction="avg")
    with pytest.raises(ValueError, match="empty"):
        R.mae([], [])
    with pytest.raises(ValueError, match="NaN or inf"):
        R.mse([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError, match="delta must be > 0"):
        R.huber(P, T, delta=0)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        R.gaussian_nll(P, T, sigma=-1)
    with pytest.raises(ValueError, match="must be numbers"):
        R.mse(["a"], [1.0])


# --- line fits ---------------------------------------------------------------------------------

def test_mse_line_matches_lstsq():
    x, y = R.outlier_data(seed=5)
    a, b = R.fit_line_mse(x, y)
    coef, *_ = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)
    np.testing.assert_allclose([a, b], coef)


def _lad_exact(x, y):
    """The least-absolute-deviation line: an optimum passes through two data points."""
    best = math.inf
    for i, j in itertools.combinations(range(len(x)), 2):
        if x[i] != x[j]:
            a = (y[j] - y[i]) / (x[j] - x[i])
            best = min(best, np.abs(y - (a * x + y[i] - a * x[i])).mean())
    return best


@pytest.mark.parametrize("outlier_y", [-10.0, 0.0, 5.0, 20.0])
def test_mae_line_reaches_the_exact_minimum(outlier_y):
    r = R.outlier_fits(outlier_y)
    a, b = r["fits"]["MAE"]
    assert R.mae(a * r["x"] + b, r["y"]) <= _lad_exact(r["x"], r["y"]) + 1e-6


@pytest.mark.parametrize("outlier_y,delta", [(15.0, 1.0), (-8.0, 0.5), (3.0, 2.0)])
def test_huber_line_matches_torch_optimiser(outlier_y, delta):
    r = R.outlier_fits(outlier_y, delta=delta)
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
    lo, hi = R.outlier_fits(0.0), R.outlier_fits(20.0)
    assert abs(hi["fits"]["MSE"][0] - lo["fits"]["MSE"][0]) > 0.3
    assert abs(hi["fits"]["MAE"][0] - lo["fits"]["MAE"][0]) < 0.1
    assert abs(hi["fits"]["Huber"][0] - lo["fits"]["Huber"][0]) < 0.15


def test_fit_errors():
    with pytest.raises(ValueError, match="two points with different x"):
        R.fit_line_mse([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="1-D"):
        R.fit_line_mae(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="delta must be > 0"):
        R.fit_line_huber([0.0, 1.0], [0.0, 1.0], delta=-1)


# --- widget ------------------------------------------------------------------------------------

def test_outlier_fits_compute():
    r = R.outlier_fits(12.0)
    assert r["outlier"] == (R.OUTLIER_X, 12.0)
    assert r["x"][-1] == R.OUTLIER_X and r["y"][-1] == 12.0 and len(r["x"]) == len(R.BASE_X) + 1
    assert set(r["fits"]) == {"MSE", "MAE", "Huber"}


def test_outlier_lesson_updates_in_place():
    lesson = R.outlier_lesson()
    view = lesson.view
    before = {k: line.get_ydata().copy() for k, line in view.lines.items()}
    n_axes = len(view.fig.axes)
    lesson.controls["outlier_y"].value = -8.0
    assert lesson.result["outlier"][1] == -8.0
    assert view.outlier.get_ydata()[0] == -8.0
    assert not np.allclose(view.lines["MSE"].get_ydata(), before["MSE"])
    assert len(view.fig.axes) == n_axes and lesson.updates == 2
    assert "outlier y = -8.0" in lesson.readout.value


# --- checkers ---------------------------------------------------------------------------------

def test_check_mse():
    assert R.check_mse(R.mse(P, T), P, T).status == "correct"
    assert R.check_mse(..., P, T).status == "unanswered"
    for wrong, hint in [(4.25, "sum"), (np.mean(np.abs(np.subtract(P, T))), "absolute"),
                        (math.sqrt(R.mse(P, T)), "RMSE")]:
        v = R.check_mse(wrong, P, T)
        assert v.status == "wrong" and hint in v.detail


def test_check_sum_lr():
    assert R.check_sum_lr(0.025, 0.1, 4).status == "correct"
    assert "smaller" in R.check_sum_lr(0.4, 0.1, 4).detail
    assert "bigger steps" in R.check_sum_lr(0.1, 0.1, 4).detail
    # the answer is small: the tolerance must be relative, so a different small number is not "correct"
    assert R.check_sum_lr(0.0031, 0.1, 32).status == "correct"
    assert R.check_sum_lr(0.0025, 0.1, 32).status == "wrong"
    assert R.check_sum_lr(0.004, 0.1, 32).status == "wrong"


def test_check_huber_fn():
    good = lambda r, d: np.where(np.abs(r) <= d, 0.5 * r ** 2, d * (np.abs(r) - 0.5 * d))
    assert R.check_huber_fn(good).status == "correct"
    assert R.check_huber_fn(...).status == "unanswered"
    no_half = lambda r, d: np.where(np.abs(r) <= d, r ** 2, d * (np.abs(r) - 0.5 * d))
    assert "1/2" in R.check_huber_fn(no_half).detail
    smooth = lambda r, d: good(r, d) / d
    assert "smooth_l1" in R.check_huber_fn(smooth).detail


def test_check_huber_fn_accepts_torch_code():
    """The lesson's own huber uses r.abs() and torch.where: a copy of it is a right answer."""
    def torch_huber(r, delta):
        a = r.abs()
        return torch.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta))
    assert R.check_huber_fn(torch_huber).status == "correct"
    def torch_no_half(r, delta):
        a = r.abs()
        return torch.where(a <= delta, r ** 2, delta * (a - 0.5 * delta))
    assert "1/2" in R.check_huber_fn(torch_no_half).detail
    def returns_nothing(r, delta):
        ...
    assert R.check_huber_fn(returns_nothing).status == "unanswered"


def test_check_gaussian_nll():
    p, t = [0.0, 1.0, 2.0], [0.5, 0.5, 3.0]
    want = R.gaussian_nll(p, t, 2.0)
    assert R.check_gaussian_nll(want, p, t, 2.0).status == "correct"
    assert "constant" in R.check_gaussian_nll(R.mse(p, t) / 8, p, t, 2.0).detail
    assert "sum" in R.check_gaussian_nll(R.gaussian_nll(p, t, 2.0, "sum"), p, t, 2.0).detail


def test_delta_slider_moves_only_the_huber_line():
    lesson = R.outlier_lesson()
    before = {k: line.get_ydata().copy() for k, line in lesson.view.lines.items()}
    lesson.controls["delta"].value = 2.5
    assert lesson.result["delta"] == 2.5
    assert not np.allclose(lesson.view.lines["Huber"].get_ydata(), before["Huber"])
    np.testing.assert_allclose(lesson.view.lines["MSE"].get_ydata(), before["MSE"])
    np.testing.assert_allclose(lesson.view.lines["MAE"].get_ydata(), before["MAE"])


def test_huber_line_has_zero_gradient_under_torch():
    r = R.outlier_fits(20.0, delta=1.0)
    w = torch.tensor(r["fits"]["Huber"], dtype=torch.float64, requires_grad=True)
    F.huber_loss(w[0] * _t(r["x"]) + w[1], _t(r["y"]), delta=1.0).backward()
    assert w.grad.abs().max() < 1e-6
