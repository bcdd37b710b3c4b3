"""helpers.lessons.binary_cross_entropy_and_max_margin: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import losses
from helpers.lessons import binary_cross_entropy_and_max_margin as lesson
from tests.checker_contract import Table, number_forms

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


def test_check_multi_margin():
    torch_value = F.multi_margin_loss(_t([SCORES]), torch.tensor([TRUE_CLASS])).item()
    assert lesson.check_multi_margin(torch_value, SCORES, TRUE_CLASS).status == "correct"
    assert "divides it by C" in lesson.check_multi_margin(2.9, SCORES, TRUE_CLASS).detail
    assert "included the true class" in lesson.check_multi_margin(3.9 / 3, SCORES, TRUE_CLASS).detail
    assert "C - 1" in lesson.check_multi_margin(2.9 / 2, SCORES, TRUE_CLASS).detail


def test_check_multi_margin_counts_the_true_class_slip():
    c = len(SCORES)
    assert "not divided by C" in lesson.check_multi_margin(2.9 + 1.0, SCORES, TRUE_CLASS).detail
    assert lesson.check_multi_margin(..., SCORES, TRUE_CLASS).status == "unanswered"
    assert lesson.check_multi_margin(2.9 / c, SCORES, TRUE_CLASS, margin=1.0).status == "correct"


# --- the 2-D classifier: data, the exact widest street, the lesson's training loop ---------------

def _train(loss, lam, X, y, steps=3000):
    """The lesson's section 4 loop (numpy, full batch)."""
    w, b = np.zeros(2), 0.0
    for t in range(steps):
        m = y * ((X * w).sum(axis=1) + b)
        if loss == "hinge":
            d, lr = -y * (m < 1), 1.0 / (1 + t / 100)
        else:
            d, lr = -y * np.exp(-np.logaddexp(0.0, m)), 1.0
        w = w - lr * ((d[:, None] * X).mean(axis=0) + lam * w)
        b = b - lr * d.mean()
    return w, b


def _angle_search(X, y, n=200_001):
    u = np.stack([np.cos(a := np.linspace(0, 2 * np.pi, n)), np.sin(a)], axis=1)
    proj = u @ X.T
    return ((proj[:, y > 0].min(1) - proj[:, y < 0].max(1)) / 2).max()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_widest_street_is_exact_and_beats_every_direction(seed):
    X, y = lesson.two_classes(seed=seed)
    half, u, b = lesson.widest_street(X, y)
    assert np.linalg.norm(u) == pytest.approx(1.0)
    m = y * (X @ u + b)
    assert m.min() == pytest.approx(half, abs=1e-12)            # the nearest points sit on both edges
    assert m[y > 0].min() == pytest.approx(m[y < 0].min(), abs=1e-12)
    assert half >= _angle_search(X, y) - 1e-12                 # no direction gives a wider street
    assert half - _angle_search(X, y) < 1e-4


def test_hinge_plus_l2_finds_the_widest_street_and_logistic_does_not():
    X, y = lesson.two_classes()
    half = lesson.widest_street(X, y)[0]
    hinge = lesson.street_of(*_train("hinge", 0.01, X, y), X, y)
    logistic = lesson.street_of(*_train("logistic", 0.01, X, y), X, y)
    assert hinge["min_distance"] == pytest.approx(half, rel=2e-3) and hinge["inside"] == 0
    assert logistic["min_distance"] < 0.8 * half and logistic["wrong_side"] == 0


def test_the_hinge_alone_reaches_zero_loss_with_a_narrower_street():
    """The lesson's claim: without L2 the hinge stops at 0 on a line whose street is not the widest."""
    X, y = lesson.two_classes()
    w, b = _train("hinge", 0.0, X, y)
    assert np.maximum(0, 1 - y * (X @ w + b)).mean() == 0.0
    assert lesson.street_of(w, b, X, y)["min_distance"] < 0.9 * lesson.widest_street(X, y)[0]


def test_the_exercise_data_needs_a_smaller_lambda():
    """Exercise (d): with the lesson's λ a point stays inside the street; a smaller λ reaches the widest."""
    X, y = lesson.two_classes(seed=1)
    assert lesson.check_max_margin(_train("hinge", 0.01, X, y), X, y).status == "wrong"
    assert "inside your street" in lesson.check_max_margin(_train("hinge", 0.01, X, y), X, y).detail
    assert lesson.check_max_margin(_train("hinge", 0.003, X, y), X, y).status == "correct"


def test_street_of_and_widest_street_errors():
    X, y = lesson.two_classes()
    with pytest.raises(ValueError, match="no line separates"):
        lesson.widest_street([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]], [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="labels \\+1 and -1"):
        lesson.widest_street(X, (y + 1) / 2)
    with pytest.raises(ValueError, match="expected X \\[N, 2\\]"):
        lesson.street_of([1.0, 1.0], 0.0, X[:, :1], y)
    with pytest.raises(ValueError, match="not both 0"):
        lesson.street_of([0.0, 0.0], 0.0, X, y)
    with pytest.raises(ValueError, match="n must be a whole number"):
        lesson.two_classes(n=0)


def test_draw_classifiers_draws_boundaries_and_the_street():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    X, y = lesson.two_classes()
    fig, ax = plt.subplots()
    models = {"hinge + L2": _train("hinge", 0.01, X, y, steps=300), "logistic + L2": _train("logistic", 0.01, X, y, 300)}
    lesson.draw_classifiers(ax, X, y, models, street="hinge + L2")
    labels = ax.get_legend_handles_labels()[1]
    assert "hinge + L2: w·x + b = ±1" in labels and "logistic + L2: boundary" in labels
    plt.close(fig)


