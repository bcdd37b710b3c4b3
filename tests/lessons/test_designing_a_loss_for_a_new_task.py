"""helpers.lessons.designing_a_loss_for_a_new_task: the lesson's pure functions, views, widgets and checkers."""
import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from helpers import losses
from helpers.lessons import designing_a_loss_for_a_new_task as lesson
from tests.checker_contract import Table, number_forms


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


def test_draw_regions_draws_each_model_with_its_recall():
    x, y = lesson.imbalanced_data((40, 40, 8), seed=1)
    W = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]])
    fig = Figure()
    axes = fig.subplots(1, 2)
    lesson.draw_regions(axes, x, y, {"a": (W, np.zeros(3)), "b": (W, np.array([0.0, 0.0, 5.0]))}, x, y)
    assert len(axes[0].collections) >= 3
    assert "recall" in axes[1].get_title() and "1.00" in axes[1].get_title()  # a bias of 5 predicts class 2 everywhere


# --- what pos_weight does to the mean (predict, then check) ---


def test_pos_weight_rescales_and_cross_entropy_weight_cancels():
    z = torch.tensor(lesson.PW_LOGITS)
    ones = torch.ones_like(z)
    plain = F.binary_cross_entropy_with_logits(z, ones).item()
    weighted = F.binary_cross_entropy_with_logits(z, ones, pos_weight=torch.full((3,), lesson.PW, dtype=torch.float64))
    assert weighted.item() == pytest.approx(lesson.PW * plain, rel=1e-12)
    assert lesson.check_pos_weight_prediction(weighted.item()).status == "correct"
    same = torch.zeros(2, dtype=torch.long)
    w = torch.full((3,), 3.0, dtype=torch.float64)
    assert F.cross_entropy(z, same, weight=w).item() == pytest.approx(F.cross_entropy(z, same).item())


def test_all_ignored_targets_give_nan():
    logits = torch.randn(2, 4, 3, dtype=torch.float64)
    assert math.isnan(F.cross_entropy(logits, torch.zeros(2, 3, dtype=torch.long), ignore_index=0).item())


# --- the capstone ---


