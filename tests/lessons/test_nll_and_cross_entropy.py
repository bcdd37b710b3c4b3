"""helpers.lessons.nll_and_cross_entropy: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import losses
from helpers.lessons import nll_and_cross_entropy as lesson


def _torch_loss(z, y, name):
    """The three losses written independently in torch (mean over examples)."""
    q = F.softmax(z, dim=-1)
    onehot = F.one_hot(y, z.shape[-1]).to(z.dtype)
    if name == "ce":
        return F.cross_entropy(z, y)
    if name == "mse":  # sum over classes, mean over examples: F.mse_loss(sum) / N
        return F.mse_loss(q, onehot, reduction="sum") / z.shape[0]
    return F.l1_loss(q, onehot, reduction="sum") / z.shape[0]



@pytest.mark.parametrize("name", lesson.LOSSES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_and_grad_match_autograd(name, seed):
    rng = np.random.default_rng(seed)
    z, y = 3 * rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    value, grad = lesson.loss_and_grad(z, y, name)
    zt = torch.tensor(z, requires_grad=True)
    loss = _torch_loss(zt, torch.tensor(y), name)
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), atol=1e-12)


def test_single_example_and_ce_gradient_is_softmax_minus_onehot():
    z = np.array([0.5, -1.0, 2.0])
    value, grad = lesson.loss_and_grad(z, 1, "ce")
    assert value == pytest.approx(-losses.log_softmax(z)[1])
    np.testing.assert_allclose(grad, losses.softmax(z) - np.eye(3)[1], atol=1e-15)
    assert grad.shape == (3,)


@pytest.mark.parametrize("p,c", [(0.3, 2), (1e-3, 3), (0.9, 10)])
def test_logits_for_true_prob(p, c):
    q = losses.softmax(lesson.logits_for_true_prob(p, c))
    assert q[0] == pytest.approx(p) and np.allclose(q[1:], (1 - p) / (c - 1))


def test_mse_and_l1_gradients_vanish_for_a_confident_wrong_answer_but_ce_does_not():
    for c in (2, 3, 10):
        r = lesson.gradient_vs_confidence(true_prob=1e-4, n_classes=c)
        assert r["ce"]["grad_norm"] == pytest.approx(math.sqrt(c / (c - 1)), rel=1e-3)  # ‖q − onehot‖
        assert r["mse"]["grad_norm"] < 1e-3 and r["l1"]["grad_norm"] < 1e-3
        assert r["ce"]["value"] == pytest.approx(-math.log(1e-4))
        # every loss is 0 with a zero gradient at q[true] -> 1; the curves end near there
        assert r["mse"]["values"][-1] < 1e-5 and r["ce"]["grad_norms"][-1] < 2e-3


def test_gradient_vs_confidence_curves_match_pointwise():
    r = lesson.gradient_vs_confidence(0.01, 4)
    i = 123
    v, g = lesson.loss_and_grad(lesson.logits_for_true_prob(lesson.P_GRID[i], 4), 0, "mse")
    assert r["mse"]["values"][i] == pytest.approx(v) and r["mse"]["grad_norms"][i] == pytest.approx(np.linalg.norm(g))


def test_lesson_updates_in_place():
    widget = lesson.gradient_widget()
    assert widget.result["true_prob"] == pytest.approx(0.01)
    widget.controls["true_prob"].value = 0.5
    assert widget.result["true_prob"] == pytest.approx(0.5)
    dot = widget.view.dots["grad_norms", "ce"]
    assert dot.get_ydata()[0] == pytest.approx(widget.result["ce"]["grad_norm"])
    widget.controls["n_classes"].value = 7
    assert widget.result["n_classes"] == 7
    np.testing.assert_allclose(widget.view.lines["values", "mse"].get_ydata(),
                               lesson.gradient_vs_confidence(0.5, 7)["mse"]["values"])
    assert "cross-entropy" in widget.readout.value


def test_toy_data_is_seeded():
    x1, y1, _ = lesson.toy_data(seed=0)
    x2, y2, _ = lesson.toy_data(seed=0)
    assert x1.shape == (300, 2) and np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, lesson.toy_data(seed=1)[0])


def test_training_step_matches_torch_autograd():
    """One step of train_toy equals a step computed with torch on W and b."""
    x, y, centres = lesson.toy_data()
    for name in lesson.LOSSES:
        w = torch.tensor(1.5 * np.roll(centres, 1, axis=0).T, requires_grad=True)
        b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        _torch_loss(torch.tensor(x) @ w + b, torch.tensor(y), name).backward()
        w1, b1 = (w - w.grad).detach().numpy(), (b - b.grad).detach().numpy()
        h = lesson.train_toy(name, steps=2, lr=1.0)
        assert h["nll"][1] == pytest.approx(losses.cross_entropy(x @ w1 + b1, y))


def test_cross_entropy_escapes_a_confident_mistake_first():
    h = {name: lesson.train_toy(name) for name in lesson.LOSSES}
    assert h["ce"]["nll"][0] == h["mse"]["nll"][0] > 5  # same start, confidently wrong
    steps = {name: lesson.steps_to_accuracy(hist) for name, hist in h.items()}
    assert steps["ce"] is not None and all(s is None or s > 3 * steps["ce"] for n, s in steps.items() if n != "ce")
    assert h["ce"]["accuracy"][-1] > 0.95
    assert lesson.steps_to_accuracy({"accuracy": np.array([0.1, 0.2])}) is None


def test_plot_training_draws_every_run_on_three_axes():
    from matplotlib.figure import Figure
    h = {name: lesson.train_toy(name, steps=5) for name in lesson.LOSSES}
    axes = Figure().subplots(1, 3)
    lesson.plot_training(h, axes)
    assert [len(ax.lines) for ax in axes] == [3, 3, 3]
    np.testing.assert_allclose(axes[0].lines[1].get_ydata(), h["mse"]["loss"] / h["mse"]["loss"][0])
    with pytest.raises(ValueError, match="draws on 3 axes; got 2"):
        lesson.plot_training(h, axes[:2])


@pytest.mark.parametrize("p", [0.2, 0.7, 0.95])
def test_ce_and_squared_are_proper_absolute_is_not(p):
    ex = lesson.expected_scores(p)
    assert ex["best"]["ce"] == pytest.approx(p, abs=1e-3) and ex["best"]["mse"] == pytest.approx(p, abs=1e-3)
    assert ex["best"]["l1"] in (ex["q"][0], ex["q"][-1])
    # expected CE is H(p, q) from helpers.losses
    i = 400
    assert ex["scores"]["ce"][i] == pytest.approx(losses.cross_entropy_probs([p, 1 - p], [ex["q"][i], 1 - ex["q"][i]]))


def test_check_double_softmax():
    assert lesson.check_double_softmax("c").status == "correct"
    assert lesson.check_double_softmax(" C ").status == "correct"
    v = lesson.check_double_softmax("b")
    assert v.status == "wrong" and "softmax once" in v.detail
    assert "not one of the options" in lesson.check_double_softmax("e").detail
    assert lesson.check_double_softmax(...).status == "unanswered"


def test_check_bits():
    nats = math.log(8)
    assert lesson.check_bits(3.0, nats).status == "correct"
    assert "divide" in lesson.check_bits(nats * math.log(2), nats).detail
    assert "base 10" in lesson.check_bits(nats / math.log(10), nats).detail
    assert "divided by 2" in lesson.check_bits(nats / 2, nats).detail
    assert lesson.check_bits(None, nats).status == "unanswered"


def test_check_ignore_index():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.5, 1.4, 0.2], [-0.5, 2.5, 0.0]])
    target = np.array([2, -100, 0, -100])
    right = F.cross_entropy(torch.tensor(logits), torch.tensor(target)).item()  # torch's default -100
    assert lesson.check_ignore_index(right, logits, target).status == "correct"
    assert "kept targets only" in lesson.check_ignore_index(right / 2, logits, target).detail
    assert "sum over the kept" in lesson.check_ignore_index(right * 2, logits, target).detail
    assert lesson.check_ignore_index(..., logits, target).status == "unanswered"


def test_check_soft_ce():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.5, 0.25])
    right = -(0.5 * math.log(0.25) + 0.5 * math.log(0.5))
    torch_value = F.cross_entropy(torch.log(torch.tensor(q))[None], torch.tensor(p)[None]).item()
    assert right == pytest.approx(torch_value)
    assert lesson.check_soft_ce(right, p, q).status == "correct"
    assert "swapped" in lesson.check_soft_ce(math.inf, p, q).detail  # H(q, p) is inf: q puts mass where p is 0
    assert "KL" in lesson.check_soft_ce(losses.kl_divergence(p, q), p, q).detail
    assert "H(p), the floor" in lesson.check_soft_ce(math.log(2), p, q).detail
    assert "minus sign" in lesson.check_soft_ce(-right, p, q).detail
    assert lesson.check_soft_ce(..., p, q).status == "unanswered"


@pytest.mark.parametrize("call,match", [
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [0], "hinge"), r"unknown loss 'hinge'; expected one of"),
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [2], "ce"), r"class index 2 is out of range"),
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [0, 1], "ce"), r"target has shape \[2\]"),
    (lambda: lesson.loss_and_grad(np.ones((2, 2, 2)), [0, 1], "ce"), r"logits must be \[N, C\]"),
    (lambda: lesson.loss_and_grad([[1.0, float("nan")]], [0], "mse"), r"logits contains NaN"),
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [0.5], "ce"), r"whole-number class indices"),
    (lambda: lesson.logits_for_true_prob(0.0, 3), r"strictly between 0 and 1"),
    (lambda: lesson.logits_for_true_prob(1.2, 3), r"strictly between 0 and 1"),
    (lambda: lesson.logits_for_true_prob(0.5, 1), r"n_classes must be a whole number >= 2"),
    (lambda: lesson.logits_for_true_prob(0.5, 2.5), r"n_classes must be a whole number >= 2"),
    (lambda: lesson.gradient_vs_confidence(0.5, 1), r"n_classes must be"),
    (lambda: lesson.toy_data(n_per_class=0), r"n_per_class >= 1"),
    (lambda: lesson.train_toy("cosine"), r"unknown loss 'cosine'"),
    (lambda: lesson.train_toy("ce", lr=-1.0), r"lr > 0"),
    (lambda: lesson.expected_scores(1.0), r"p_true must be strictly between 0 and 1"),
    (lambda: lesson.expected_scores(0.5, [0.0, 0.5]), r"q_grid must be 1-D"),
    (lambda: lesson.check_soft_ce(1.0, [0.5, 0.6], [0.5, 0.5]), r"p must sum to 1"),
])
def test_bad_input_raises_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