# --- checkers ---------------------------------------------------------------------------------

def _naive_pair(sw, sl):
    with np.errstate(all="ignore"):
        return float(np.mean(np.log(1 + np.exp(-(np.asarray(sw) - np.asarray(sl))))))


def _off_by(rel):
    return lambda sw, sl: lesson.pair_logistic(sw, sl) * (1 + rel)


X1, Y1 = lesson.two_classes(seed=1)
W_GOOD, B_GOOD = _train("hinge", 0.003, X1, Y1)
Q_BCE, Y_BCE = [0.9, 0.2, 0.6], [1.0, 0.0, 1.0]
BCE_RIGHT = float(np.mean([-math.log(0.9), -math.log(0.8), -math.log(0.6)]))

CHECKER_TABLES = [
    Table(lesson.check_bce, args=(Q_BCE, Y_BCE),
          right=number_forms(BCE_RIGHT),
          mistakes={"sum over the examples": 3 * BCE_RIGHT,
                    "(1 - y)": float(np.mean([-math.log(0.9), 0.0, -math.log(0.6)])),
                    "swapped q and 1 - q": losses.bce([0.1, 0.8, 0.4], Y_BCE),
                    "in bits": BCE_RIGHT / math.log(2), "minus sign": -BCE_RIGHT},
          wrong=[math.log(2), 0.3, 1.0 - 0.9 * 0.8 * 0.6]),
    Table(lesson.check_support_vectors,
          right=["hinge", "Hinge", " hinge "],
          mistakes={"never exactly 0: remove points and it moves": "logistic",
                    "small but not 0": "both", "exactly 0: removing it changes nothing": "neither"},
          wrong=["svm", ["hinge", "logistic"], "hinge + L2"]),
    Table(lesson.check_pair_logistic_fn,
          right=[lesson.pair_logistic,
                 lambda sw, sl: float(np.mean(np.maximum(-(sw - sl), 0) + np.log1p(np.exp(-np.abs(sw - sl))))),
                 lambda sw, sl: F.softplus(-(torch.tensor(sw) - torch.tensor(sl))).mean().item(),
                 _off_by(5e-10)],
          mistakes={"the other way round": lambda sw, sl: lesson.pair_logistic(sl, sw),
                    "margin ranking (hinge) loss": lambda sw, sl: float(np.mean(np.maximum(0.0, 1 - (sw - sl)))),
                    "that is the sum": lambda sw, sl: lesson.pair_logistic(sw, sl) * len(sw),
                    "overflows for d = -800": _naive_pair,
                    "more than the relative 1e-09 allowed": _off_by(1e-4)},
          wrong=[_off_by(3e-9), _off_by(0.2), lambda sw, sl: lesson.pair_logistic(sw, sl) + 4e-5,
                 lambda sw, sl: float(np.mean(np.logaddexp(0.0, sw - sl)))]),
    Table(lesson.check_multi_margin, args=(SCORES, TRUE_CLASS),
          right=number_forms(2.9 / 3),
          mistakes={"divides it by C": 2.9, "included the true class": 3.9 / 3,
                    "not divided by C": 3.9, "not by C - 1": 2.9 / 2},
          wrong=[0.0, 1.0, 2.9 / 4]),
    Table(lesson.check_max_margin, args=(X1, Y1),
          right=[(W_GOOD, B_GOOD), (*W_GOOD, B_GOOD), np.r_[W_GOOD, B_GOOD], torch.tensor(np.r_[W_GOOD, B_GOOD]),
                 [list(W_GOOD), B_GOOD], (lesson.widest_street(X1, Y1)[1], lesson.widest_street(X1, Y1)[2])],
          mistakes={"inside your street": _train("hinge", 0.01, X1, Y1),
                    "only separates": _train("hinge", 0.0, X1, Y1),
                    "wrong side": (-W_GOOD, -B_GOOD)},
          wrong=[_train("logistic", 0.01, X1, Y1), (W_GOOD,), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)]),
]


def test_check_pair_logistic_fn_states_its_real_tolerance():
    """Issue 13: a stated tolerance is the real one; no rounding floor lets a 4e-5 slip through."""
    v = lesson.check_pair_logistic_fn(lesson.pair_logistic)
    assert v.status == "correct" and "1e-09" in v.detail
    assert lesson.check_pair_logistic_fn(_off_by(2 * lesson.PAIR_TOL)).status != "correct"
    assert lesson.check_pair_logistic_fn(lambda sw, sl: lesson.pair_logistic(sw, sl) + 4e-5).status != "correct"
    assert lesson.check_pair_logistic_fn(...).status == "unanswered"
    assert "inf or NaN" in lesson.check_pair_logistic_fn(lambda sw, sl: float("inf")).detail


def test_pair_logistic_matches_torch_ranking_twin():
    sw, sl = np.array([2.0, 0.5, -800.0, 800.0]), np.array([0.0, 1.0, 0.0, 0.0])
    want = F.binary_cross_entropy_with_logits(_t(sw - sl), torch.ones(4, dtype=torch.float64)).item()
    assert lesson.pair_logistic(sw, sl) == pytest.approx(want, rel=1e-12)
    hinge = F.margin_ranking_loss(_t(sw), _t(sl), torch.ones(4, dtype=torch.float64), margin=1.0).item()
    assert hinge == pytest.approx(np.mean(np.maximum(0.0, 1 - (sw - sl))))
