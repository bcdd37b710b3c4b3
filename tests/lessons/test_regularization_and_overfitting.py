"""helpers.lessons.regularization_and_overfitting: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch

from helpers import data
from helpers.lessons import regularization_and_overfitting as lesson

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
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    lesson.draw_fits(ax1, lesson.make_poly_data(), degrees=(1, 3))
    lesson.draw_train_val(ax2, [1, 2, 3], [3, 2, 1], [3, 2, 4], xlabel="x", ylabel="y", logx=True, logy=True)
    assert len(ax1.lines) == 3 and len(ax2.lines) == 2
    assert ax2.get_xscale() == "log" and ax2.get_yscale() == "log"
    ax3, ax4, ax5 = Figure().subplots(1, 3)
    lesson.draw_degree_sweep(ax3, lesson.degree_sweep(lesson.make_poly_data(), degrees=range(4)))
    assert ax3.get_ylim() == pytest.approx((1e-3, 1e5)) and len(ax3.lines) == 3
    lesson.draw_weight_histograms(ax4, {0.0: RNG.standard_normal((3, 3)), 0.1: np.zeros(9)})
    assert len(ax4.patches) == 2 and ax4.get_legend() is not None
    lesson.draw_row_estimates(ax5, {"a": [0.5, 0.5, 0.0], "b": [0.4, 0.4, 0.2]}, [".", "a", "b"], row_label="a")
    assert len(ax5.patches) == 6 and ax5.lines[0].get_ydata()[0] == pytest.approx(1 / 3)


def test_check_penalty():
    w = np.array([1.5, -0.5, 0.0, 2.0, -1.0])
    assert lesson.check_penalty(0.015, w).status == "correct"
    assert lesson.check_penalty(0.01 * np.sum(w ** 2), w).status == "wrong"
    assert "sum" in lesson.check_penalty(0.01 * np.sum(w ** 2), w).detail
    assert "forgot" in lesson.check_penalty(np.mean(w ** 2), w).detail
    assert "L1" in lesson.check_penalty(0.01 * np.mean(np.abs(w)), w).detail
    assert lesson.check_penalty(0.0, w).status == "wrong"
    assert lesson.check_penalty(..., w).status == "unanswered"


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


def test_check_unseen_probability():
    assert lesson.check_unseen_probability(1 / 60, row_total=33).status == "correct"
    assert "MLE" in lesson.check_unseen_probability(0.0, row_total=33).detail
    assert "uniform" in lesson.check_unseen_probability(1 / 27, row_total=33).detail
    assert "N + Vα" in lesson.check_unseen_probability(1 / 34, row_total=33).detail
    assert lesson.check_unseen_probability(..., row_total=33).status == "unanswered"


def test_check_weight_decay():
    assert lesson.check_weight_decay(0.002, lam=0.01, n_weights=10).status == "correct"
    assert lesson.check_weight_decay(0.0, lam=0.01, n_weights=10).status == "wrong"
    assert "2" in lesson.check_weight_decay(0.001, lam=0.01, n_weights=10).detail
    assert "(λ/2)" in lesson.check_weight_decay(0.01, lam=0.01, n_weights=10).detail
    assert "sum" in lesson.check_weight_decay(0.02, lam=0.01, n_weights=10).detail
    assert lesson.check_weight_decay(..., lam=0.01, n_weights=10).status == "unanswered"


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
