"""helpers.lessons.designing_a_loss_for_a_new_task: the lesson's pure functions, views, widgets and checkers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from helpers import losses
from helpers.lessons import designing_a_loss_for_a_new_task as lesson


def learner_solution(logits, target, weight, pad_index, eps):
    """A correct answer written independently of the module, as a learner would."""
    n_classes = logits.shape[-1]
    log_probs = F.log_softmax(logits, dim=-1)
    keep = target != pad_index
    safe = target.masked_fill(~keep, 0)
    p = F.one_hot(safe, n_classes).to(logits.dtype) * (1 - eps) + eps / n_classes
    per_token = -(p * weight * log_probs).sum(-1)
    return (per_token * keep).sum() / (weight[safe] * keep).sum()



def test_sequence_loss_torch_is_the_transposed_call():
    for case in lesson.sequence_loss_cases():
        assert lesson.sequence_loss_torch(*case).item() == pytest.approx(losses.sequence_loss(*case), abs=1e-10)


def test_per_token_mean_is_what_ignore_index_computes():
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 6, 5, generator=gen, dtype=torch.float64)
    target = torch.tensor([[1, 2, 3, 4, 1, 2], [3, 0, 0, 0, 0, 0], [4, 4, 1, 0, 0, 0]])
    token_loss = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")
    mask = lesson.token_mask(target, 0)
    want = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=0).item()
    assert lesson.per_token_mean(token_loss, mask) == pytest.approx(want, abs=1e-12)
    by_hand = np.mean([token_loss[i][mask[i]].mean().item() for i in range(3)])
    assert lesson.per_sequence_mean(token_loss, mask) == pytest.approx(by_hand, abs=1e-12)
    assert lesson.per_sequence_mean(token_loss, mask) != pytest.approx(want, abs=1e-3)


def test_mask_errors():
    with pytest.raises(ValueError, match="mask must be booleans"):
        lesson.per_token_mean(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"must both be \[B, T\]"):
        lesson.per_token_mean(np.ones((2, 2)), np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="keeps no token"):
        lesson.per_token_mean(np.ones((2, 2)), np.zeros((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="all padding"):
        lesson.per_sequence_mean(np.ones((2, 2)), np.array([[True, True], [False, False]]))


def test_uniform_logits_give_ln_c_under_smoothing():
    for n_classes, eps in [(4, 0.1), (5, 0.2), (27, 0.5)]:
        assert lesson.loss_vs_gap([0.0], n_classes, eps)[0] == pytest.approx(math.log(n_classes))
        torch_value = F.cross_entropy(torch.zeros(3, n_classes), torch.tensor([0, 1, 2]), label_smoothing=eps)
        assert torch_value.item() == pytest.approx(math.log(n_classes), rel=1e-6)


def test_best_gap_rejects_a_smoothing_outside_0_1():
    with pytest.raises(ValueError, match="eps must be in"):
        lesson.best_gap(3, 2.0)


def test_loss_vs_gap_matches_torch_and_best_gap_is_the_minimum():
    gaps = np.array([0.5, 2.0, 7.0])
    logits = torch.zeros(3, 4, dtype=torch.float64)
    logits[:, 0] = torch.tensor(gaps)
    want = F.cross_entropy(logits, torch.zeros(3, dtype=torch.long), label_smoothing=0.1, reduction="none")
    assert np.allclose(lesson.loss_vs_gap(gaps, 4, 0.1), want.numpy())
    g = lesson.best_gap(4, 0.1)
    at, around = lesson.loss_vs_gap([g], 4, 0.1)[0], lesson.loss_vs_gap([g - 0.01, g + 0.01], 4, 0.1)
    assert np.all(around > at)
    assert at == pytest.approx(losses.entropy(losses.smooth_targets(0, 4, 0.1)))
    assert lesson.best_gap(4, 0.0) == math.inf


def test_checker_accepts_correct_answers():
    assert lesson.check_sequence_loss(learner_solution).status == "correct"
    assert lesson.check_sequence_loss(lesson.sequence_loss_torch).status == "correct"
    assert lesson.check_sequence_loss(lambda *a: losses.sequence_loss(*a)).status == "correct"


@pytest.mark.parametrize("hint,slip", lesson.SEQUENCE_MISTAKES)
def test_checker_names_each_mistake(hint, slip):
    verdict = lesson.check_sequence_loss(slip)
    assert verdict.status == "wrong"
    assert verdict.detail == f"Hint: {hint}"


def test_every_mistake_differs_from_torch_on_some_case():
    cases = lesson.sequence_loss_cases()
    for hint, slip in lesson.SEQUENCE_MISTAKES:
        diffs = []
        for case in cases:
            try:
                diffs.append(abs(float(slip(*case)) - losses.sequence_loss(*case)))
            except RuntimeError:
                diffs.append(math.inf)
        assert max(diffs) > 1e-3, hint


def test_the_first_case_has_t_equal_v_so_straight_in_is_silent():
    logits, target, *_ = lesson.sequence_loss_cases()[0]
    assert logits.shape[1] == logits.shape[2]
    logits2, target2, *_ = lesson.sequence_loss_cases()[1]
    assert logits2.shape[1] != logits2.shape[2]
    with pytest.raises(RuntimeError, match="Expected target size"):
        F.cross_entropy(logits2, target2)


def test_checker_unanswered_and_other_failures():
    def stub(*args):
        raise NotImplementedError

    assert lesson.check_sequence_loss(stub).status == "unanswered"
    assert lesson.check_sequence_loss(...).status == "unanswered"
    assert lesson.check_sequence_loss(lambda *a: None).status == "unanswered"
    per_token = lesson.check_sequence_loss(lambda l, t, w, pad, eps: F.log_softmax(l, -1).amax(-1))
    assert per_token.status == "wrong" and "return one number" in per_token.detail
    crash = lesson.check_sequence_loss(lambda *a: 1 / 0)
    assert crash.status == "wrong" and "ZeroDivisionError" in crash.detail
    odd = lesson.check_sequence_loss(lambda *a: torch.tensor(42.0))
    assert odd.status == "wrong" and "torch gives" in odd.detail


def test_checker_does_not_let_a_learner_change_the_cases():
    def in_place(logits, target, weight, pad_index, eps):
        out = learner_solution(logits, target, weight, pad_index, eps)
        logits.zero_()
        return out

    assert lesson.check_sequence_loss(in_place).status == "correct"


def test_balanced_weights_and_recall():
    y = np.array([0, 0, 0, 1, 1, 2])
    assert np.allclose(lesson.balanced_weights(y, 3), [6 / 9, 6 / 6, 6 / 3])
    assert np.allclose(lesson.recall_per_class([0, 1, 0, 1, 1, 0], y, 3), [2 / 3, 1.0, 0.0])
    with pytest.raises(ValueError, match="every class needs at least one example"):
        lesson.balanced_weights([0, 0, 1], 3)
    with pytest.raises(ValueError, match="counts must be 3 positive numbers"):
        lesson.imbalanced_data((10, 10))


def test_train_linear_reaches_a_lower_loss_and_restores_threads():
    x, y = lesson.imbalanced_data((50, 50, 10), seed=2)
    threads = torch.get_num_threads()
    W, b = lesson.train_linear(x, y, 3, steps=100)
    assert torch.get_num_threads() == threads
    start = F.cross_entropy(torch.zeros(len(y), 3), torch.as_tensor(y)).item()
    end = F.cross_entropy(torch.as_tensor(x @ W + b), torch.as_tensor(y)).item()
    assert end < start - 0.2


def test_weights_raise_the_minority_recall():
    r = lesson.imbalance_experiment((300, 300, 30), seed=0)
    assert r["weighted"]["recall"][2] > r["plain"]["recall"][2] + 0.3
    assert r["weighted"]["accuracy"] < r["plain"]["accuracy"]
    assert r["weighted"]["mean_probs"][2] > r["frequencies"][2]
    assert np.allclose(r["plain"]["mean_probs"].sum(), 1.0)


def test_fit_free_logits():
    soft = lesson.fit_free_logits([1, 0, 1, 0], "softmax", steps=300)
    sig = lesson.fit_free_logits([1, 0, 1, 0], "sigmoid", steps=300)
    assert soft.sum() == pytest.approx(1.0)
    assert np.all(soft[[0, 2]] < 0.5) and soft[0] > 0.45
    assert np.all(sig[[0, 2]] > 0.9) and np.all(sig[[1, 3]] < 0.1)
    with pytest.raises(ValueError, match="multi-hot"):
        lesson.fit_free_logits([0.5, 0.5], "sigmoid")
    with pytest.raises(ValueError, match="multi-hot"):
        lesson.fit_free_logits([0, 0], "sigmoid")
    with pytest.raises(ValueError, match="loss must be"):
        lesson.fit_free_logits([1, 0], "hinge")


def test_temperature_distribution_matches_torch():
    for t in [0.2, 1.0, 3.0]:
        r = lesson.temperature_distribution(t)
        want = torch.softmax(torch.tensor(lesson.NEXT_CHAR_LOGITS) / t, -1).numpy()
        assert np.allclose(r["probs"], want)
        h = -(want * np.log(want)).sum()
        assert r["entropy"] == pytest.approx(h)
        assert r["entropy_bits"] == pytest.approx(h / math.log(2))
        assert r["top"] == int(np.argmax(lesson.NEXT_CHAR_LOGITS))
    assert lesson.temperature_distribution(1000.0)["entropy"] == pytest.approx(math.log(8), abs=1e-4)
    assert lesson.temperature_distribution(0.01)["entropy"] < 1e-6
    curve = lesson.entropy_curve()
    assert np.all(np.diff(curve) > 0)


def test_temperature_errors():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        lesson.temperature_distribution(0.0)
    with pytest.raises(ValueError, match="one row of at least 2"):
        lesson.temperature_distribution(1.0, logits=[[1.0, 2.0]])


def test_temperature_widget_moves_bars_and_marker():
    widget = lesson.inference_temperature_widget()
    before = [bar.get_height() for bar in widget.view.bars.bars]
    marker_before = widget.view.marker.get_ydata()[0]
    widget.controls["temperature"].value = 3.0
    assert widget.result["temperature"] == 3.0
    after = [bar.get_height() for bar in widget.view.bars.bars]
    assert after[0] < before[0]
    assert widget.view.marker.get_ydata()[0] > marker_before
    assert "entropy" in widget.readout.value and "3.00" in widget.readout.value


def test_bin_index():
    edges = np.array([-1.0, 0.0, 1.0, 2.0])
    y = np.array([-5.0, -0.5, 0.0, 0.99, 1.5, 9.0])
    assert lesson.bin_index(y, edges).tolist() == [0, 0, 1, 1, 2, 2]
    inside = np.array([-0.5, 0.2, 1.7])
    assert np.array_equal(lesson.bin_index(inside, edges), np.digitize(inside, edges) - 1)
    with pytest.raises(ValueError, match="strictly increasing"):
        lesson.bin_index(y, [0.0, 0.0, 1.0])


def test_binning_experiment_fits_mean_and_frequencies():
    y = lesson.bimodal_targets(n=400, seed=0)
    edges = np.linspace(-4.5, 4.5, 10)
    r = lesson.binning_experiment(y, edges)
    assert r["mse_prediction"] == pytest.approx(y.mean(), abs=1e-6)
    assert np.allclose(r["bin_probs"], r["frequencies"], atol=0.02)
    assert r["mode_centre"] == -2.0
    assert r["near_mse_prediction"] < 0.05
    assert r["frequencies"].sum() == pytest.approx(1.0)


def test_drawing_helpers_draw():
    fig = Figure()
    axes = fig.subplots(1, 2)
    lesson.draw_imbalance(axes, lesson.imbalance_experiment((40, 40, 8), seed=1, steps=20))
    assert len(axes[0].collections) >= 3 and "recall" in axes[1].get_title()
    fig2 = Figure()
    ax = fig2.subplots()
    y = lesson.bimodal_targets(50)
    edges = np.linspace(-4.5, 4.5, 10)
    lesson.draw_binning(ax, y, lesson.binning_experiment(y, edges, steps=10), edges)
    assert len(ax.patches) == 9


def test_check_masked_mean():
    target = torch.as_tensor(lesson.EX_TARGET)
    lo = torch.as_tensor(lesson.EX_TOKEN_LOSSES)
    want = (lo * (target != 0)).sum() / (target != 0).sum()
    assert lesson.check_masked_mean(want.item()).status == "correct"
    assert "padding included" in lesson.check_masked_mean(lo.mean().item()).detail
    assert "sum" in lesson.check_masked_mean(lo.sum().item()).detail
    per_sequence = (lo[0, :3].mean() + lo[1, :1].mean()) / 2  # sequences of 3 and 1 real tokens
    assert "per sequence" in lesson.check_masked_mean(per_sequence.item()).detail
    assert lesson.check_masked_mean(...).status == "unanswered"


def test_check_uniform_smoothing():
    assert lesson.check_uniform_smoothing(math.log(5)).status == "correct"
    assert "not q" in lesson.check_uniform_smoothing(0.8 * math.log(5)).detail
    assert "bits" in lesson.check_uniform_smoothing(math.log2(5)).detail
    assert lesson.check_uniform_smoothing(...).status == "unanswered"


def test_check_weighted_mean():
    lo = torch.tensor(lesson.EX_WEIGHTED["token_losses"])
    target = torch.tensor(lesson.EX_WEIGHTED["target"])
    weight = torch.tensor(lesson.EX_WEIGHTED["weight"])
    want = (weight[target] * lo).sum() / weight[target].sum()
    assert lesson.check_weighted_mean(want.item()).status == "correct"
    assert "sum of the weights" in lesson.check_weighted_mean((weight[target] * lo).sum().item() / 3).detail
    assert "missing" in lesson.check_weighted_mean(lo.mean().item()).detail
    assert lesson.check_weighted_mean(...).status == "unanswered"


def test_weighted_exercise_matches_torch():
    # build logits whose per-example cross-entropies are exactly the exercise's losses
    lo, target, weight = (lesson.EX_WEIGHTED[k] for k in ("token_losses", "target", "weight"))
    logits = torch.full((3, 3), -50.0, dtype=torch.float64)
    for i, (loss, cls) in enumerate(zip(lo, target)):
        p = math.exp(-loss)
        logits[i] = torch.log(torch.tensor([(1 - p) / 2] * 3, dtype=torch.float64))
        logits[i, cls] = math.log(p)
    torch_value = F.cross_entropy(logits, torch.tensor(target), weight=torch.tensor(weight)).item()
    assert lesson.check_weighted_mean(torch_value).status == "correct"


def test_check_multilabel():
    assert lesson.check_multilabel("b").status == "correct"
    assert "compete" in lesson.check_multilabel("a").detail
    assert "not one of the options" in lesson.check_multilabel("z").detail
    assert lesson.check_multilabel(...).status == "unanswered"


def test_draw_loss_vs_gap():
    ax = Figure().subplots()
    gaps = np.linspace(0, 5, 11)
    lesson.draw_loss_vs_gap(ax, gaps, 4, eps_values=[0.0, 0.2])
    assert len(ax.lines) == 2
    assert np.allclose(ax.lines[1].get_ydata(), lesson.loss_vs_gap(gaps, 4, 0.2))


def test_temperature_view_labels_and_readout_notation():
    widget = lesson.inference_temperature_widget()
    left = widget.view.fig.axes[0]
    assert left.get_ylabel() == "probability q" and left.get_xlabel()
    assert f"q = {widget.result['top_prob']:.4f}" in widget.readout.value  # q is the model's distribution
