"""helpers.lessons.regularization_and_overfitting: the lesson's pure functions, views, widgets and checkers."""
import math
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from helpers import data
from helpers.lessons import regularization_and_overfitting as lesson
from tests.checker_contract import Table, number_forms

RNG = np.random.default_rng(1)


def small_data(n=10, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, np.cos(2 * x) + 0.1 * rng.standard_normal(n)


def _sgd_run(w0, penalty, weight_decay, steps=5, lr=0.3):
    torch.manual_seed(0)
    x, y = torch.randn(10, w0.numel(), dtype=torch.float64), torch.randn(10, dtype=torch.float64)
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.SGD([w], lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        opt.zero_grad()
        (((x @ w - y) ** 2).mean() + penalty(w)).backward()
        opt.step()
    return w.detach()


def names_counts():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "zoe"]
    stoi, itos = data.build_vocab(words)
    return data.bigram_counts(words[:5], stoi), data.bigram_counts(words[5:], stoi), itos



def test_poly_data_is_seeded_and_shaped():
    a, b = lesson.make_poly_data(seed=0), lesson.make_poly_data(seed=0)
    assert {k: v.shape for k, v in a.items()} == {"x_train": (12,), "y_train": (12,), "x_val": (200,), "y_val": (200,)}
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["y_train"], lesson.make_poly_data(seed=1)["y_train"])
    assert np.all(np.abs(a["x_train"]) <= 1)


def test_poly_data_without_noise_lies_on_the_true_curve():
    d = lesson.make_poly_data(noise=0.0)
    np.testing.assert_allclose(d["y_val"], np.sin(np.pi * d["x_val"]))


def test_poly_features_match_vander():
    x = RNG.uniform(-1, 1, 7)
    np.testing.assert_allclose(lesson.poly_features(x, 4), np.vander(x, 5, increasing=True))
    assert lesson.poly_features(x, 0).shape == (7, 1)


def test_ridge_at_zero_lambda_is_least_squares():
    x, y = small_data(10)
    for degree in [0, 2, 5, 8]:
        X = np.vander(x, degree + 1, increasing=True)
        expected = np.linalg.lstsq(X, y, rcond=None)[0]
        np.testing.assert_allclose(lesson.ridge_fit(x, y, degree, 0.0), expected, atol=1e-8)


@pytest.mark.parametrize("lam", [1e-4, 0.01, 1.0])
def test_ridge_fit_zeroes_the_torch_gradient_of_the_penalised_loss(lam):
    x, y = small_data(12)
    w = torch.tensor(lesson.ridge_fit(x, y, 6, lam), requires_grad=True)
    X = torch.tensor(np.vander(x, 7, increasing=True))
    loss = ((X @ w - torch.tensor(y)) ** 2).mean() + lam * (w ** 2).mean()
    loss.backward()
    assert w.grad.abs().max().item() < 1e-9
    assert lesson.ridge_loss(w.detach().numpy(), x, y, 6, lam) == pytest.approx(loss.item(), rel=1e-12)


def test_ridge_fit_matches_the_normal_equations():
    x, y = small_data(15)
    lam, degree = 0.05, 4
    X = np.vander(x, degree + 1, increasing=True)
    n, m = X.shape
    expected = np.linalg.solve(X.T @ X + lam * n / m * np.eye(m), X.T @ y)
    np.testing.assert_allclose(lesson.ridge_fit(x, y, degree, lam), expected, atol=1e-10)


@pytest.mark.parametrize("degree", [3, 9, 11])
def test_norm_of_weights_shrinks_monotonically_as_lambda_grows(degree):
    data = lesson.make_poly_data()
    lams = 10.0 ** np.linspace(-8, 3, 45)
    norms = [np.linalg.norm(lesson.ridge_fit(data["x_train"], data["y_train"], degree, lam)) for lam in lams]
    assert np.all(np.diff(norms) <= 1e-9 * np.max(norms))
    assert norms[-1] < 0.01 * norms[0]


def test_ridge_shrinks_but_does_not_zero_weights():
    data = lesson.make_poly_data()
    w = lesson.ridge_fit(data["x_train"], data["y_train"], 9, 1.0)
    assert np.all(w != 0)


