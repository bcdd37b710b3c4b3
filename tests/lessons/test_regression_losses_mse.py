"""helpers.lessons.regression_losses_mse: the lesson's pure functions, views, widgets and checkers."""
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import losses
from helpers.lessons import regression_losses_mse as lesson

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


def test_check_mse():
    assert lesson.check_mse(losses.mse(P, T), P, T).status == "correct"
    assert lesson.check_mse(..., P, T).status == "unanswered"
    for wrong, hint in [(4.25, "sum"), (np.mean(np.abs(np.subtract(P, T))), "absolute"),
                        (math.sqrt(losses.mse(P, T)), "RMSE")]:
        v = lesson.check_mse(wrong, P, T)
        assert v.status == "wrong" and hint in v.detail


def test_check_sum_lr():
    assert lesson.check_sum_lr(0.025, 0.1, 4).status == "correct"
    assert "smaller" in lesson.check_sum_lr(0.4, 0.1, 4).detail
    assert "bigger steps" in lesson.check_sum_lr(0.1, 0.1, 4).detail
    # the answer is small: the tolerance must be relative, so a different small number is not "correct"
    assert lesson.check_sum_lr(0.0031, 0.1, 32).status == "correct"
    assert lesson.check_sum_lr(0.0025, 0.1, 32).status == "wrong"
    assert lesson.check_sum_lr(0.004, 0.1, 32).status == "wrong"


def test_check_huber_fn():
    good = lambda r, d: np.where(np.abs(r) <= d, 0.5 * r ** 2, d * (np.abs(r) - 0.5 * d))
    assert lesson.check_huber_fn(good).status == "correct"
    assert lesson.check_huber_fn(...).status == "unanswered"
    no_half = lambda r, d: np.where(np.abs(r) <= d, r ** 2, d * (np.abs(r) - 0.5 * d))
    assert "1/2" in lesson.check_huber_fn(no_half).detail
    smooth = lambda r, d: good(r, d) / d
    assert "smooth_l1" in lesson.check_huber_fn(smooth).detail


def test_check_huber_fn_accepts_torch_code():
    """The lesson's own huber uses r.abs() and torch.where: a copy of it is a right answer."""
    def torch_huber(r, delta):
        a = r.abs()
        return torch.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta))
    assert lesson.check_huber_fn(torch_huber).status == "correct"
    def torch_no_half(r, delta):
        a = r.abs()
        return torch.where(a <= delta, r ** 2, delta * (a - 0.5 * delta))
    assert "1/2" in lesson.check_huber_fn(torch_no_half).detail
    def returns_nothing(r, delta):
        ...
    assert lesson.check_huber_fn(returns_nothing).status == "unanswered"


def test_check_gaussian_nll():
    p, t = [0.0, 1.0, 2.0], [0.5, 0.5, 3.0]
    want = losses.gaussian_nll(p, t, 2.0)
    assert lesson.check_gaussian_nll(want, p, t, 2.0).status == "correct"
    assert "constant" in lesson.check_gaussian_nll(losses.mse(p, t) / 8, p, t, 2.0).detail
    assert "sum" in lesson.check_gaussian_nll(losses.gaussian_nll(p, t, 2.0, "sum"), p, t, 2.0).detail


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
