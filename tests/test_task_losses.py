"""Tests for helpers.task_losses (notebook 09): every loss is compared with torch.nn.functional."""
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from helpers import losses
from helpers import task_losses as tl

# --- the final exercise's reference against torch ------------------------------------------------


def random_case(seed, b, t, v, pad_index, eps, weighted=True):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, t, v, generator=gen, dtype=torch.float64) * 3
    target = torch.randint(0, v, (b, t), generator=gen)
    target[:, -1] = pad_index  # at least one padded position per row
    target[0, 0] = (pad_index + 1) % v if 0 <= pad_index < v else 0  # at least one real token
    weight = torch.rand(v, generator=gen, dtype=torch.float64) * 3 + 0.1 if weighted else None
    return logits, target, weight, pad_index, eps


@pytest.mark.parametrize("seed,b,t,v,pad_index,eps,weighted", [
    (0, 2, 5, 5, 0, 0.1, True),
    (1, 3, 4, 6, 0, 0.2, True),
    (2, 4, 8, 27, -100, 0.0, True),
    (3, 1, 7, 3, 2, 0.5, True),
    (4, 2, 3, 9, -1, 0.05, False),
    (5, 5, 6, 4, 0, 1.0, True),
])
def test_sequence_loss_matches_torch(seed, b, t, v, pad_index, eps, weighted):
    case = random_case(seed, b, t, v, pad_index, eps, weighted)
    want = F.cross_entropy(case[0].transpose(1, 2), case[1], weight=case[2],
                           ignore_index=pad_index, label_smoothing=eps).item()
    assert tl.sequence_loss(*case) == pytest.approx(want, abs=1e-10)
    flat = F.cross_entropy(case[0].reshape(-1, v), case[1].reshape(-1), weight=case[2],
                           ignore_index=pad_index, label_smoothing=eps).item()
    assert tl.sequence_loss(*case) == pytest.approx(flat, abs=1e-10)


def test_sequence_loss_without_extras_is_plain_cross_entropy():
    logits, target, _, pad, _ = random_case(7, 3, 5, 6, 0, 0.0)
    want = losses.cross_entropy(logits.reshape(-1, 6), target.reshape(-1), ignore_index=pad)
    assert tl.sequence_loss(logits, target, None, pad, 0.0) == pytest.approx(want, abs=1e-12)


def test_sequence_loss_torch_is_the_transposed_call():
    for case in tl.sequence_loss_cases():
        assert tl.sequence_loss_torch(*case).item() == pytest.approx(tl.sequence_loss(*case), abs=1e-10)


@pytest.mark.parametrize("kwargs,match", [
    ({"logits": np.zeros((2, 3))}, r"logits must be \[B, T, V\]"),
    ({"target": np.zeros((2, 4), dtype=int)}, "target has shape"),
    ({"weight": np.ones(3)}, "one entry per class"),
    ({"weight": np.array([1.0, -1.0, 1.0, 1.0])}, ">= 0"),
    ({"eps": 1.5}, r"eps must be in \[0, 1\]"),
    ({"target": np.array([[0, 0, 0], [0, 0, 0]])}, "every target is ignored"),
    ({"target": np.array([[1, 9, 0], [2, 0, 0]])}, "class index 9 is out of range"),
    ({"weight": np.array([1.0, 0.0, 0.0, 1.0])}, "weights of the kept targets sum to 0"),
])
def test_sequence_loss_bad_input(kwargs, match):
    args = {"logits": np.zeros((2, 3, 4)), "target": np.array([[1, 2, 0], [2, 0, 0]]),
            "weight": np.ones(4), "pad_index": 0, "eps": 0.1}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        tl.sequence_loss(**args)


# --- masks and reductions -------------------------------------------------------------------------