def test_mse_and_degree_sweep():
    data = lesson.make_poly_data()
    sweep = lesson.degree_sweep(data, degrees=range(12))
    assert np.all(np.diff(sweep["train"]) <= 1e-9)  # nested models: training MSE never rises
    assert sweep["train"][-1] < 1e-12                # 12 weights through 12 points
    assert sweep["val"][-1] > 100 * sweep["val"].min()
    w = lesson.ridge_fit(data["x_train"], data["y_train"], 3)
    residual = np.polyval(w[::-1], data["x_val"]) - data["y_val"]
    assert lesson.poly_mse(w, data["x_val"], data["y_val"]) == pytest.approx(np.mean(residual ** 2))


def test_lambda_sweep_best_is_the_argmin_of_validation():
    data = lesson.make_poly_data()
    sweep = lesson.lambda_sweep(data, 9)
    assert sweep["best_val"] == sweep["val"].min()
    assert sweep["best_lam"] == sweep["lams"][np.argmin(sweep["val"])]
    assert np.all(np.diff(sweep["train"]) >= -1e-12)  # the training MSE only rises with λ


def test_l2_penalty_matches_torch():
    w = RNG.standard_normal((4, 5))
    assert lesson.l2_penalty(w, 0.01) == pytest.approx((0.01 * (torch.tensor(w) ** 2).mean()).item(), rel=1e-12)
    assert lesson.l2_penalty(torch.tensor(w)) == pytest.approx(0.01 * np.mean(w ** 2))


def test_half_sum_penalty_is_torch_weight_decay():
    w0 = torch.randn(6, dtype=torch.float64)
    lam = 0.2
    a = _sgd_run(w0, lambda w: lam / 2 * (w ** 2).sum(), 0.0)
    b = _sgd_run(w0, lambda w: 0.0, lam)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, _sgd_run(w0, lambda w: 0.0, 0.0))  # the decay does change the result


@pytest.mark.parametrize("n", [1, 6, 50])
def test_mean_penalty_is_rescaled_weight_decay(n):
    w0 = torch.randn(n, dtype=torch.float64)
    lam = 0.05
    wd = lesson.weight_decay_for_mean_penalty(lam, n)
    assert wd == pytest.approx(2 * lam / n)
    a = _sgd_run(w0, lambda w: lam * (w ** 2).mean(), 0.0)
    torch.testing.assert_close(a, _sgd_run(w0, lambda w: 0.0, wd))


def test_smoothing_is_a_mixture_of_mle_and_uniform(random_counts):
    c = random_counts()
    for alpha in [0.3, 2.0]:
        s = lesson.shrinkage_weight(c.sum(axis=1), alpha, c.shape[1])[:, None]
        mixture = (1 - s) * (c / c.sum(axis=1, keepdims=True)) + s / c.shape[1]
        np.testing.assert_allclose(data.bigram_probs(c, alpha), mixture)


def test_smoothing_sweep_train_nll_rises_with_alpha(random_counts):
    c_train, c_val = random_counts(seed=1), random_counts(seed=2)
    sweep = lesson.smoothing_sweep(c_train, c_val, [0.0, 0.01, 0.1, 1, 10, 100])
    assert np.all(np.diff(sweep["train"]) > 0)
    assert sweep["best_alpha"] == sweep["alphas"][np.argmin(sweep["val"])]


def test_ridge_at_is_consistent():
    r = lesson.ridge_at(degree=9, log10_lam=-2.0)
    data = lesson.make_poly_data()
    np.testing.assert_allclose(r["w"], lesson.ridge_fit(data["x_train"], data["y_train"], 9, 0.01))
    np.testing.assert_allclose(r["fit"], lesson.poly_features(r["grid"], 9) @ r["w"])
    assert r["val_mse"] == pytest.approx(lesson.poly_mse(r["w"], data["x_val"], data["y_val"]))
    assert r["penalty"] == pytest.approx(0.01 * np.mean(r["w"] ** 2))
    custom = lesson.ridge_at(degree=2, log10_lam=-1.0, data=lesson.make_poly_data(seed=4))
    assert not np.allclose(custom["sweep"]["val"], lesson.ridge_at(degree=2, log10_lam=-1.0)["sweep"]["val"])


