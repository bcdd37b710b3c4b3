"""helpers.lessons.nll_and_cross_entropy: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import losses
from helpers.lessons import nll_and_cross_entropy as lesson
from tests.checker_contract import Table, number_forms


def _torch_loss(z, y, name):
    """The three losses written independently in torch (mean over examples)."""
    q = F.softmax(z, dim=-1)
    onehot = F.one_hot(y, z.shape[-1]).to(z.dtype)
    if name == "ce":
        return F.cross_entropy(z, y)
    if name == "sq":  # sum over classes, mean over examples: F.mse_loss(sum) / N
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
        assert r["sq"]["grad_norm"] < 1e-3 and r["abs"]["grad_norm"] < 1e-3
        assert r["ce"]["value"] == pytest.approx(-math.log(1e-4))
        # every loss is 0 with a zero gradient at q[true] -> 1; the curves end near there
        assert r["sq"]["values"][-1] < 1e-5 and r["ce"]["grad_norms"][-1] < 2e-3


def test_gradient_vs_confidence_curves_match_pointwise():
    r = lesson.gradient_vs_confidence(0.01, 4)
    i = 123
    v, g = lesson.loss_and_grad(lesson.logits_for_true_prob(lesson.P_GRID[i], 4), 0, "sq")
    assert r["sq"]["values"][i] == pytest.approx(v) and r["sq"]["grad_norms"][i] == pytest.approx(np.linalg.norm(g))


def test_lesson_updates_in_place():
    widget = lesson.gradient_widget()
    assert widget.result["true_prob"] == pytest.approx(0.01)
    widget.controls["true_prob"].value = 0.5
    assert widget.result["true_prob"] == pytest.approx(0.5)
    dot = widget.view.dots["grad_norms", "ce"]
    assert dot.get_ydata()[0] == pytest.approx(widget.result["ce"]["grad_norm"])
    widget.controls["n_classes"].value = 7
    assert widget.result["n_classes"] == 7
    np.testing.assert_allclose(widget.view.lines["values", "sq"].get_ydata(),
                               lesson.gradient_vs_confidence(0.5, 7)["sq"]["values"])
    assert "cross-entropy" in widget.readout.value


def test_toy_data_is_seeded():
    x1, y1, _ = lesson.toy_data(seed=0)
    x2, y2, _ = lesson.toy_data(seed=0)
    assert x1.shape == (300, 2) and np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, lesson.toy_data(seed=1)[0])


def test_plot_training_draws_every_run_on_three_axes():
    from matplotlib.figure import Figure
    rng = np.random.default_rng(0)
    h = {name: {"loss": rng.uniform(1, 2, 5), "nll": rng.uniform(0, 9, 5), "accuracy": rng.uniform(0, 1, 5)}
         for name in lesson.LOSSES}
    fig = Figure(layout="constrained")
    axes = fig.subplots(1, 3)
    lesson.plot_training(h, axes, {"sq": "squared, lr 3"})
    assert [len(ax.lines) for ax in axes] == [3, 3, 3]
    np.testing.assert_allclose(axes[0].lines[1].get_ydata(), h["sq"]["loss"] / h["sq"]["loss"][0])
    assert [line.get_linestyle() for line in axes[1].lines] == ["-", "--", ":"]  # not by colour alone
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "trained on cross-entropy", "squared, lr 3", "trained on absolute difference"]
    with pytest.raises(ValueError, match="draws on 3 axes; got 2"):
        lesson.plot_training(h, axes[:2])
    with pytest.raises(ValueError, match="unknown loss 'mse'"):
        lesson.plot_training({"mse": h["sq"]}, axes)


def test_double_softmax_floor_is_the_bottom_of_the_band():
    for c in (2, 3, 10, 27):
        z = torch.zeros(1, c, dtype=torch.float64)
        z[0, 0] = 60.0                                        # certain and right
        got = F.cross_entropy(F.softmax(z, dim=-1), torch.tensor([0])).item()
        assert got == pytest.approx(lesson.double_softmax_floor(c), abs=1e-12)
        wrong = F.cross_entropy(F.softmax(z, dim=-1), torch.tensor([1])).item()   # certain and wrong
        assert wrong == pytest.approx(lesson.double_softmax_floor(c) + 1, abs=1e-12)
        # every other belief lies inside the band
        s = torch.distributions.Dirichlet(torch.ones(c, dtype=torch.float64)).sample((2000,))
        losses_ = F.cross_entropy(s, torch.zeros(2000, dtype=torch.long), reduction="none")
        assert losses_.min().item() >= lesson.double_softmax_floor(c) - 1e-12
        assert losses_.max().item() <= lesson.double_softmax_floor(c) + 1 + 1e-12


def _loop(loss_fn, steps=50, lr=1.0):
    """A learner's train_blobs(x, y) with the given loss of (logits, y), steps and rate."""
    return lambda x, y: lesson._blob_loop(x, y, steps, lr, loss_fn)


_FIXED = _loop(F.cross_entropy)
_BROKEN = _loop(lambda z, t: F.cross_entropy(F.softmax(z, dim=-1), t))