def test_per_token_mean_is_what_ignore_index_computes():
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 6, 5, generator=gen, dtype=torch.float64)
    target = torch.tensor([[1, 2, 3, 4, 1, 2], [3, 0, 0, 0, 0, 0], [4, 4, 1, 0, 0, 0]])
    token_loss = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")
    mask = tl.token_mask(target, 0)
    want = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=0).item()
    assert tl.per_token_mean(token_loss, mask) == pytest.approx(want, abs=1e-12)
    by_hand = np.mean([token_loss[i][mask[i]].mean().item() for i in range(3)])
    assert tl.per_sequence_mean(token_loss, mask) == pytest.approx(by_hand, abs=1e-12)
    assert tl.per_sequence_mean(token_loss, mask) != pytest.approx(want, abs=1e-3)


def test_mask_errors():
    with pytest.raises(ValueError, match="mask must be booleans"):
        tl.per_token_mean(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"must both be \[B, T\]"):
        tl.per_token_mean(np.ones((2, 2)), np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="keeps no token"):
        tl.per_token_mean(np.ones((2, 2)), np.zeros((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="all padding"):
        tl.per_sequence_mean(np.ones((2, 2)), np.array([[True, True], [False, False]]))


# --- label smoothing ---------------------------------------------------------------------------------


def test_smooth_targets_match_torch_label_smoothing():
    gen = torch.Generator().manual_seed(4)
    logits = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    for eps in [0.0, 0.1, 0.3, 1.0]:
        soft = tl.smooth_targets(target, 5, eps)
        assert np.allclose(soft.sum(axis=-1), 1.0)
        assert soft[0, 0] == pytest.approx(1 - eps + eps / 5)
        want = F.cross_entropy(logits, target, label_smoothing=eps).item()
        assert F.cross_entropy(logits, torch.tensor(soft)).item() == pytest.approx(want, abs=1e-12)


def test_uniform_logits_give_ln_c_under_smoothing():
    for n_classes, eps in [(4, 0.1), (5, 0.2), (27, 0.5)]:
        assert tl.loss_vs_gap([0.0], n_classes, eps)[0] == pytest.approx(math.log(n_classes))
        torch_value = F.cross_entropy(torch.zeros(3, n_classes), torch.tensor([0, 1, 2]), label_smoothing=eps)
        assert torch_value.item() == pytest.approx(math.log(n_classes), rel=1e-6)


def test_loss_vs_gap_matches_torch_and_best_gap_is_the_minimum():
    gaps = np.array([0.5, 2.0, 7.0])
    logits = torch.zeros(3, 4, dtype=torch.float64)
    logits[:, 0] = torch.tensor(gaps)
    want = F.cross_entropy(logits, torch.zeros(3, dtype=torch.long), label_smoothing=0.1, reduction="none")
    assert np.allclose(tl.loss_vs_gap(gaps, 4, 0.1), want.numpy())
    g = tl.best_gap(4, 0.1)
    at, around = tl.loss_vs_gap([g], 4, 0.1)[0], tl.loss_vs_gap([g - 0.01, g + 0.01], 4, 0.1)
    assert np.all(around > at)
    assert at == pytest.approx(losses.entropy(tl.smooth_targets(0, 4, 0.1)))
    assert tl.best_gap(4, 0.0) == math.inf


def test_smoothing_errors():
    with pytest.raises(ValueError, match="eps must be in"):
        tl.smooth_targets([0], 3, -0.1)
    with pytest.raises(ValueError, match="class index 3 is out of range"):
        tl.smooth_targets([3], 3, 0.1)
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        tl.smooth_targets([0], 0, 0.1)
    with pytest.raises(ValueError, match="eps must be in"):
        tl.best_gap(3, 2.0)


# --- the final exercise's checker ------------------------------------------------------------------


def learner_solution(logits, target, weight, pad_index, eps):
    """A correct answer written independently of the module, as a learner would."""
    n_classes = logits.shape[-1]
    log_probs = F.log_softmax(logits, dim=-1)
    keep = target != pad_index
    safe = target.masked_fill(~keep, 0)
    p = F.one_hot(safe, n_classes).to(logits.dtype) * (1 - eps) + eps / n_classes
    per_token = -(p * weight * log_probs).sum(-1)
    return (per_token * keep).sum() / (weight[safe] * keep).sum()


def test_checker_accepts_correct_answers():
    assert tl.check_sequence_loss(learner_solution).status == "correct"
    assert tl.check_sequence_loss(tl.sequence_loss_torch).status == "correct"
    assert tl.check_sequence_loss(lambda *a: tl.sequence_loss(*a)).status == "correct"


@pytest.mark.parametrize("hint,slip", tl.SEQUENCE_MISTAKES)
def test_checker_names_each_mistake(hint, slip):
    verdict = tl.check_sequence_loss(slip)
    assert verdict.status == "wrong"
    assert verdict.detail == f"Hint: {hint}"


def test_every_mistake_differs_from_torch_on_some_case():
    cases = tl.sequence_loss_cases()
    for hint, slip in tl.SEQUENCE_MISTAKES:
        diffs = []
        for case in cases:
            try:
                diffs.append(abs(float(slip(*case)) - tl.sequence_loss(*case)))
            except RuntimeError:
                diffs.append(math.inf)
        assert max(diffs) > 1e-3, hint


def test_the_first_case_has_t_equal_v_so_straight_in_is_silent():
    logits, target, *_ = tl.sequence_loss_cases()[0]
    assert logits.shape[1] == logits.shape[2]
    logits2, target2, *_ = tl.sequence_loss_cases()[1]
    assert logits2.shape[1] != logits2.shape[2]
    with pytest.raises(RuntimeError, match="Expected target size"):
        F.cross_entropy(logits2, target2)


def test_checker_unanswered_and_other_failures():
    def stub(*args):
        raise NotImplementedError

    assert tl.check_sequence_loss(stub).status == "unanswered"
    assert tl.check_sequence_loss(...).status == "unanswered"
    assert tl.check_sequence_loss(lambda *a: None).status == "unanswered"
    per_token = tl.check_sequence_loss(lambda l, t, w, pad, eps: F.log_softmax(l, -1).amax(-1))
    assert per_token.status == "wrong" and "return one number" in per_token.detail
    crash = tl.check_sequence_loss(lambda *a: 1 / 0)
    assert crash.status == "wrong" and "ZeroDivisionError" in crash.detail
    odd = tl.check_sequence_loss(lambda *a: torch.tensor(42.0))
    assert odd.status == "wrong" and "torch gives" in odd.detail


def test_checker_does_not_let_a_learner_change_the_cases():
    def in_place(logits, target, weight, pad_index, eps):
        out = learner_solution(logits, target, weight, pad_index, eps)
        logits.zero_()
        return out

    assert tl.check_sequence_loss(in_place).status == "correct"


# --- class imbalance ------------------------------------------------------------------------------


def test_balanced_weights_and_recall():
    y = np.array([0, 0, 0, 1, 1, 2])
    assert np.allclose(tl.balanced_weights(y, 3), [6 / 9, 6 / 6, 6 / 3])
    assert np.allclose(tl.recall_per_class([0, 1, 0, 1, 1, 0], y, 3), [2 / 3, 1.0, 0.0])
    with pytest.raises(ValueError, match="every class needs at least one example"):
        tl.balanced_weights([0, 0, 1], 3)
    with pytest.raises(ValueError, match="counts must be 3 positive numbers"):
        tl.imbalanced_data((10, 10))


def test_train_linear_reaches_a_lower_loss_and_restores_threads():
    x, y = tl.imbalanced_data((50, 50, 10), seed=2)
    threads = torch.get_num_threads()
    W, b = tl.train_linear(x, y, 3, steps=100)
    assert torch.get_num_threads() == threads
    start = F.cross_entropy(torch.zeros(len(y), 3), torch.as_tensor(y)).item()
    end = F.cross_entropy(torch.as_tensor(x @ W + b), torch.as_tensor(y)).item()
    assert end < start - 0.2


def test_weights_raise_the_minority_recall():
    r = tl.imbalance_experiment((300, 300, 30), seed=0)
    assert r["weighted"]["recall"][2] > r["plain"]["recall"][2] + 0.3
    assert r["weighted"]["accuracy"] < r["plain"]["accuracy"]
    assert r["weighted"]["mean_probs"][2] > r["frequencies"][2]
    assert np.allclose(r["plain"]["mean_probs"].sum(), 1.0)


# --- multi-label ---------------------------------------------------------------------------------------


def test_fit_free_logits():
    soft = tl.fit_free_logits([1, 0, 1, 0], "softmax", steps=300)
    sig = tl.fit_free_logits([1, 0, 1, 0], "sigmoid", steps=300)
    assert soft.sum() == pytest.approx(1.0)
    assert np.all(soft[[0, 2]] < 0.5) and soft[0] > 0.45
    assert np.all(sig[[0, 2]] > 0.9) and np.all(sig[[1, 3]] < 0.1)
    with pytest.raises(ValueError, match="multi-hot"):
        tl.fit_free_logits([0.5, 0.5], "sigmoid")
    with pytest.raises(ValueError, match="multi-hot"):
        tl.fit_free_logits([0, 0], "sigmoid")
    with pytest.raises(ValueError, match="loss must be"):
        tl.fit_free_logits([1, 0], "hinge")


# --- temperature widget ---------------------------------------------------------------------------------


def test_temperature_distribution_matches_torch():
    for t in [0.2, 1.0, 3.0]:
        r = tl.temperature_distribution(t)
        want = torch.softmax(torch.tensor(tl.NEXT_CHAR_LOGITS) / t, -1).numpy()
        assert np.allclose(r["probs"], want)
        h = -(want * np.log(want)).sum()
        assert r["entropy"] == pytest.approx(h)
        assert r["entropy_bits"] == pytest.approx(h / math.log(2))
        assert r["top"] == int(np.argmax(tl.NEXT_CHAR_LOGITS))
    assert tl.temperature_distribution(1000.0)["entropy"] == pytest.approx(math.log(8), abs=1e-4)
    assert tl.temperature_distribution(0.01)["entropy"] < 1e-6
    curve = tl.entropy_curve()
    assert np.all(np.diff(curve) > 0)


def test_temperature_errors():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        tl.temperature_distribution(0.0)
    with pytest.raises(ValueError, match="one row of at least 2"):
        tl.temperature_distribution(1.0, logits=[[1.0, 2.0]])


def test_temperature_lesson_updates_in_place():
    lesson = tl.temperature_lesson()
    fig = lesson.view.fig
    before = [bar.get_height() for bar in lesson.view.bars.bars]
    marker_before = lesson.view.marker.get_ydata()[0]
    renders = lesson.live.renders
    lesson.controls["temperature"].value = 3.0
    assert lesson.result["temperature"] == 3.0
    assert lesson.view.fig is fig
    after = [bar.get_height() for bar in lesson.view.bars.bars]
    assert after[0] < before[0]
    assert lesson.view.marker.get_ydata()[0] > marker_before
    assert lesson.live.renders == renders + 1
    assert "entropy" in lesson.readout.value and "3.00" in lesson.readout.value


# --- binning -------------------------------------------------------------------------------------------


def test_bin_index():
    edges = np.array([-1.0, 0.0, 1.0, 2.0])
    y = np.array([-5.0, -0.5, 0.0, 0.99, 1.5, 9.0])
    assert tl.bin_index(y, edges).tolist() == [0, 0, 1, 1, 2, 2]
    inside = np.array([-0.5, 0.2, 1.7])
    assert np.array_equal(tl.bin_index(inside, edges), np.digitize(inside, edges) - 1)
    with pytest.raises(ValueError, match="strictly increasing"):
        tl.bin_index(y, [0.0, 0.0, 1.0])


def test_binning_experiment_fits_mean_and_frequencies():
    y = tl.bimodal_targets(n=400, seed=0)
    edges = np.linspace(-4.5, 4.5, 10)
    r = tl.binning_experiment(y, edges)
    assert r["mse_prediction"] == pytest.approx(y.mean(), abs=1e-6)
    assert np.allclose(r["bin_probs"], r["frequencies"], atol=0.02)
    assert r["mode_centre"] == -2.0
    assert r["near_mse_prediction"] < 0.05
    assert r["frequencies"].sum() == pytest.approx(1.0)


def test_drawing_helpers_draw():
    fig = Figure()
    axes = fig.subplots(1, 2)
    tl.draw_imbalance(axes, tl.imbalance_experiment((40, 40, 8), seed=1, steps=20))
    assert len(axes[0].collections) >= 3 and "recall" in axes[1].get_title()
    fig2 = Figure()
    ax = fig2.subplots()
    y = tl.bimodal_targets(50)
    edges = np.linspace(-4.5, 4.5, 10)
    tl.draw_binning(ax, y, tl.binning_experiment(y, edges, steps=10), edges)
    assert len(ax.patches) == 9


# --- "Check yourself" checkers ----------------------------------------------------------------------


def test_check_masked_mean():
    target = torch.as_tensor(tl.EX_TARGET)
    lo = torch.as_tensor(tl.EX_TOKEN_LOSSES)
    want = (lo * (target != 0)).sum() / (target != 0).sum()
    assert tl.check_masked_mean(want.item()).status == "correct"
    assert "padding included" in tl.check_masked_mean(lo.mean().item()).detail
    assert "sum" in tl.check_masked_mean(lo.sum().item()).detail
    per_sequence = (lo[0, :3].mean() + lo[1, :1].mean()) / 2  # sequences of 3 and 1 real tokens
    assert "per sequence" in tl.check_masked_mean(per_sequence.item()).detail
    assert tl.check_masked_mean(...).status == "unanswered"


def test_check_uniform_smoothing():
    assert tl.check_uniform_smoothing(math.log(5)).status == "correct"
    assert "not q" in tl.check_uniform_smoothing(0.8 * math.log(5)).detail
    assert "bits" in tl.check_uniform_smoothing(math.log2(5)).detail
    assert tl.check_uniform_smoothing(...).status == "unanswered"


def test_check_weighted_mean():
    lo = torch.tensor(tl.EX_WEIGHTED["token_losses"])
    target = torch.tensor(tl.EX_WEIGHTED["target"])
    weight = torch.tensor(tl.EX_WEIGHTED["weight"])
    want = (weight[target] * lo).sum() / weight[target].sum()
    assert tl.check_weighted_mean(want.item()).status == "correct"
    assert "sum of the weights" in tl.check_weighted_mean((weight[target] * lo).sum().item() / 3).detail
    assert "missing" in tl.check_weighted_mean(lo.mean().item()).detail
    assert tl.check_weighted_mean(...).status == "unanswered"


def test_weighted_exercise_matches_torch():
    # build logits whose per-example cross-entropies are exactly the exercise's losses
    lo, target, weight = (tl.EX_WEIGHTED[k] for k in ("token_losses", "target", "weight"))
    logits = torch.full((3, 3), -50.0, dtype=torch.float64)
    for i, (loss, cls) in enumerate(zip(lo, target)):
        p = math.exp(-loss)
        logits[i] = torch.log(torch.tensor([(1 - p) / 2] * 3, dtype=torch.float64))
        logits[i, cls] = math.log(p)
    torch_value = F.cross_entropy(logits, torch.tensor(target), weight=torch.tensor(weight)).item()
    assert tl.check_weighted_mean(torch_value).status == "correct"


def test_check_multilabel():
    assert tl.check_multilabel("b").status == "correct"
    assert "compete" in tl.check_multilabel("a").detail
    assert "not one of the options" in tl.check_multilabel("z").detail
    assert tl.check_multilabel(...).status == "unanswered"


def test_draw_loss_vs_gap():
    ax = Figure().subplots()
    gaps = np.linspace(0, 5, 11)
    tl.draw_loss_vs_gap(ax, gaps, 4, eps_values=[0.0, 0.2])
    assert len(ax.lines) == 2
    assert np.allclose(ax.lines[1].get_ydata(), tl.loss_vs_gap(gaps, 4, 0.2))


# --- the course glossary (notebooks/glossary.md) ----------------------------------------------------

GLOSSARY = Path(__file__).resolve().parent.parent / "notebooks" / "glossary.md"
GLOSSARY_TERMS = ["likelihood", "probability", "surprise", "entropy", "cross-entropy", "kl divergence",
                  "logit", "log-odds", "nats", "bits", "nll", "mle", "regularization", "softmax",
                  "log_softmax", "label smoothing", "temperature", "ignore_index", "proper scoring rule",
                  "log loss", "log-likelihood"]


def test_glossary_has_every_term_with_notation_and_a_lesson():
    text = GLOSSARY.read_text(encoding="utf-8")
    entries = dict(re.findall(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    assert {h.lower() for h in entries} >= set(GLOSSARY_TERMS)
    for heading, body in entries.items():
        for field in ("**Here:**", "**Elsewhere:**", "**Taught in:**"):
            assert field in body, f"{heading}: missing {field}"
        assert re.search(r"\]\(\d\d_\w+\.ipynb\)", body), f"{heading}: links no notebook"


def test_glossary_links_resolve():
    text = GLOSSARY.read_text(encoding="utf-8")
    # JupyterLab's heading anchors keep the case and turn spaces into '-', as tools/nav.py assumes
    anchors = {h.replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, re.M)}
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, target
        else:
            assert (GLOSSARY.parent / target).exists(), target


def test_glossary_keeps_the_course_notation():
    text = GLOSSARY.read_text(encoding="utf-8")
    assert "H(p, q) = −Σ p log q" in text
    assert "H_p(q)" in text and "reverse" in text  # Olah's order is called out
    assert "D_KL(P‖Q)" in text and "self-information" in text and "ℓ(θ)" in text


@settings(max_examples=40, deadline=None)
@given(b=st.integers(1, 4), t=st.integers(1, 6), v=st.integers(2, 7), seed=st.integers(0, 10_000),
       eps=st.floats(0.0, 1.0), pad_in_range=st.booleans(), weighted=st.booleans())
def test_sequence_loss_matches_torch_property(b, t, v, seed, eps, pad_in_range, weighted):
    pad = 0 if pad_in_range else -100
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, t, v, generator=gen, dtype=torch.float64) * 4
    target = torch.randint(1 if pad_in_range else 0, v, (b, t), generator=gen)
    drop = torch.rand(b, t, generator=gen) < 0.4
    drop[0, 0] = False  # keep at least one real token
    target[drop] = pad
    weight = torch.rand(v, generator=gen, dtype=torch.float64) + 0.1 if weighted else None
    want = F.cross_entropy(logits.transpose(1, 2), target, weight=weight, ignore_index=pad,
                           label_smoothing=eps).item()
    assert tl.sequence_loss(logits, target, weight, pad, eps) == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_temperature_view_labels_and_readout_notation():
    lesson = tl.temperature_lesson()
    left = lesson.view.fig.axes[0]
    assert left.get_ylabel() == "probability q" and left.get_xlabel()
    assert f"q = {lesson.result['top_prob']:.4f}" in lesson.readout.value  # q is the model's distribution