def test_lesson_updates_the_figure_when_a_control_moves():
    widget = lesson.ridge_widget(degree=9, log10_lam=-2.0)
    view = widget.view
    fit_before = np.array(view.fit_line.get_ydata()).copy()
    dot_before = np.array(view.val_dot.get_xdata()).copy()
    updates = widget.updates
    widget.controls["log10_lam"].value = -6.0
    assert widget.updates == updates + 1
    assert widget.result["lam"] == pytest.approx(1e-6)
    assert not np.allclose(view.fit_line.get_ydata(), fit_before)
    assert not np.allclose(view.val_dot.get_xdata(), dot_before)
    curve_before = np.array(view.val_curve.get_ydata()).copy()
    widget.controls["degree"].value = 3
    assert widget.result["degree"] == 3
    assert not np.allclose(view.val_curve.get_ydata(), curve_before)
    assert "degree 3" in widget.readout.value and "validation MSE" in widget.readout.value


def test_static_figures_draw():
    from matplotlib.figure import Figure
    ax1, ax2, ax3, ax4 = Figure().subplots(1, 4)
    lesson.draw_fits(ax1, lesson.make_poly_data(), degrees=(1, 3))
    assert len(ax1.lines) == 3 and ax1.get_legend() is not None
    assert len({line.get_linestyle() for line in ax1.lines}) == 3  # told apart by style, not colour alone
    sweep = lesson.degree_sweep(lesson.make_poly_data(), degrees=range(4))
    lesson.draw_degree_sweep(ax2, sweep["degrees"], sweep["train"], sweep["val"])
    assert ax2.get_ylim() == pytest.approx((1e-3, 1e5)) and len(ax2.lines) == 3 and ax2.get_yscale() == "log"
    lesson.draw_weight_histograms(ax3, {0.0: RNG.standard_normal((3, 3)), 0.1: np.zeros(9)})
    assert len(ax3.patches) == 2 and ax3.get_legend() is not None
    train, val = np.linspace(3.0, 2.2, 50), 2.5 + (np.arange(50) - 20.0) ** 2 / 1e4
    lesson.draw_training_curves(ax4, train, val, int(np.argmin(val)), other_val=val + 0.01, other_label="λ = 0.1")
    assert len(ax4.lines) == 4
    marker = ax4.lines[-1]
    assert marker.get_xdata()[0] == 20 and marker.get_ydata()[0] == pytest.approx(val.min())
    assert "step 20" in marker.get_label()


def test_views_have_text_alternatives():
    assert "validation" in lesson.views.RidgeView.alt and "validation" in lesson.views.SmoothingView.alt


def test_check_best_lambda():
    data = lesson.make_poly_data()
    lams = 10.0 ** lesson.LOG10_LAMBDAS
    val = [lesson.poly_mse(lesson.ridge_fit(data["x_train"], data["y_train"], 9, lam), data["x_val"], data["y_val"])
           for lam in lams]
    best = lams[int(np.argmin(val))]
    assert lesson.check_best_lambda(best).status == "correct"
    assert "log10" in lesson.check_best_lambda(math.log10(best)).detail
    assert "training" in lesson.check_best_lambda(1e-8).detail
    assert lesson.check_best_lambda(best * 10).status == "wrong"
    assert lesson.check_best_lambda(None).status == "unanswered"


def _alpha_counts():
    names = data.load_names()
    stoi, _ = data.build_vocab(names)
    train, val = data.split_names(names, val_fraction=0.1, seed=0)
    return data.bigram_counts(train[:200], stoi), data.bigram_counts(train, stoi), data.bigram_counts(val, stoi)


_ALPHAS = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]  # the lesson's grid


def test_check_pull_shift_computes_the_pull_from_the_counts():
    few, many, val = _alpha_counts()
    x = 24   # 'x' in the vocabulary ('.' is 0, then a..z)
    assert lesson.best_alpha(few, val, _ALPHAS) == 0.3 and lesson.best_alpha(many, val, _ALPHAS) == 0.1
    assert lesson.shrinkage_weight(few[x].sum(), 0.3, 27) > 3 * lesson.shrinkage_weight(many[x].sum(), 0.3, 27)
    assert lesson.check_pull_shift("less", few, many, row=x, alpha=0.3).status == "correct"
    # the checker follows the data: with the roles swapped the right answer is "more"
    assert lesson.check_pull_shift("more", many, few, row=x, alpha=0.3).status == "correct"
    assert lesson.check_pull_shift("same", few, few, row=x, alpha=0.3).status == "correct"
    assert "pretend counts" in lesson.check_pull_shift("more", few, many, row=x, alpha=0.3).detail
    assert lesson.check_pull_shift(..., few, many, row=x, alpha=0.3).status == "unanswered"


