"""helpers.lessons.start_here: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest

from helpers import losses
from helpers.lessons import start_here as lesson
from tests.checker_contract import Table, number_forms


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


# --- the best-belief exercise ---------------------------------------------------------------

FLIPS = "HTHHTHHHTHHTHTHHHTHT"  # the lesson's: 13 heads, 7 tails


def test_total_surprise_bits_by_hand_and_at_the_edges():
    assert lesson.total_surprise_bits(0.5, FLIPS) == pytest.approx(20.0)
    want = -(13 * math.log2(0.65) + 7 * math.log2(0.35))
    assert lesson.total_surprise_bits(0.65, FLIPS) == pytest.approx(want)
    assert lesson.total_surprise_bits(1.0, FLIPS) == math.inf
    assert lesson.total_surprise_bits(1.0, "HHH") == 0.0  # certain and right: no surprise


def test_the_fraction_of_heads_is_the_least_surprised_belief():
    grid = [i / 1000 for i in range(1, 1000)]
    best = min(grid, key=lambda q: lesson.total_surprise_bits(q, FLIPS))
    assert best == pytest.approx(13 / 20)


@pytest.mark.parametrize("call,match", [
    (lambda: lesson.total_surprise_bits(0.5, "HTX"), "string of H and T"),
    (lambda: lesson.total_surprise_bits(0.5, ""), "string of H and T"),
    (lambda: lesson.total_surprise_bits(1.5, "HT"), r"probability in \[0, 1\]"),
])
def test_bad_input_to_total_surprise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_belief_near_the_best_is_close_not_correct():
    assert lesson.check_least_surprised_belief(0.66, FLIPS).status == "close"
    assert lesson.check_least_surprised_belief(0.653, FLIPS).status == "correct"


CHECKER_TABLES = [
    Table(lesson.check_least_surprised_belief, args=(FLIPS,),
          right=number_forms(13 / 20) + [0.65, np.float32(0.65)],
          mistakes={"a fair-coin belief ignores what you saw": 0.5,
                    "that is the fraction of tails": 0.35,
                    "a tail happened, and you gave it probability 0": 1.0,
                    "a head happened, and you gave it probability 0": 0.0,
                    "that looks like a count of heads": 13},
          wrong=[0.6, 0.7, 0.75, 0.62, -0.65]),
]