def test_blob_training_broken_loop_stays_above_the_floor_and_fixed_one_goes_below():
    x, y = lesson.blob_training_case()
    floor = lesson.double_softmax_floor(3)
    assert min(_BROKEN(x, y)) >= floor                 # the trap: never below the band's bottom
    assert _FIXED(x, y)[-1] < floor - 0.3              # the fix goes well below it
    v = lesson.check_blob_training(_BROKEN)
    assert v.status == "wrong" and "ln(e + C − 1) − 1" in v.detail
    v = lesson.check_blob_training(_FIXED)
    assert v.status == "correct" and f"{floor:.4f}" in v.detail


def test_check_blob_training_reports_a_crash_and_a_blank():
    def crash(x, y):
        raise IndexError("oops")
    v = lesson.check_blob_training(crash)
    assert v.status == "wrong" and "IndexError" in v.detail
    def blank(x, y):
        ...
    assert lesson.check_blob_training(blank).status == "unanswered"
    assert lesson.check_blob_training(...).status == "unanswered"


P_SOFT, Q_SOFT = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.5, 0.25])
SOFT_RIGHT = -(0.5 * math.log(0.25) + 0.5 * math.log(0.5))
FLOOR_10 = math.log(math.e + 9) - 1

CHECKER_TABLES = [
    Table(lesson.check_double_softmax_floor, kwargs={"n_classes": 10},
          right=number_forms(FLOOR_10),
          mistakes={"that is 0, the loss of a certain and right model": 0.0,
                    "the top of the band": FLOOR_10 + 1,
                    "ln C, the loss of a uniform guess": math.log(10),
                    "the floor for C = 3": math.log(math.e + 2) - 1,
                    "that is in bits": FLOOR_10 / math.log(2)},
          wrong=[math.log(math.e + 10) - 1, math.log(math.e + 8) - 1, 1 / 10, -FLOOR_10, 1.40]),
    Table(lesson.check_blob_training,
          right=[_FIXED, _loop(lambda z, t: F.nll_loss(F.log_softmax(z, dim=-1), t)),
                 _loop(lambda z, t: -F.log_softmax(z, dim=-1).gather(1, t[:, None]).mean())],
          mistakes={hint: _loop(lambda z, t, f=f: f(z, t), steps=s_) for hint, f, s_ in [
              (list(lesson.BLOB_TRAINING_MISTAKES)[0], lambda z, t: F.cross_entropy(F.softmax(z, dim=-1), t), 50),
              (list(lesson.BLOB_TRAINING_MISTAKES)[1], lambda z, t: F.nll_loss(F.softmax(z, dim=-1), t), 50),
              (list(lesson.BLOB_TRAINING_MISTAKES)[2], F.cross_entropy, 100)]},
          wrong=[_loop(F.cross_entropy, lr=0.5), _loop(lambda z, t: F.cross_entropy(z, t) / math.log(2)),
                 _loop(lambda z, t: F.cross_entropy(z, t, reduction="sum")),
                 lambda x, y: [0.0] * 50]),
    Table(lesson.check_soft_ce, args=(P_SOFT, Q_SOFT),
          right=number_forms(SOFT_RIGHT),
          mistakes={"swapped": math.inf, "KL(p‖q), the gap only": losses.kl_divergence(P_SOFT, Q_SOFT),
                    "H(p), the floor only": math.log(2), "minus sign": -SOFT_RIGHT,
                    "that is in bits": SOFT_RIGHT / math.log(2)},
          wrong=[SOFT_RIGHT * math.log(2), -(0.25 * math.log(0.5) + 0.5 * math.log(0.5)), 1.0, 0.5]),
]


def test_check_soft_ce_against_torch():
    torch_value = F.cross_entropy(torch.log(torch.tensor(Q_SOFT))[None], torch.tensor(P_SOFT)[None]).item()
    assert SOFT_RIGHT == pytest.approx(torch_value)
    assert lesson.check_soft_ce(..., P_SOFT, Q_SOFT).status == "unanswered"


@pytest.mark.parametrize("call,match", [
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [0], "hinge"), r"unknown loss 'hinge'; expected one of"),
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [2], "ce"), r"class index 2 is out of range"),
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [0, 1], "ce"), r"target has shape \[2\]"),
    (lambda: lesson.loss_and_grad(np.ones((2, 2, 2)), [0, 1], "ce"), r"logits must be \[N, C\]"),
    (lambda: lesson.loss_and_grad([[1.0, float("nan")]], [0], "sq"), r"logits contains NaN"),
    (lambda: lesson.loss_and_grad([[1.0, 2.0]], [0.5], "ce"), r"whole-number class indices"),
    (lambda: lesson.logits_for_true_prob(0.0, 3), r"strictly between 0 and 1"),
    (lambda: lesson.logits_for_true_prob(1.2, 3), r"strictly between 0 and 1"),
    (lambda: lesson.logits_for_true_prob(0.5, 1), r"n_classes must be a whole number >= 2"),
    (lambda: lesson.logits_for_true_prob(0.5, 2.5), r"n_classes must be a whole number >= 2"),
    (lambda: lesson.gradient_vs_confidence(0.5, 1), r"n_classes must be"),
    (lambda: lesson.toy_data(n_per_class=0), r"n_per_class >= 1"),
    (lambda: lesson.check_soft_ce(1.0, [0.5, 0.6], [0.5, 0.5]), r"p must sum to 1"),
    (lambda: lesson.double_softmax_floor(1), r"n_classes must be a whole number >= 2"),
])
def test_bad_input_raises_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
