"""helpers.lessons.log_softmax_and_shapes: the lesson's pure functions, views, widgets and checkers."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.lessons import log_softmax_and_shapes as lesson


def test_softmax_at_temperature_matches_torch():
    r = lesson.softmax_at_temperature(temperature=2.0, first_logit=3.0)
    z = torch.tensor([3.0, 1.0, 0.1, -1.0], dtype=torch.float64)
    np.testing.assert_allclose(r["probs"], F.softmax(z / 2.0, -1).numpy(), atol=1e-12)
    np.testing.assert_allclose(r["log_probs"], F.log_softmax(z / 2.0, -1).numpy(), atol=1e-12)
    assert r["sum"] == pytest.approx(1.0)


def test_low_temperature_sharpens_and_high_flattens():
    cold = lesson.softmax_at_temperature(0.2)["probs"]
    hot = lesson.softmax_at_temperature(5.0)["probs"]
    assert cold.max() > 0.99 and hot.max() < 0.4


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        lesson.softmax_at_temperature(0.0)


def test_widget_bars_and_readout_follow_the_temperature():
    widget = lesson.softmax_temperature_widget()
    text, n = widget.readout.value, widget.updates
    widget.controls["temperature"].value = 3.0
    assert widget.updates == n + 1
    assert widget.readout.value != text and "T = 3.00" in widget.readout.value
    np.testing.assert_allclose(widget.result["probs"],
                               lesson.softmax_at_temperature(3.0, 2.0)["probs"])
    heights = [b.get_height() for b in widget.view.probs.bars]
    np.testing.assert_allclose(heights, widget.result["probs"])


def test_softmax_view_labels_stay_off_the_title_and_tick_labels():
    """At a low temperature one bar is 1 and the others far below the log floor: labels stay in the axes."""
    view = lesson.SoftmaxView()
    view.update(lesson.softmax_at_temperature(0.1, 8.0))
    assert all(t.get_position()[1] < lesson.PROB_TOP for t in view.probs.texts)
    lo, hi = view.logs.ax.get_ylim()
    for text in view.logs.texts:
        y, va = text.get_position()[1], text.get_va()
        assert lo <= y < hi and not (y == lo and va == "top")
