import math

import pytest

from helpers import losses, surprise_curve


def test_surprise_of_matches_losses_surprise():
    r = surprise_curve.surprise_of(0.25)
    assert r["nats"] == pytest.approx(losses.surprise([0.25, 0.75], 0))
    assert r["bits"] == pytest.approx(2.0)
    assert surprise_curve.surprise_of(1.0)["nats"] == 0.0


@pytest.mark.parametrize("q", [0.0, -0.1, 1.5, math.nan])
def test_bad_q(q):
    with pytest.raises(ValueError, match="probability in"):
        surprise_curve.surprise_of(q)


def test_lesson_moves_the_marker():
    lesson = surprise_curve.surprise_lesson()
    before = lesson.live.image.value
    lesson.controls["q"].value = 0.5
    x, y = lesson.view.marker.get_data()
    assert x[0] == 0.5 and y[0] == pytest.approx(math.log(2))
    assert lesson.live.image.value != before
    assert "0.6931 nats" in lesson.readout.value
