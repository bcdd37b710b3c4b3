"""helpers.lessons.log_softmax_and_shapes: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.lessons import log_softmax_and_shapes as lesson
from tests.checker_contract import Table, number_forms


def test_softmax_at_temperature_matches_torch():
    r = lesson.softmax_at_temperature(temperature=2.0, first_logit=3.0, true_class="c")
    z = torch.tensor([3.0, 1.0, 0.1, -1.0], dtype=torch.float64)
    np.testing.assert_allclose(r["probs"], F.softmax(z / 2.0, -1).numpy(), atol=1e-12)
    np.testing.assert_allclose(r["log_probs"], F.log_softmax(z / 2.0, -1).numpy(), atol=1e-12)
    assert r["sum"] == pytest.approx(1.0)
    assert r["loss"] == pytest.approx(F.cross_entropy(z[None] / 2.0, torch.tensor([2])).item())


def test_loss_curve_is_the_loss_at_each_temperature():
    r = lesson.softmax_at_temperature(true_class="b")
    for i in (0, 45, len(lesson.TAU_GRID) - 1):
        tau = lesson.TAU_GRID[i]
        assert r["loss_curve"][i] == pytest.approx(lesson.softmax_at_temperature(tau, true_class="b")["loss"])


def test_loss_of_the_top_class_falls_and_of_a_wrong_class_grows_as_tau_falls():
    """The lesson's claims: right and confident -> 0; wrong -> gap / τ; large τ -> ln C."""
    at = lesson.softmax_at_temperature
    assert at(0.1, true_class="a")["loss"] < 1e-4
    assert at(0.1, true_class="d")["loss"] == pytest.approx((2.0 + 1.0) / 0.1, abs=1e-3)
    assert np.all(np.diff(at(true_class="a")["loss_curve"]) > 0)
    assert np.all(np.diff(at(true_class="d")["loss_curve"]) < 0)
    for y in lesson.CLASSES:
        assert at(1e4, true_class=y)["loss"] == pytest.approx(math.log(4), abs=1e-3)


def test_low_temperature_sharpens_and_high_flattens():
    cold = lesson.softmax_at_temperature(0.2)["probs"]
    hot = lesson.softmax_at_temperature(5.0)["probs"]
    assert cold.max() > 0.99 and hot.max() < 0.4