def test_check_weight_decay():
    assert lesson.check_weight_decay(0.002, lam=0.01, n_weights=10).status == "correct"
    assert lesson.check_weight_decay(0.0, lam=0.01, n_weights=10).status == "wrong"
    assert "2" in lesson.check_weight_decay(0.001, lam=0.01, n_weights=10).detail
    assert "(λ/2)" in lesson.check_weight_decay(0.01, lam=0.01, n_weights=10).detail
    assert "sum" in lesson.check_weight_decay(0.02, lam=0.01, n_weights=10).detail
    assert lesson.check_weight_decay(..., lam=0.01, n_weights=10).status == "unanswered"


def _decay_optimizer(layer, weight_wd, bias_wd, cls=torch.optim.SGD, lr=0.1):
    return cls([{"params": [layer.weight], "weight_decay": weight_wd},
                {"params": [layer.bias], "weight_decay": bias_wd}], lr=lr)


def test_check_decay_groups_runs_the_optimizer_on_a_copy():
    layer = torch.nn.Linear(3, 2).double()
    before = [p.detach().clone() for p in layer.parameters()]
    opt = _decay_optimizer(layer, 0.5, 0.0)
    assert lesson.check_decay_groups(opt, layer).status == "correct"
    for p, b in zip(layer.parameters(), before):  # the learner's layer is untouched
        assert torch.equal(p.detach(), b) and p.grad is None
    assert lesson.check_decay_groups(_decay_optimizer(layer, 0.5, 0.0, torch.optim.AdamW), layer).status == "correct"
    assert lesson.check_decay_groups(_decay_optimizer(layer, 0.5, 0.0, torch.optim.Adam), layer).status == "correct"
    assert "bias decayed too" in lesson.check_decay_groups(_decay_optimizer(layer, 0.5, 0.5), layer).detail
    assert "swapped" in lesson.check_decay_groups(_decay_optimizer(layer, 0.0, 0.5), layer).detail
    assert "nothing decayed" in lesson.check_decay_groups(_decay_optimizer(layer, 0.0, 0.0), layer).detail
    weight_only = torch.optim.SGD([layer.weight], lr=0.1, weight_decay=0.5)
    assert "layer.bias is not in the optimizer" in lesson.check_decay_groups(weight_only, layer).detail
    assert lesson.check_decay_groups(..., layer).status == "unanswered"
    assert "expected a torch.optim optimizer" in lesson.check_decay_groups(0.5, layer).detail


def test_soft_threshold_step_gives_exact_zeros_and_subgradient_does_not():
    """The lesson's L1 claim on a fresh problem: proximal steps zero useless weights, subgradient steps do not."""
    g = torch.Generator().manual_seed(5)
    X = torch.randn(60, 15, generator=g, dtype=torch.float64)
    y = X[:, 0] * 2.0 - X[:, 1] + 0.3 * torch.randn(60, generator=g, dtype=torch.float64)
    lam, lr = 0.2, 0.05
    w_sub, w_prox = torch.zeros(15, dtype=torch.float64), torch.zeros(15, dtype=torch.float64)
    for _ in range(500):
        w_sub = w_sub - lr * (2 * X.T @ (X @ w_sub - y) / 60 + lam * torch.sign(w_sub))
        w_prox = torch.nn.functional.softshrink(w_prox - lr * 2 * X.T @ (X @ w_prox - y) / 60, lr * lam)
    assert int((w_prox == 0).sum()) >= 8 and int((w_sub == 0).sum()) == 0
    assert torch.all(w_prox[:2] != 0)