def capstone_train(loss_fn, pos_weight, steps=150, lr=10.0):
    """The lesson's loop, written again: the checker runs whatever `train` it is given."""
    tokens, tags, mask = lesson.tagging_data(200, seed=0)
    Z = torch.zeros(len(lesson.WORDS), len(lesson.TAGS), dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        loss = loss_fn(Z[tokens], tags, mask, pos_weight)
        Z.grad = None
        loss.backward()
        with torch.no_grad():
            Z -= lr * Z.grad
    return Z.detach()


def capstone_solution(logits, tags, mask, pos_weight):
    """A correct tag_loss, written as a learner would."""
    terms = -(pos_weight * tags * F.logsigmoid(logits) + (1 - tags) * F.logsigmoid(-logits))  # [B, T, K]
    return terms[mask].mean()


def balanced_pos_weight():
    _, tags, mask = lesson.tagging_data(200, seed=0)
    positives = tags[mask].sum(0)
    return (mask.sum() - positives) / positives


def cost_pos_weight():
    """The design the costs ask for: urgent's pos_weight = the cost ratio, the others 1."""
    return torch.tensor([1.0, 1.0, float(lesson.MISS_COST)], dtype=torch.float64)


def test_words_worth_flagging_follow_the_costs_and_the_rates():
    tokens, tags, _ = lesson.tagging_data(200, seed=0)
    rates = lesson.urgent_rates(tokens, tags)
    assert rates[lesson.PAD] == 0.0 and rates.max() < 0.5
    assert lesson.words_worth_flagging() == ["now", "help"]
    cut = 1 / (1 + lesson.MISS_COST)
    assert all((rates[lesson.WORDS.index(w)] > cut) == (w in ("now", "help")) for w in lesson.WORDS[1:])


def test_capstone_checker_wants_the_cost_based_pos_weight():
    small = lesson.check_tag_design(capstone_solution, [1.0, 1.0, 2.0], capstone_train)
    assert small.status == "wrong" and "too small" in small.detail and "'help'" in small.detail
    balanced = lesson.check_tag_design(capstone_solution, balanced_pos_weight(), capstone_train)
    assert balanced.status == "wrong" and "stays 1" in balanced.detail   # negatives / positives for every tag
    large = lesson.check_tag_design(capstone_solution, [1.0, 1.0, float(balanced_pos_weight()[2])], capstone_train)
    assert large.status == "wrong" and "larger than the costs" in large.detail and "'broken'" in large.detail
    for w in (4.0, 8.0):
        assert lesson.check_tag_design(capstone_solution, [1.0, 1.0, w], capstone_train).status == "correct"
    # the reference call is named only after a wrong attempt the slips do not cover
    odd = lesson.check_tag_design(_wrong_scale, cost_pos_weight(), capstone_train)
    assert odd.status == "wrong" and "binary_cross_entropy_with_logits(logits[mask], tags[mask]" in odd.detail


def test_capstone_checker_wants_pos_weight_1_for_the_tags_without_costs():
    for pw in ([10.0, 10.0, 5.0], [0.2, 0.2, 5.0], [1.0, 2.0, 5.0]):
        v = lesson.check_tag_design(capstone_solution, pw, capstone_train)
        assert v.status == "wrong" and "stays 1" in v.detail and "matches torch" in v.detail, pw
    v = lesson.check_tag_design(capstone_solution, [1.0, 3.0, 5.0], capstone_train)
    assert "'complaint' 3" in v.detail and "'product'" not in v.detail
    assert lesson.check_tag_design(capstone_solution, np.array([1, 1, 5]), capstone_train).status == "correct"
    # a wrong loss is named first, whatever POS_WEIGHT says
    odd = lesson.check_tag_design(_wrong_scale, [10.0, 10.0, 5.0], capstone_train)
    assert odd.status == "wrong" and "stays 1" not in odd.detail and "binary_cross_entropy_with_logits" in odd.detail


@functools.wraps(lesson.check_tag_design)
def _check_pos_weight(pos_weight):
    """check_tag_design with a right loss: the table below varies POS_WEIGHT."""
    return lesson.check_tag_design(capstone_solution, pos_weight, capstone_train)


def test_tagging_data_is_padded_multi_hot_and_urgent_is_rare():
    tokens, tags, mask = lesson.tagging_data(200, seed=0)
    assert tokens.shape == (200, lesson.T_MAX) and tags.shape == (200, lesson.T_MAX, 3)
    assert torch.equal(mask, tokens != lesson.PAD)
    assert torch.all(tags[~mask] == 0) and set(tags.unique().tolist()) <= {0.0, 1.0}
    assert mask.sum(1).min() >= 2
    rate = tags[mask].mean(0)
    assert rate[lesson.RARE] < 0.1 < rate[0]
    assert np.all(lesson.TAG_RATES[:, lesson.RARE] < 0.5)  # unweighted, no word's urgent q passes 0.5
    assert torch.equal(lesson.tagging_data(5, seed=3)[0], lesson.tagging_data(5, seed=3)[0])
    with pytest.raises(ValueError, match="at least 1"):
        lesson.tagging_data(0)


def test_recall_precision_counts_real_positions_only():
    tags = torch.tensor([[[1.0], [0.0], [1.0]]])       # [B=1, T=3, K=1]
    mask = torch.tensor([[True, True, False]])
    logits = torch.tensor([[[2.0], [3.0], [4.0]]])      # predicts present everywhere
    recall, precision = lesson.recall_precision(logits, tags, mask)
    assert recall.tolist() == [1.0] and precision.tolist() == [0.5]


def test_unweighted_loss_never_finds_urgent_and_pos_weight_does():
    tokens, tags, mask = lesson.tagging_data(400, seed=1)
    plain = capstone_train(lesson.tag_loss_torch, None)
    weighted = capstone_train(lesson.tag_loss_torch, balanced_pos_weight())
    r0, _ = lesson.recall_precision(plain[tokens], tags, mask)
    r1, p1 = lesson.recall_precision(weighted[tokens], tags, mask)
    assert r0[lesson.RARE] == 0.0 and r1[lesson.RARE] > 0.5 and 0.0 < p1[lesson.RARE] < 1.0


def test_capstone_checker_accepts_a_solution_and_names_each_slip():
    pw = cost_pos_weight()
    verdict = lesson.check_tag_design(capstone_solution, pw, capstone_train)
    assert verdict.status == "correct" and "recall" in verdict.detail and "['now', 'help']" in verdict.detail
    assert lesson.check_tag_design(lesson.tag_loss_torch, pw.tolist(), capstone_train).status == "correct"
    for hint, slip in lesson.TAG_SLIPS:
        v = lesson.check_tag_design(slip, pw, capstone_train)
        assert v.status == "wrong" and v.detail == f"Hint: {hint}", hint


def test_capstone_checker_wants_the_rare_recall_to_beat_the_baseline():
    ones = lesson.check_tag_design(capstone_solution, [1.0, 1.0, 1.0], capstone_train)
    assert ones.status == "wrong" and "pos_weight" in ones.detail and "matches torch" in ones.detail
    assert lesson.check_tag_design(capstone_solution, ..., capstone_train).status == "unanswered"
    assert "3 positive numbers" in lesson.check_tag_design(capstone_solution, [1.0, -2.0, 5.0], capstone_train).detail
    assert "3 positive numbers" in lesson.check_tag_design(capstone_solution, [1.0, 2.0], capstone_train).detail
    stub = lesson.check_tag_design(lambda *a: (_ for _ in ()).throw(NotImplementedError()), [1, 1, 9], capstone_train)
    assert stub.status == "unanswered"
    shape = lesson.check_tag_design(capstone_solution, [1, 1, 9], lambda f, pw: torch.zeros(3))
    assert shape.status == "wrong" and "[V, K]" in shape.detail


def test_capstone_cases_catch_a_softmax_and_have_t_equal_k():
    cases = lesson.tag_loss_cases()
    assert any(c[0].shape[1] == c[0].shape[2] for c in cases)
    for hint, slip in lesson.TAG_SLIPS:
        assert max(abs(float(slip(*c)) - float(lesson.tag_loss_torch(*c))) for c in cases) > 1e-3, hint


def _wrong_scale(logits, tags, mask, pw):
    return 2 * capstone_solution(logits, tags, mask, pw)


def _unmasked_mean_over_tokens(logits, tags, mask, pw):
    return capstone_solution(logits, tags, torch.ones_like(mask), pw) * 3


CHECKER_TABLES = [
    Table(lesson.check_weighted_mean,
          right=number_forms((1.0 * 0.2 + 4.0 * 1.5 + 1.0 * 0.7) / 6.0),
          mistakes={"not by the number of targets": (0.2 + 4.0 * 1.5 + 0.7) / 3,
                    "weights are missing": (0.2 + 1.5 + 0.7) / 3,
                    "weighted sum": 0.2 + 4.0 * 1.5 + 0.7,
                    "weight[target], not weight[position]": (0.2 + 1.5 + 4 * 0.7) / 6},
          wrong=[1.5, 0.7, 2.4]),
    Table(lesson.check_multilabel, right=["b", "B", " b "],
          mistakes={"compete": "a", "sum to 1": "c", "sigmoid applied twice": "d"},
          wrong=["e", "sigmoid"]),
    Table(lesson.check_pos_weight_prediction,
          right=number_forms(3 * float(np.mean(np.logaddexp(0.0, -lesson.PW_LOGITS)))),
          mistakes={"divides by the sum of the weights": float(np.mean(np.logaddexp(0.0, -lesson.PW_LOGITS))),
                    "does not divide them": float(np.mean(np.logaddexp(0.0, -lesson.PW_LOGITS))) / 3},
          wrong=[0.0, 9 * float(np.mean(np.logaddexp(0.0, -lesson.PW_LOGITS))), 1.0]),
    Table(lesson.check_sequence_loss, right=[learner_solution, lesson.sequence_loss_torch],
          mistakes={hint: slip for hint, slip in lesson.SEQUENCE_MISTAKES},
          wrong=[lambda *a: torch.tensor(42.0), lambda l, t, w, pad, eps: 2 * learner_solution(l, t, w, pad, eps)]),
    Table(lesson.check_tag_design, setup=lambda: ((cost_pos_weight(), capstone_train), {}),
          right=[capstone_solution, lesson.tag_loss_torch],
          mistakes={hint: slip for hint, slip in lesson.TAG_SLIPS},
          wrong=[_wrong_scale, _unmasked_mean_over_tokens]),
    Table(_check_pos_weight, right=[[1.0, 1.0, 5.0], np.array([1.0, 1.0, 5.0]), torch.tensor([1, 1, 5])],
          mistakes={"stays 1": [10.0, 10.0, 5.0], "too small": [1.0, 1.0, 2.0], "larger than the costs": [1.0, 1.0, 16.0]},
          wrong=[[0.2, 0.2, 5.0], [5.0, 5.0, 5.0], [1.0, 1.0, 1.0]]),
]


def test_padding_changes_the_unmasked_loss_and_not_the_masked_one():
    """Section 8 prints the first attempt's loss falling as the same messages get more <pad>."""
    tokens, tags, mask = lesson.tagging_data(200, seed=0)
    z = torch.randn(len(lesson.WORDS), len(lesson.TAGS), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    z[0] = -3.0                                                    # a pad row trained towards "no tag"
    pw = torch.tensor([1.0, 1.0, 5.0], dtype=torch.float64)

    def pad_more(x, n):
        return torch.cat([x, x.new_zeros((len(x), n) + x.shape[2:])], dim=1)

    unmasked, masked = [], []
    for n in [0, 6, 18]:
        tk, tg, mk = (pad_more(t, n) for t in (tokens, tags, mask))
        assert int(mk.sum()) == int(mask.sum())
        unmasked.append(F.binary_cross_entropy_with_logits(z[tk], tg, pos_weight=pw).item())
        masked.append(lesson.tag_loss_torch(z[tk], tg, mk, pw).item())
    assert unmasked[0] > unmasked[1] > unmasked[2]
    assert masked == pytest.approx([masked[0]] * 3, abs=1e-12)
