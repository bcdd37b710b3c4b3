"""helpers.binary: BCE and hinge losses against torch, the margin widget, checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import binary as B
from helpers import losses

SCORES, TRUE_CLASS = [3.2, 5.1, -1.7], 0  # the CS231n hinge example


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))


# --- BCE ---------------------------------------------------------------------------------------

def test_sigmoid_matches_torch_and_does_not_overflow():
    x = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    with np.errstate(over="raise"):  # an overflow inside would raise here
        got = B.sigmoid(x)
    np.testing.assert_allclose(got, torch.sigmoid(_t(x)).numpy())


def test_bernoulli_likelihood_is_q_to_the_y():
    q, y = np.array([0.2, 0.7, 0.9]), np.array([1.0, 0.0, 1.0])
    np.testing.assert_allclose(B.bernoulli_likelihood(q, y), q ** y * (1 - q) ** (1 - y))
    np.testing.assert_allclose(-np.log(B.bernoulli_likelihood(q, y)), B.bce(q, y, "none"))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_matches_torch(reduction):
    rng = np.random.default_rng(0)
    q, y = rng.uniform(0.01, 0.99, size=(3, 4)), rng.uniform(size=(3, 4))  # soft targets too
    np.testing.assert_allclose(B.bce(q, y, reduction),
                               F.binary_cross_entropy(_t(q), _t(y), reduction=reduction).numpy())


def test_bce_brief_numbers_and_clamp():
    assert B.bce([0.5], [1.0]) == pytest.approx(math.log(2))
    assert B.bce([0.0], [1.0]) == math.inf  # the true value
    assert B.bce([0.0], [1.0], log_floor=B.TORCH_LOG_FLOOR) == F.binary_cross_entropy(_t([0.0]), _t([1.0])).item()
    assert B.bce([1.0, 0.0], [1.0, 0.0]) == 0.0  # certain and right: no 0·log 0 NaN


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_torch_even_at_huge_logits(reduction):
    x = np.array([-800.0, -40.0, -3.0, 0.0, 2.5, 40.0, 800.0])
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.3, 0.0, 0.0])
    want = F.binary_cross_entropy_with_logits(_t(x), _t(y), reduction=reduction).numpy()
    np.testing.assert_allclose(B.bce_with_logits(x, y, reduction), want)


def test_float32_sigmoid_hits_the_clamp_and_with_logits_does_not():
    x32 = torch.tensor([40.0])
    assert torch.sigmoid(x32).item() == 1.0
    assert F.binary_cross_entropy(torch.sigmoid(x32), torch.tensor([0.0])).item() == 100.0
    assert F.binary_cross_entropy_with_logits(x32, torch.tensor([0.0])).item() == pytest.approx(
        B.bce_with_logits([40.0], [0.0]), rel=1e-6)


def test_bce_errors():
    with pytest.raises(ValueError, match="Did you pass logits"):
        B.bce([2.0, 0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match="target must be in \\[0, 1\\]"):
        B.bce_with_logits([0.0], [2.0])
    with pytest.raises(ValueError, match="shape \\[2\\] but target has shape \\[3\\]"):
        B.bce([0.5, 0.5], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="NaN or inf"):
        B.bce_with_logits([float("inf")], [1.0])
    with pytest.raises(ValueError, match="reduction must be"):
        B.bce([0.5], [1.0], reduction="avg")
    with pytest.raises(ValueError, match="y must be 0 or 1"):
        B.bernoulli_likelihood([0.5], [0.5])
    with pytest.raises(ValueError, match="empty"):
        B.bce([], [])


# --- hinge ---------------------------------------------------------------------------------------

def test_multiclass_hinge_classic_example_and_torch():
    total = sum(max(0.0, s - SCORES[TRUE_CLASS] + 1.0) for j, s in enumerate(SCORES) if j != TRUE_CLASS)
    assert B.multiclass_hinge(SCORES, TRUE_CLASS) == pytest.approx(total) == pytest.approx(2.9)
    torch_value = F.multi_margin_loss(_t([SCORES]), torch.tensor([TRUE_CLASS])).item()
    assert B.multiclass_hinge(SCORES, TRUE_CLASS, divide_by_classes=True) == pytest.approx(torch_value)


@pytest.mark.parametrize("margin", [0.5, 1.0, 2.0])
def test_multiclass_hinge_batch_matches_torch(margin):
    rng = np.random.default_rng(4)
    s, t = rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    want = F.multi_margin_loss(_t(s), torch.tensor(t), margin=margin).item()
    assert B.multiclass_hinge(s, t, margin, divide_by_classes=True) == pytest.approx(want)


def test_binary_hinge_is_two_class_relu():
    f, y = np.array([2.0, 0.3, -0.5, -2.0]), np.array([1.0, 1.0, 1.0, -1.0])
    want = torch.relu(1 - _t(y) * _t(f)).mean().item()
    assert B.binary_hinge(f, y) == pytest.approx(want)
    # torch's hinge_embedding_loss is a different loss (for distances); soft_margin is the logistic one
    assert B.bce_with_logits(f, (y + 1) / 2) == pytest.approx(F.soft_margin_loss(_t(f), _t(y)).item())


def test_hinge_errors():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        B.binary_hinge([0.5, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="out of range"):
        B.multiclass_hinge(SCORES, 3)
    with pytest.raises(ValueError, match="C >= 2"):
        B.multiclass_hinge([1.0], 0)
    with pytest.raises(ValueError, match="one class index per row"):
        B.multiclass_hinge([[1.0, 2.0], [0.0, 1.0]], [0])
    with pytest.raises(ValueError, match="whole-number"):
        B.multiclass_hinge(SCORES, 0.5)


# --- the margin picture ---------------------------------------------------------------------

def test_margin_losses_agree_with_bce_in_margin_form():
    m = np.linspace(-5, 5, 41)
    vals = B.margin_losses(m)
    # logistic(m) = BCE with logit f and label 1 when m = f (y = +1)
    np.testing.assert_allclose(vals["logistic"], F.binary_cross_entropy_with_logits(_t(m), torch.ones(41), reduction="none").numpy())
    np.testing.assert_allclose(vals["hinge"], torch.relu(1 - _t(m)).numpy())
    np.testing.assert_allclose(vals["squared"], F.mse_loss(_t(m), torch.ones(41), reduction="none").numpy())
    assert np.all(vals["0-1"] == (m <= 0))
    assert B.margin_losses(0.0)["logistic"] == pytest.approx(math.log(2))


def test_losses_at_margin_and_regions():
    r = B.losses_at_margin(2.0)
    assert r["values"]["hinge"] == 0.0 and r["values"]["squared"] == 1.0 and r["region"] == "confident and right"
    assert B.losses_at_margin(-2.0)["region"] == "confident and wrong"
    assert B.losses_at_margin(0.3)["region"].startswith("unsure")
    with pytest.raises(ValueError, match="NaN or inf"):
        B.margin_losses(float("nan"))


def test_margin_lesson_moves_markers():
    lesson = B.margin_lesson()
    view = lesson.view
    n_lines = len(view.fig.axes[0].lines)
    lesson.controls["margin"].value = -1.5
    assert lesson.result["margin"] == -1.5
    assert view.markers["hinge"].get_xdata()[0] == -1.5
    assert view.markers["hinge"].get_ydata()[0] == pytest.approx(2.5)
    assert view.labels["squared"].get_text() == f"{(1 + 1.5) ** 2:.2f}"
    assert len(view.fig.axes[0].lines) == n_lines  # nothing re-drawn, only moved
    assert "confident and wrong" in lesson.readout.value
    ys = sorted(label.get_position()[1] for label in view.labels.values())
    assert min(np.diff(ys)) >= 0.3  # labels never overlap


# --- checkers --------------------------------------------------------------------------------

def test_check_bce():
    q, y = [0.9, 0.2, 0.6], [1.0, 0.0, 1.0]
    want = float(np.mean([-math.log(0.9), -math.log(0.8), -math.log(0.6)]))
    assert B.check_bce(want, q, y).status == "correct"
    assert B.check_bce(..., q, y).status == "unanswered"
    assert "sum" in B.check_bce(3 * want, q, y).detail
    only_pos = float(np.mean([-math.log(0.9), 0.0, -math.log(0.6)]))
    assert "(1 - y)" in B.check_bce(only_pos, q, y).detail


def test_check_bce_with_logits_fn():
    assert B.check_bce_with_logits_fn(B.bce_with_logits).status == "correct"
    assert B.check_bce_with_logits_fn(...).status == "unanswered"

    def naive(x, y):
        with np.errstate(all="ignore"):
            q = 1 / (1 + np.exp(-x))
            return float(np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q))))

    v = B.check_bce_with_logits_fn(naive)
    assert v.status == "wrong" and "log1p" in v.detail
    as_probs = lambda x, y: float(np.mean(-(y * x + (1 - y) * (1 - x))))
    assert "log-odds" in B.check_bce_with_logits_fn(as_probs).detail


def test_check_multi_margin():
    torch_value = F.multi_margin_loss(_t([SCORES]), torch.tensor([TRUE_CLASS])).item()
    assert B.check_multi_margin(torch_value, SCORES, TRUE_CLASS).status == "correct"
    assert "divides it by C" in B.check_multi_margin(2.9, SCORES, TRUE_CLASS).detail
    assert "included the true class" in B.check_multi_margin(3.9 / 3, SCORES, TRUE_CLASS).detail
    assert "C - 1" in B.check_multi_margin(2.9 / 2, SCORES, TRUE_CLASS).detail


def test_check_confident_right():
    assert B.check_confident_right({"hinge", "0-1"}).status == "correct"
    assert B.check_confident_right(["0-1", "Hinge"]).status == "correct"
    assert B.check_confident_right(...).status == "unanswered"
    assert "too right" in B.check_confident_right({"hinge", "0-1", "squared"}).detail
    assert "also exactly 0" in B.check_confident_right("hinge").detail
    assert "not one of the options" in B.check_confident_right("mse").detail


def test_cross_entropy_of_two_classes_is_bce():
    # softmax over logits [0, x] gives sigmoid(x) for class 1: CE equals BCE with logits
    x = np.array([-2.0, 0.5, 3.0])
    y = np.array([0, 1, 1])
    assert losses.cross_entropy(np.c_[np.zeros(3), x], y) == pytest.approx(B.bce_with_logits(x, y.astype(float)))


def test_bernoulli_likelihood_rejects_logits():
    with pytest.raises(ValueError, match="apply sigmoid to logits first"):
        B.bernoulli_likelihood([1.5], [1.0])


def test_check_multi_margin_counts_the_true_class_slip():
    c = len(SCORES)
    assert "not divided by C" in B.check_multi_margin(2.9 + 1.0, SCORES, TRUE_CLASS).detail
    assert B.check_multi_margin(..., SCORES, TRUE_CLASS).status == "unanswered"
    assert B.check_multi_margin(2.9 / c, SCORES, TRUE_CLASS, margin=1.0).status == "correct"