@pytest.mark.parametrize("make", ["sgd_momentum", "adam", "adamw"])
def test_weight_decay_against_l2_in_the_loss(make):
    """The lesson's optimizer claims: weight_decay=λ equals (λ/2)·Σw² in the loss for SGD with momentum and
    for Adam, and not for AdamW."""
    factories = {"sgd_momentum": lambda ps, wd: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=wd),
                 "adam": lambda ps, wd: torch.optim.Adam(ps, lr=0.1, weight_decay=wd),
                 "adamw": lambda ps, wd: torch.optim.AdamW(ps, lr=0.1, weight_decay=wd)}
    g = torch.Generator().manual_seed(7)
    x, y = torch.randn(8, 3, generator=g, dtype=torch.float64), torch.randn(8, generator=g, dtype=torch.float64)
    w0 = torch.randn(3, generator=g, dtype=torch.float64)

    def run(wd, lam_in_loss):
        w = w0.clone().requires_grad_(True)
        opt = factories[make]([w], wd)
        for _ in range(3):
            opt.zero_grad()
            (((x @ w - y) ** 2).mean() + lam_in_loss / 2 * (w ** 2).sum()).backward()
            opt.step()
        return w.detach()

    assert torch.allclose(run(0.1, 0.0), run(0.0, 0.1)) == (make != "adamw")


@pytest.mark.parametrize("lam", [-0.1, float("nan"), float("inf")])
def test_bad_lambda(lam):
    x, y = small_data()
    with pytest.raises(ValueError, match="penalty strength"):
        lesson.ridge_fit(x, y, 3, lam)
    with pytest.raises(ValueError, match="penalty strength"):
        lesson.l2_penalty([1.0, 2.0], lam)
    with pytest.raises(ValueError, match="penalty strength"):
        lesson.weight_decay_for_mean_penalty(lam, 3)


@pytest.mark.parametrize("degree", [-1, 2.5, True])
def test_bad_degree(degree):
    x, y = small_data()
    with pytest.raises(ValueError, match="degree must be a whole number >= 0"):
        lesson.ridge_fit(x, y, degree)
    with pytest.raises(ValueError, match="degree must be a whole number >= 0"):
        lesson.poly_features(x, degree)


def test_bad_xy():
    with pytest.raises(ValueError, match="same length; got 3 and 2"):
        lesson.ridge_fit([0.1, 0.2, 0.3], [1.0, 2.0], 1)
    with pytest.raises(ValueError, match="1-D"):
        lesson.ridge_fit([[0.1, 0.2]], [[1.0, 2.0]], 1)
    with pytest.raises(ValueError, match="empty"):
        lesson.ridge_fit([], [], 1)
    with pytest.raises(ValueError, match="entries"):
        lesson.ridge_loss([1.0, 2.0], [0.1, 0.2], [1.0, 2.0], 3, 0.1)


def test_bad_data_and_widget_args():
    with pytest.raises(ValueError, match="n_train and n_val"):
        lesson.make_poly_data(n_train=0)
    with pytest.raises(ValueError, match="noise"):
        lesson.make_poly_data(noise=-1)
    with pytest.raises(ValueError, match="log10_lam"):
        lesson.ridge_at(log10_lam=float("inf"))
    with pytest.raises(ValueError, match="empty"):
        lesson.l2_penalty([])
    with pytest.raises(ValueError, match="n_weights"):
        lesson.weight_decay_for_mean_penalty(0.01, 0)


def test_bad_counts_and_alpha():
    with pytest.raises(ValueError, match="counts must be >= 0"):
        data.bigram_probs([[1, -1], [2, 2]], 1.0)
    with pytest.raises(ValueError, match="2-D"):
        data.bigram_probs([1, 2, 3], 1.0)
    with pytest.raises(ValueError, match="NaN or inf"):
        data.bigram_probs([[1, np.nan], [2, 2]], 1.0)
    with pytest.raises(ValueError, match="alpha .* must be >= 0"):
        data.bigram_probs([[1, 1], [2, 2]], -0.5)
    with pytest.raises(ValueError, match="row 1 has no counts"):
        data.bigram_probs([[1, 1], [0, 0]], 0.0)
    with pytest.raises(ValueError, match="alpha .* must be >= 0"):
        lesson.shrinkage_weight(3, -1.0, 27)
    with pytest.raises(ValueError, match="row_total must be >= 0"):
        lesson.shrinkage_weight(-3, 1.0, 27)


