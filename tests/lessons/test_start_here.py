"""helpers.lessons.start_here: the lesson's pure functions, views, widgets and checkers."""
import math

import pytest

from helpers import losses
from helpers.lessons import start_here as lesson


def test_surprise_of_matches_losses_surprise():
    r = lesson.surprise_of(0.25)
    assert r["nats"] == pytest.approx(losses.surprise([0.25, 0.75], 0))
    assert r["bits"] == pytest.approx(2.0)
    assert lesson.surprise_of(1.0)["nats"] == 0.0


@pytest.mark.parametrize("q", [0.0, -0.1, 1.5, math.nan])
def test_bad_q(q):
    with pytest.raises(ValueError, match="probability in"):
        lesson.surprise_of(q)


def test_lesson_moves_the_marker():
    widget = lesson.surprise_widget()
    widget.controls["q"].value = 0.5
    x, y = widget.view.marker.get_data()
    assert x[0] == 0.5 and y[0] == pytest.approx(math.log(2))
    assert "0.6931 nats" in widget.readout.value


def test_label_stays_inside_the_figure_at_both_ends():
    """The readout label must not run off the right edge (it did at q = 1)."""
    view = lesson.SurpriseView()
    fig_box = view.fig.bbox
    for q in (lesson.Q_MIN, 0.5, 1.0):
        view.update(lesson.surprise_of(q))
        view.fig.canvas.draw()
        box = view.label.get_window_extent()
        assert fig_box.x0 <= box.x0 and box.x1 <= fig_box.x1 and box.y1 <= fig_box.y1, q
