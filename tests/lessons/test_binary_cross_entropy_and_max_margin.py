"""helpers.lessons.binary_cross_entropy_and_max_margin: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import losses
from helpers.lessons import binary_cross_entropy_and_max_margin as lesson

SCORES, TRUE_CLASS = [3.2, 5.1, -1.7], 0  # the CS231n hinge example


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))



def test_margin_losses_agree_with_bce_in_margin_form():
    m = np.linspace(-5, 5, 41)
    vals = lesson.margin_losses(m)
    # logistic(m) = BCE with logit f and label 1 when m = f (y = +1)
    np.testing.assert_allclose(vals["logistic"], F.binary_cross_entropy_with_logits(_t(m), torch.ones(41), reduction="none").numpy())
    np.testing.assert_allclose(vals["hinge"], torch.relu(1 - _t(m)).numpy())
    np.testing.assert_allclose(vals["squared"], F.mse_loss(_t(m), torch.ones(41), reduction="none").numpy())
    assert np.all(vals["0-1"] == (m <= 0))
    assert lesson.margin_losses(0.0)["logistic"] == pytest.approx(math.log(2))


def test_losses_at_margin_and_regions():
    r = lesson.losses_at_margin(2.0)
    assert r["values"]["hinge"] == 0.0 and r["values"]["squared"] == 1.0 and r["region"] == "confident and right"
    assert lesson.losses_at_margin(-2.0)["region"] == "confident and wrong"
    assert lesson.losses_at_margin(0.3)["region"].startswith("unsure")
    with pytest.raises(ValueError, match="NaN or inf"):
        lesson.margin_losses(float("nan"))


def test_margin_lesson_moves_markers():
    widget = lesson.margin_widget()
    view = widget.view
    n_lines = len(view.fig.axes[0].lines)
    widget.controls["margin"].value = -1.5
    assert widget.result["margin"] == -1.5
    assert view.markers["hinge"].get_xdata()[0] == -1.5
    assert view.markers["hinge"].get_ydata()[0] == pytest.approx(2.5)
    assert view.labels["squared"].get_text() == f"{(1 + 1.5) ** 2:.2f}"
    assert len(view.fig.axes[0].lines) == n_lines  # nothing re-drawn, only moved
    assert "confident and wrong" in widget.readout.value
    ys = sorted(label.get_position()[1] for label in view.labels.values())
    assert min(np.diff(ys)) >= 0.3  # labels never overlap


def test_check_bce():
    q, y = [0.9, 0.2, 0.6], [1.0, 0.0, 1.0]
    want = float(np.mean([-math.log(0.9), -math.log(0.8), -math.log(0.6)]))
    assert lesson.check_bce(want, q, y).status == "correct"
    assert lesson.check_bce(..., q, y).status == "unanswered"
    assert "sum" in lesson.check_bce(3 * want, q, y).detail
    only_pos = float(np.mean([-math.log(0.9), 0.0, -math.log(0.6)]))
    assert "(1 - y)" in lesson.check_bce(only_pos, q, y).detail


def test_check_bce_with_logits_fn():
    assert lesson.check_bce_with_logits_fn(losses.bce_with_logits).status == "correct"
    assert lesson.check_bce_with_logits_fn(...).status == "unanswered"

    def naive(x, y):
        with np.errstate(all="ignore"):
            q = 1 / (1 + np.exp(-x))
            return float(np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q))))

    v = lesson.check_bce_with_logits_fn(naive)
    assert v.status == "wrong" and "log1p" in v.detail
    as_probs = lambda x, y: float(np.mean(-(y * x + (1 - y) * (1 - x))))
    assert "log-odds" in lesson.check_bce_with_logits_fn(as_probs).detail


def test_check_multi_margin():
    torch_value = F.multi_margin_loss(_t([SCORES]), torch.tensor([TRUE_CLASS])).item()
    assert lesson.check_multi_margin(torch_value, SCORES, TRUE_CLASS).status == "correct"
    assert "divides it by C" in lesson.check_multi_margin(2.9, SCORES, TRUE_CLASS).detail
    assert "included the true class" in lesson.check_multi_margin(3.9 / 3, SCORES, TRUE_CLASS).detail
    assert "C - 1" in lesson.check_multi_margin(2.9 / 2, SCORES, TRUE_CLASS).detail


def test_check_confident_right():
    assert lesson.check_confident_right({"hinge", "0-1"}).status == "correct"
    assert lesson.check_confident_right(["0-1", "Hinge"]).status == "correct"
    assert lesson.check_confident_right(...).status == "unanswered"
    assert "too right" in lesson.check_confident_right({"hinge", "0-1", "squared"}).detail
    assert "also exactly 0" in lesson.check_confident_right("hinge").detail
    assert "not one of the options" in lesson.check_confident_right("mse").detail


def test_check_multi_margin_counts_the_true_class_slip():
    c = len(SCORES)
    assert "not divided by C" in lesson.check_multi_margin(2.9 + 1.0, SCORES, TRUE_CLASS).detail
    assert lesson.check_multi_margin(..., SCORES, TRUE_CLASS).status == "unanswered"
    assert lesson.check_multi_margin(2.9 / c, SCORES, TRUE_CLASS, margin=1.0).status == "correct"