def test_smoothing_at_is_consistent():
    train, val, itos = names_counts()
    r = lesson.smoothing_at(log10_alpha=-1.0, prev="a", train_counts=train, val_counts=val, itos=itos)
    i = itos.index("a")
    assert r["alpha"] == pytest.approx(0.1)
    np.testing.assert_allclose(r["row"], (train[i] + 0.1) / (train[i].sum() + 27 * 0.1))
    np.testing.assert_allclose(r["mle_row"], train[i] / train[i].sum())
    assert r["row_total"] == train[i].sum()
    assert r["val_nll"] == pytest.approx(data.bigram_nll(data.bigram_probs(train, 0.1), val))
    assert r["shrinkage"] == pytest.approx(27 * 0.1 / (train[i].sum() + 2.7))
    empty = lesson.smoothing_at(0.0, prev="q", train_counts=train, val_counts=val, itos=itos)  # 'q' never occurs
    assert np.all(np.isnan(empty["mle_row"])) and empty["row"] == pytest.approx(np.full(27, 1 / 27))


def test_smoothing_lesson_updates_when_controls_move():
    train, val, itos = names_counts()
    widget = lesson.smoothing_widget(train, val, itos, prev="a", log10_alpha=0.0)
    view = widget.view
    heights = [b.get_height() for b in view.bars]
    dot = np.array(view.val_dot.get_xdata()).copy()
    widget.controls["log10_alpha"].value = 2.0
    assert widget.result["alpha"] == pytest.approx(100.0)
    assert [b.get_height() for b in view.bars] != heights
    assert not np.allclose(view.val_dot.get_xdata(), dot)
    mle = [b.get_height() for b in view.mle_bars]
    widget.controls["prev"].value = "o"
    assert [b.get_height() for b in view.mle_bars] != mle
    assert "row 'o'" in widget.readout.value


def test_smoothing_at_bad_input():
    train, val, itos = names_counts()
    kw = dict(train_counts=train, val_counts=val, itos=itos)
    with pytest.raises(ValueError, match="prev must be one of"):
        lesson.smoothing_at(0.0, prev="A", **kw)
    with pytest.raises(ValueError, match="log10_alpha"):
        lesson.smoothing_at(float("nan"), prev="a", **kw)
    with pytest.raises(ValueError, match=r"counts must both be \[27, 27\]"):
        lesson.smoothing_at(0.0, prev="a", train_counts=train[:5], val_counts=val, itos=itos)
    with pytest.raises(ValueError, match="counts must be >= 0"):
        lesson.smoothing_at(0.0, prev="a", train_counts=-train, val_counts=val, itos=itos)


# --- the checkers' tables (tests/checker_contract.py; run by tests/test_checker_contract.py) ----------------

def _table_layer():
    torch.manual_seed(3)
    return torch.nn.Linear(3, 2).double()


_LAYER = _table_layer()
_OTHER = torch.nn.Linear(3, 2).double()
_BEST_LAM = lesson.default_sweep(9)["best_lam"]

CHECKER_TABLES = [
    Table(lesson.check_best_lambda, kwargs={"degree": 9},
          right=number_forms(_BEST_LAM) + [0.003, 0.005],
          mistakes={"log10": math.log10(_BEST_LAM), "training MSE is lowest": 1e-8, "no penalty at all": 0.0,
                    "too large": 0.1},
          wrong=[1e-4, 0.01, 1.0, 3.0]),
    Table(lesson.check_decay_groups, args=(_LAYER,),
          right=[_decay_optimizer(_LAYER, 0.5, 0.0),
                 torch.optim.SGD([{"params": [_LAYER.weight]}, {"params": [_LAYER.bias], "weight_decay": 0.0}],
                                 lr=0.1, weight_decay=0.5),
                 _decay_optimizer(_LAYER, 0.5, 0.0, torch.optim.AdamW)],
          mistakes={"bias decayed too": torch.optim.SGD(_LAYER.parameters(), lr=0.1, weight_decay=0.5),
                    "swapped": _decay_optimizer(_LAYER, 0.0, 0.5),
                    "nothing decayed": torch.optim.SGD(_LAYER.parameters(), lr=0.1),
                    "layer.bias is not in the optimizer": torch.optim.SGD([_LAYER.weight], lr=0.1, weight_decay=0.5)},
          wrong=[torch.optim.SGD(_OTHER.parameters(), lr=0.1, weight_decay=0.5), 0.5, _LAYER]),
    Table(lesson.check_pull_shift, args=_alpha_counts()[:2], kwargs={"row": 24, "alpha": 0.3},
          right=["less", "Less", " less "],
          mistakes={"pretend counts": "more", "weigh less": "same"},
          wrong=["smaller", "0.1971", "less and more"]),
    Table(lesson.check_weight_decay, kwargs={"lam": 0.01, "n_weights": 10},
          right=number_forms(0.002) + [2e-3],
          mistakes={"dropped the 2": 0.001, "(λ/2)·Σw²": 0.01, "a sum": 0.02},
          wrong=[0.0, 0.2, 0.0001, 0.005]),
]