@pytest.mark.parametrize("kwargs,match", [
    ({"temperature": 0.0}, "temperature τ must be > 0"),
    ({"temperature": float("nan")}, "temperature τ must be > 0"),
    ({"true_class": "e"}, r"true_class must be one of \['a', 'b', 'c', 'd'\]"),
    ({"true_class": 0}, "true_class must be one of"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lesson.softmax_at_temperature(**kwargs)


def test_widget_bars_readout_and_loss_follow_the_controls():
    widget = lesson.softmax_temperature_widget()
    text, n = widget.readout.value, widget.updates
    widget.controls["temperature"].value = 3.0
    assert widget.updates == n + 1
    assert widget.readout.value != text and "τ = 3.00" in widget.readout.value
    np.testing.assert_allclose(widget.result["probs"], lesson.softmax_at_temperature(3.0, 2.0)["probs"])
    heights = [b.get_height() for b in widget.view.probs.bars]
    np.testing.assert_allclose(heights, widget.result["probs"])
    widget.controls["true_class"].value = "c"
    assert [b.get_hatch() for b in widget.view.probs.bars] == [None, None, "//", None] or \
        [bool(b.get_hatch()) for b in widget.view.probs.bars] == [False, False, True, False]
    assert "true class c" in widget.readout.value
    x, y = widget.view.dot.get_data()
    assert x[0] == 3.0 and y[0] == pytest.approx(lesson.softmax_at_temperature(3.0, 2.0, "c")["loss"])


def test_softmax_view_labels_stay_off_the_title_and_tick_labels():
    """At a low temperature one bar is 1 and the others far below the log floor: labels stay in the axes."""
    view = lesson.SoftmaxView()
    view.update(lesson.softmax_at_temperature(0.1, 8.0))
    assert all(t.get_position()[1] < lesson.PROB_TOP for t in view.probs.texts)
    lo, hi = view.logs.ax.get_ylim()
    for text in view.logs.texts:
        y, va = text.get_position()[1], text.get_va()
        assert lo <= y < hi and not (y == lo and va == "top")


def test_a_nearly_certain_class_is_labelled_0_not_minus_0():
    view = lesson.SoftmaxView()
    view.update(lesson.softmax_at_temperature(0.3, 8.0, "d"))   # log q[a] is about -1e-13
    assert view.logs.texts[0].get_text() == "0.00"


def test_the_uniform_guess_legend_never_covers_a_loss_curve():
    """The ln 4 line is named in a legend; no loss curve (any true class, any logit of a) runs through it."""
    view = lesson.SoftmaxView()
    right = view.curve.axes
    view.fig.canvas.draw()
    box = right.get_legend().get_window_extent()
    for y in lesson.CLASSES:
        for first_logit in np.arange(-4.0, 8.01, 0.5):
            view.update(lesson.softmax_at_temperature(1.0, first_logit, y))
            pts = right.transData.transform(np.column_stack([view.curve.get_xdata(), view.curve.get_ydata()]))
            inside = ((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1) & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1))
            assert not inside.any(), (y, first_logit)


# --- the stable log_softmax exercise ---------------------------------------------------------

def _row_max(x):
    shifted = x - x.amax(dim=-1, keepdim=True)
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def _max_values(x):
    m = x.max(dim=-1, keepdim=True).values
    return (x - m) - torch.log(torch.sum(torch.exp(x - m), dim=-1, keepdim=True))


def _numpy_version(x):
    a = x.numpy()
    m = a.max(axis=-1, keepdims=True)
    return (a - m) - np.log(np.exp(a - m).sum(axis=-1, keepdims=True))


def _shift(m_of):
    def fn(x):
        m = m_of(x)
        return (x - m) - (x - m).exp().sum(dim=-1, keepdim=True).log()
    return fn


def _log_of_division(x):
    e = (x - x.amax(dim=-1, keepdim=True)).exp()
    return torch.log(e / e.sum(dim=-1, keepdim=True))


WRONG_LOG_SOFTMAX = {  # issue 13: every one of these passed the old cases
    "not the max of the whole tensor": _shift(lambda x: x.max()),
    "the row mean is not a safe shift": _shift(lambda x: x.mean(dim=-1, keepdim=True)),
    "the first element is not a safe shift": _shift(lambda x: x[..., :1]),
    "you took log(exp(x - m) / sum)": _log_of_division,
    "exp overflowed": lambda x: torch.log(x.exp() / x.exp().sum(dim=-1, keepdim=True)),
    "dim=0 mixes different rows": lambda x: torch.log_softmax(x, dim=0),
    "on [B, T, V] logits dim=1 is T": lambda x: torch.log_softmax(x, dim=1),
}


def test_the_cases_include_the_inputs_that_separate_the_mistakes():
    inputs = [x.tolist() for _, x in lesson._log_softmax_cases()]
    assert [[1000.0, 0.0, -1000.0], [-1000.0, 0.0, 1000.0]] in inputs
    assert [[1000.0, 999.0], [0.0, -1.0]] in inputs
    tiny = [x for _, x in lesson._log_softmax_cases() if x.min() == -800.0][0]
    assert torch.isfinite(F.log_softmax(tiny, dim=-1)).all()


def test_a_function_that_raises_or_returns_the_wrong_shape_gets_feedback():
    def raises(x):
        raise NotImplementedError
    assert lesson.check_my_log_softmax(raises).status == "unanswered"
    v = lesson.check_my_log_softmax(lambda x: x.sum(dim=-1))
    assert v.status == "wrong" and "keeps the shape" in v.detail
    v = lesson.check_my_log_softmax(lambda x: 1 / 0)
    assert v.status == "wrong" and "ZeroDivisionError" in v.detail
    v = lesson.check_my_log_softmax(lambda x: x - x.amax(dim=-1, keepdim=True))
    assert v.status == "wrong" and "largest difference" in v.detail


def test_hints_name_the_symptom_when_no_known_mistake_matches():
    v = lesson.check_my_log_softmax(lambda x: torch.log(torch.softmax(x, dim=-1)) * 1.0 + 0.0 * x.mean())
    assert v.status == "wrong"  # log of a softmax: -inf on the tiny probability
    assert "-inf" in v.detail or "log(exp(x - m) / sum)" in v.detail


# --- the temperature exercise ---------------------------------------------------------------

BATCH_LOGITS = torch.tensor([[6.0, 1.0, 0.0, -2.0], [5.0, 4.0, 0.0, 1.0], [0.0, 7.0, 2.0, 1.0],
                             [1.0, 0.0, 6.0, 0.0], [1.0, 2.0, 8.0, 0.0], [0.0, 1.0, 5.0, 2.0]],
                            dtype=torch.float64)
BATCH_TARGETS = torch.tensor([0, 1, 1, 0, 2, 3])


def test_mean_loss_at_temperature_matches_torch_cross_entropy():
    for tau in (0.3, 1.0, 2.5):
        want = F.cross_entropy(BATCH_LOGITS / tau, BATCH_TARGETS).item()
        assert lesson.mean_loss_at_temperature(tau, BATCH_LOGITS, BATCH_TARGETS) == pytest.approx(want)
    with pytest.raises(ValueError, match="must be > 0"):
        lesson.mean_loss_at_temperature(0.0, BATCH_LOGITS, BATCH_TARGETS)


def test_best_temperature_is_an_interior_minimum_above_one():
    best = lesson.best_temperature(BATCH_LOGITS, BATCH_TARGETS)
    assert 2.7 < best["tau"] < 3.0
    for tau in (best["tau"] - 0.01, best["tau"] + 0.01):
        assert lesson.mean_loss_at_temperature(tau, BATCH_LOGITS, BATCH_TARGETS) >= best["loss"]


def test_a_tau_near_the_minimum_is_close_not_correct():
    assert lesson.check_best_temperature(3.0, BATCH_LOGITS, BATCH_TARGETS).status == "close"
    assert lesson.check_best_temperature(2.8, BATCH_LOGITS, BATCH_TARGETS).status == "correct"
    v = lesson.check_best_temperature(0.0, BATCH_LOGITS, BATCH_TARGETS)
    assert v.status == "wrong" and "must be > 0" in v.detail


BEST_TAU = lesson.best_temperature(BATCH_LOGITS, BATCH_TARGETS)["tau"]

CHECKER_TABLES = [
    Table(lesson.check_my_log_softmax,
          right=[_row_max, _max_values, _numpy_version, lambda x: F.log_softmax(x, dim=-1)],
          mistakes=WRONG_LOG_SOFTMAX,
          wrong=[lambda x: x - x.amax(dim=-1, keepdim=True),           # forgot the normaliser
                 lambda x: torch.softmax(x, dim=-1),                   # softmax, not its log
                 lambda x: x,                                          # the logits themselves
                 lambda x: x - x.exp().sum(dim=-1, keepdim=True).log()]),  # the identity with no shift: -inf
    Table(lesson.check_best_temperature, args=(BATCH_LOGITS, BATCH_TARGETS),
          right=number_forms(BEST_TAU) + [2.8, 2.9],
          mistakes={"τ = 1 is the model as it is": 1.0,
                    "look for the minimum, not the maximum or the edge of the range": 0.1,
                    "the minimum is inside the range": 5.0},
          wrong=[2.0, 4.0, 1.5, -2.84]),
]