def _lesson_cells():
    import json
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "notebooks" / "08_regularization_and_overfitting.ipynb"
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def test_the_lessons_update_rules_are_torchs():
    """Section 6 writes SGD with momentum, Adam and AdamW out by hand (no torch.optim import in the lesson):
    run its cell and compare each rule with the torch optimizer, with and without weight decay."""
    cell = next(c for c in _lesson_cells() if "def sgd_momentum" in c)
    env = {"torch": torch}
    exec(cell, env)
    x, y, w0 = env["x_wd"], env["y_wd"], env["w_start"]

    def grad_fn(w):
        return 2 * x.T @ (x @ w - y) / len(y)

    def torch_run(make, decay):
        w = w0.clone().requires_grad_(True)
        opt = make([w], decay)
        for _ in range(3):
            opt.zero_grad()
            ((x @ w - y) ** 2).mean().backward()
            opt.step()
        return w.detach()

    for decay in (0.0, 0.1):
        torch.testing.assert_close(env["sgd_momentum"](grad_fn, decay),
                                   torch_run(lambda ps, d: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=d), decay))
        torch.testing.assert_close(env["adam"](grad_fn, decay),
                                   torch_run(lambda ps, d: torch.optim.Adam(ps, lr=0.1, weight_decay=d), decay))
        torch.testing.assert_close(env["adam"](grad_fn, decay, decoupled=True),
                                   torch_run(lambda ps, d: torch.optim.AdamW(ps, lr=0.1, weight_decay=d), decay))


def test_torch_decays_the_bias_as_the_lesson_says():
    layer = torch.nn.Linear(3, 2).double()
    before = [p.detach().clone() for p in layer.parameters()]
    opt = torch.optim.SGD(layer.parameters(), lr=0.1, weight_decay=0.5)
    for p in layer.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    for p, b in zip(layer.parameters(), before):
        torch.testing.assert_close(p.detach(), 0.95 * b)
    # the lesson reads torch.optim's source but builds no optimizer (its first step imports torch._dynamo, slowly)
    assert not any(re.search(r"optim\.[A-Z]\w*\(", c) for c in _lesson_cells() if "answer" not in c)


def test_the_torch_source_the_lesson_prints_is_torchs_weight_decay_and_loads_no_dynamo():
    """Section 6 prints torch's own update lines: they must be there, and reading them must stay cheap."""
    cell = next(c for c in _lesson_cells() if "def torch_lines" in c)
    script = cell + "\nimport sys\nprint('dynamo loaded:', 'torch._dynamo' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", "import torch\n" + script], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    for line in ["grad = grad.add(param, alpha=weight_decay)", "buf.mul_(momentum).add_(grad, alpha=1 - dampening)",
                 "if decoupled_weight_decay:", "param.mul_(1 - lr * weight_decay)", "exp_avg.lerp_(grad, 1 - device_beta1)",
                 "default weight_decay: {'SGD': 0, 'Adam': 0, 'AdamW': 0.01}"]:
        assert line in out
    assert out.count("alpha=weight_decay)") == 2  # once for SGD, once for Adam
    assert "dynamo loaded: False" in out
    # AdamW is the same function with the decay decoupled, as the printed header says
    import inspect
    assert "decoupled_weight_decay=True" in inspect.getsource(torch.optim.AdamW.__init__)
