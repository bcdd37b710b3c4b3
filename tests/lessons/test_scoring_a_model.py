"""helpers.lessons.scoring_a_model (lesson 10): each score against torch, the widgets, the checkers' tables."""
import io
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from helpers import losses
from helpers.data import load_names, split_names
from helpers.lessons import scoring_a_model as lesson
from helpers.lessons.scoring_a_model import kl
from tests.checker_contract import Table, failures, number_forms

torch.set_num_threads(1)
TOL = 1e-6  # "compared with torch to 1e-6"


@pytest.fixture(scope="module")
def splits():
    return lesson.lesson_data()


@pytest.fixture(scope="module")
def table():
    return lesson.trained_table()


# --- the trigram table -----------------------------------------------------------------------

def test_contexts_and_counts():
    X = torch.tensor([[0, 0], [0, 5], [26, 26], [3, 1]])
    assert lesson.contexts(X).tolist() == [0, 5, 728, 82]
    counts = lesson.count_table(lesson.contexts(X), torch.tensor([1, 2, 0, 1]))
    assert counts.shape == (729, 27) and counts.dtype == torch.float64 and counts.sum() == 4
    assert counts[82, 1] == 1 and counts[728, 0] == 1


@pytest.mark.parametrize("X, match", [(torch.zeros(3, 3, dtype=torch.long), r"shape \[N, 2\]"),
                                      (torch.zeros(3, 2), r"integer symbol indices"),
                                      (torch.tensor([[0, 27]]), r"symbol indices must be 0..26")])
def test_contexts_reject_bad_input(X, match):
    with pytest.raises(ValueError, match=match):
        lesson.contexts(X)


def test_count_table_rejects_bad_input():
    with pytest.raises(ValueError, match="both be"):
        lesson.count_table(torch.tensor([0, 1]), torch.tensor([0]))
    with pytest.raises(ValueError, match="contexts must be 0..728"):
        lesson.count_table(torch.tensor([729]), torch.tensor([0]))
    with pytest.raises(ValueError, match="counts >= 0"):
        lesson.train_table(-torch.ones(2, 3))


def test_the_count_form_of_the_loss_is_f_cross_entropy_over_the_examples(splits, table):
    ctx, y = splits["few"]
    counts = splits["counts"]
    assert counts.sum() == len(y)
    from_counts = -(counts * F.log_softmax(table, dim=-1)).sum() / counts.sum()
    assert from_counts.item() == pytest.approx(F.cross_entropy(table[ctx], y).item(), abs=1e-12)
    # zeros at the start: ln 27, as lesson 05 predicts
    start = -(counts * F.log_softmax(torch.zeros(729, 27, dtype=torch.float64), -1)).sum() / counts.sum()
    assert start.item() == pytest.approx(math.log(27), abs=1e-12)


def test_the_table_overfits_few_names_and_is_overconfident_on_new_ones(splits, table):
    nll = {split: F.cross_entropy(table[splits[split][0]], splits[split][1]).item() for split in ("few", "val", "test")}
    assert nll["few"] < nll["val"] - 0.3 and nll["few"] < nll["test"] - 0.3
    probs = F.softmax(table[splits["test"][0]], -1)
    assert probs.max(-1).values.mean() > lesson.accuracy(table[splits["test"][0]], splits["test"][1]) + 0.02
    # contexts the training names never contain keep their uniform row
    unseen = splits["counts"].sum(1) == 0
    assert torch.all(table[unseen] == 0)


def test_the_lesson_splits_are_the_names_of_lessons_05_and_08(splits):
    train_names, _ = split_names(load_names(), 0.1, seed=0)
    assert len(splits["test"][1]) == sum(len(n) + 1 for n in train_names[lesson.N_FEW:])
    assert len(splits["few"][1]) == sum(len(n) + 1 for n in train_names[:lesson.N_FEW])


# --- accuracy, reliability, ECE ------------------------------------------------------------------

def test_accuracy_ignores_a_positive_scale_and_matches_torch(splits, table):
    logits, y = table[splits["test"][0]], splits["test"][1]
    acc = lesson.accuracy(logits, y)
    assert acc == pytest.approx((logits.argmax(-1) == y).double().mean().item(), abs=1e-15)
    for scale in (0.5, 2.0, 1 / 1.3):
        assert lesson.accuracy(scale * logits, y) == acc
    assert F.cross_entropy(2 * logits, y) > F.cross_entropy(logits, y) + 0.1


def _ece_loop(logits, y, n_bins):
    """An independent ECE: per example, bin k holds (k/M, (k+1)/M]."""
    probs = F.softmax(torch.as_tensor(logits, dtype=torch.float64), -1).numpy()
    conf, right = probs.max(-1), (probs.argmax(-1) == np.asarray(y))
    total = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        inside = (conf > lo) & (conf <= hi) if k else (conf <= hi)
        if inside.any():
            total += inside.mean() * abs(right[inside].mean() - conf[inside].mean())
    return total


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15, 30])
def test_ece_matches_an_independent_loop(splits, table, n_bins):
    logits, y = table[splits["test"][0]], splits["test"][1]
    assert lesson.reliability(logits, y, n_bins)["ece"] == pytest.approx(_ece_loop(logits, y, n_bins), abs=1e-12)
    g = torch.Generator().manual_seed(0)
    random_logits = 3 * torch.randn(500, 7, dtype=torch.float64, generator=g)
    random_y = torch.randint(0, 7, (500,), generator=g)
    got = lesson.reliability(random_logits, random_y, n_bins)
    assert got["ece"] == pytest.approx(_ece_loop(random_logits, random_y, n_bins), abs=1e-12)
    assert got["count"].sum() == 500 and len(got["edges"]) == n_bins + 1


def test_perplexity_per_name_is_the_per_character_one_to_the_power_of_the_name_length():
    """Exercise (a): a name's NLL is the sum over its characters (the final '.' included)."""
    r = lesson.bigram_per_name()
    names = split_names(load_names(), val_fraction=0.1, seed=0)[1]
    chars = sum(len(n) + 1 for n in names)                          # every letter and the final '.'
    assert r["characters_per_name"] == pytest.approx(chars / len(names))
    assert r["per_character"] == pytest.approx(2.3537, abs=5e-5)    # section 1's printed bigram NLL
    assert r["per_name"] == pytest.approx(r["per_character"] * chars / len(names))
    assert r["letters_only"] < r["per_name"]
    assert math.exp(r["per_name"]) == pytest.approx(math.exp(r["per_character"]) ** (chars / len(names)))


def test_reliability_bins_by_hand():
    # confidences 0.9, 0.9 (one right), 0.6 (right) with 2 bins: (0, .5], (.5, 1]
    logits = torch.log(torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4]], dtype=torch.float64))
    r = lesson.reliability(logits, torch.tensor([0, 1, 0]), n_bins=2)
    assert r["count"].tolist() == [0, 3]
    assert math.isnan(r["accuracy"][0]) and r["accuracy"][1] == pytest.approx(2 / 3)
    assert r["confidence"][1] == pytest.approx(0.8)
    assert r["ece"] == pytest.approx(abs(2 / 3 - 0.8))


def test_the_count_model_is_calibrated_on_the_names_it_was_counted_from(splits):
    ctx, y = splits["few"]
    q = splits["counts"] / splits["counts"].sum(1, keepdim=True)
    assert lesson.reliability(torch.log(q[ctx]), y)["ece"] < 1e-12


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_reliability_rejects_bad_bins(bad):
    with pytest.raises(ValueError, match="n_bins must be a whole number >= 1"):
        lesson.reliability(torch.zeros(2, 3), torch.tensor([0, 1]), n_bins=bad)


def test_scores_reject_bad_shapes_and_classes():
    with pytest.raises(ValueError, match=r"logits \[N, C\] and target \[N\]"):
        lesson.accuracy(torch.zeros(4, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="out of range"):
        lesson.reliability(torch.zeros(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="class indices"):
        lesson.fit_temperature(torch.zeros(2, 3), torch.tensor([0.5, 1.0]))


# --- temperature scaling ------------------------------------------------------------------------

def test_fit_temperature_finds_the_lowest_validation_nll(splits, table):
    logits, y = table[splits["val"][0]], splits["val"][1]
    T = lesson.fit_temperature(logits, y)
    grid = torch.linspace(0.8, 2.0, 1201, dtype=torch.float64)
    nll = torch.stack([F.cross_entropy(logits / t, y) for t in grid])
    assert T == pytest.approx(grid[nll.argmin()].item(), abs=2e-3)
    assert T > 1  # the table is overconfident on new names
    t = torch.tensor(T, dtype=torch.float64, requires_grad=True)
    F.cross_entropy(logits / t, y).backward()
    assert abs(t.grad.item()) < 1e-8
    # fitted on the training names, the table is underconfident there
    assert lesson.fit_temperature(table[splits["few"][0]], splits["few"][1]) < 1


@pytest.mark.parametrize("T", [0.5, 1.0, 1.2408, 3.0])
def test_temperature_scores_match_torch_per_example(splits, table, T):
    logits, y = table[splits["test"][0]], splits["test"][1]
    r = lesson.temperature_scores(T, lesson.Predictions(logits, y))
    scaled = logits / T
    probs, onehot = F.softmax(scaled, -1), F.one_hot(y, 27).double()
    assert r["nll"] == pytest.approx(F.cross_entropy(scaled, y).item(), abs=TOL)
    assert r["brier"] == pytest.approx((F.mse_loss(probs, onehot, reduction="sum") / len(y)).item(), abs=TOL)
    assert r["accuracy"] == pytest.approx(lesson.accuracy(logits, y), abs=1e-15)
    assert r["ece"] == pytest.approx(lesson.reliability(scaled, y)["ece"], abs=1e-9)


def test_predictions_group_rows_exactly():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(5, 4, dtype=torch.float64, generator=g)
    pick = torch.tensor([0, 1, 1, 4, 0, 0, 2])
    target = torch.tensor([0, 1, 2, 3, 0, 1, 3])
    p = lesson.Predictions(base[pick], target)
    assert p.rows.shape == (4, 4) and p.targets.sum() == 7 and p.n == 7
    r = lesson.temperature_scores(1.7, p)
    assert r["nll"] == pytest.approx(F.cross_entropy(base[pick] / 1.7, target).item(), abs=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_temperature_must_be_positive(bad):
    p = lesson.Predictions(torch.zeros(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        lesson.temperature_scores(bad, p)


# --- proper scoring rules -----------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.7, 0.99])
def test_expected_scores_match_torch(p):
    q = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)
    e = lesson.expected_forecast_scores(p, q.numpy())
    pt = torch.full_like(q, p)
    one, zero = torch.ones_like(q), torch.zeros_like(q)
    assert np.allclose(e["log"], F.binary_cross_entropy(q, pt, reduction="none").numpy(), atol=TOL)
    brier = p * F.mse_loss(q, one, reduction="none") + (1 - p) * F.mse_loss(q, zero, reduction="none")
    absolute = p * F.l1_loss(q, one, reduction="none") + (1 - p) * F.l1_loss(q, zero, reduction="none")
    assert np.allclose(e["brier"], brier.numpy(), atol=TOL)
    assert np.allclose(e["abs"], absolute.numpy(), atol=TOL)
    # the identities the lesson argues from
    qn = q.numpy()
    assert np.allclose(e["brier"], (qn - p) ** 2 + p * (1 - p), atol=1e-12)
    kl = np.array([losses.kl_divergence([p, 1 - p], [qi, 1 - qi]) for qi in qn])
    assert np.allclose(e["log"], losses.entropy([p, 1 - p]) + kl, atol=1e-12)
    assert np.allclose(e["abs"], p + (1 - 2 * p) * qn, atol=1e-12)


@pytest.mark.parametrize("p", [0.2, 0.7, 0.93])
def test_log_and_brier_are_proper_absolute_error_is_not(p):
    r = lesson.proper_scores(p=p, q=0.5)
    assert r["best_q"]["log"] == pytest.approx(p, abs=1e-3)
    assert r["best_q"]["brier"] == pytest.approx(p, abs=1e-3)
    assert r["best_q"]["abs"] == pytest.approx(0.999 if p > 0.5 else 0.001)


def test_absolute_error_is_flat_at_one_half():
    r = lesson.proper_scores(p=0.5, q=0.9)
    assert math.isnan(r["best_q"]["abs"]) and not math.isnan(r["best_q"]["log"])
    assert r["at_q"]["abs"] == pytest.approx(0.5)


def test_expected_scores_reject_non_probabilities():
    for p, q in [(1.2, 0.5), (0.5, -0.1), (math.nan, 0.5)]:
        with pytest.raises(ValueError, match="probabilities in"):
            lesson.expected_forecast_scores(p, q)


# --- forward and reverse KL --------------------------------------------------------------------

def test_mixture_is_a_density_and_kl_on_grid_matches_the_gaussian_formula():
    p = np.exp(kl.mixture_log_density(kl.KL_X))
    assert p.sum() * kl.KL_DX == pytest.approx(1.0, abs=1e-9)
    x = torch.tensor(kl.KL_X)
    assert torch.allclose(kl.mixture_log_density(x), torch.tensor(kl.mixture_log_density(kl.KL_X)))
    for (m1, s1), (m2, s2) in [((0.0, 1.0), (1.0, 1.5)), ((0.5, 0.7), (-1.0, 2.0))]:
        exact = math.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5
        a, b = kl.normal_log_density(kl.KL_X, m1, s1), kl.normal_log_density(kl.KL_X, m2, s2)
        assert kl.kl_on_grid(a, b) == pytest.approx(exact, abs=TOL)


def test_forward_kl_matches_moments_and_reverse_kl_picks_a_bump():
    p = np.exp(kl.mixture_log_density(kl.KL_X))
    mean = (kl.KL_X * p).sum() * kl.KL_DX
    sd = math.sqrt(((kl.KL_X - mean) ** 2 * p).sum() * kl.KL_DX)
    mu, sigma = kl.fit_gaussian("forward", -1.0)
    assert mu == pytest.approx(mean, abs=1e-4) and sigma == pytest.approx(sd, abs=1e-4)
    for start, bump in [(-1.0, -2.0), (1.0, 2.0)]:
        mu, sigma = kl.fit_gaussian("reverse", start)
        assert mu == pytest.approx(bump, abs=0.05) and sigma == pytest.approx(kl.MIX_SD, abs=0.05)
    right = lesson.kl_fit(*kl.fit_gaussian("reverse", 1.0))["reverse"]
    left = lesson.kl_fit(*kl.fit_gaussian("reverse", -1.0))["reverse"]
    assert right == pytest.approx(-math.log(0.6), abs=0.01) and left == pytest.approx(-math.log(0.4), abs=0.01)


def test_kl_fit_curves_agree_with_the_point_values():
    r = lesson.kl_fit(mu=1.0, sigma=0.8)
    i = int(np.argmin(np.abs(kl.KL_MU - 1.0)))
    assert r["forward_curve"][i] == pytest.approx(r["forward"], abs=1e-12)
    assert r["reverse_curve"][i] == pytest.approx(r["reverse"], abs=1e-12)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        lesson.kl_fit(0.0, 0.0)
    with pytest.raises(ValueError, match="direction must be"):
        kl.fit_gaussian("sideways", 0.0)
    with pytest.raises(ValueError, match="sum to 1"):
        kl.mixture_log_density(kl.KL_X, weights=(0.5, 0.6))


def test_f_kl_div_takes_log_probabilities_and_batchmean_is_the_kl():
    g = torch.Generator().manual_seed(0)
    log_q = F.log_softmax(torch.randn(8, 5, dtype=torch.float64, generator=g), -1)
    p = F.softmax(torch.randn(8, 5, dtype=torch.float64, generator=g), -1)
    ours = torch.tensor(losses.kl_divergence(p, log_q.exp())).mean()
    assert F.kl_div(log_q, p, reduction="batchmean").item() == pytest.approx(ours.item(), abs=TOL)
    assert F.kl_div(log_q, p.log(), reduction="batchmean", log_target=True).item() == pytest.approx(ours.item(), abs=TOL)
    with pytest.warns(UserWarning, match="batchmean"):
        mean = F.kl_div(log_q, p)
    assert (ours / mean).item() == pytest.approx(5.0, abs=1e-9)
    # the other argument order is the other direction
    swapped = F.kl_div(p.log(), log_q.exp(), reduction="batchmean").item()
    assert swapped == pytest.approx(float(np.mean(losses.kl_divergence(log_q.exp(), p))), abs=TOL)


# --- widgets: pure compute, figure built once, updated in place, blitting exact -----------------

def _widgets(splits, table):
    logits, y = table[splits["test"][0]], splits["test"][1]
    return {
        "proper": (lambda: lesson.proper_scores_widget(), "q", 0.4,
                   lambda w: lesson.proper_scores(**w.values())),
        "temperature": (lambda: lesson.temperature_widget(logits, y, 1.24), "temperature", 2.0,
                        lambda w: lesson.temperature_scores(w.values()["temperature"], lesson.Predictions(logits, y))),
        "kl": (lambda: lesson.kl_widget({"forward": (0.4, 2.05)}), "sigma", 0.6,
               lambda w: lesson.kl_fit(**w.values())),
    }


@pytest.mark.parametrize("name", ["proper", "temperature", "kl"])
def test_widget_updates_in_place_and_matches_its_pure_function(splits, table, name):
    make, control, value, compute = _widgets(splits, table)[name]
    w = make()
    fig, png, text, n = w.view.fig, w.live.image.value, w.readout.value, w.updates
    w.controls[control].value = value
    assert w.updates == n + 1 and w.view.fig is fig
    assert w.live.image.value != png and w.readout.value != text
    expected = compute(w)
    for key in ("nll", "ece", "brier", "forward", "reverse", "at_q"):
        if key in expected:
            assert w.result[key] == expected[key]
    assert "interactive widget" in repr(w)


@pytest.mark.parametrize("name", ["proper", "temperature", "kl"])
def test_blitted_frame_equals_a_full_redraw(splits, table, name):
    make, control, value, _ = _widgets(splits, table)[name]
    w = make()
    w.controls[control].value = value
    blitted = np.asarray(Image.open(io.BytesIO(w.live.image.value)))
    w.live.invalidate()
    full = np.asarray(Image.open(io.BytesIO(w.live.render())))
    assert blitted.shape == full.shape
    assert np.mean(blitted != full) < 0.001


@pytest.mark.parametrize("name", ["proper", "temperature", "kl"])
def test_widget_figures_carry_their_text_alternative(splits, table, name):
    w = _widgets(splits, table)[name][0]()
    assert len(w.view.alt) > 100 and w.live.image.tooltip == w.view.alt


def test_widget_readouts_say_what_the_lesson_says():
    w = lesson.proper_scores_widget(p=0.5, q=0.9)
    assert "the same for every q" in w.readout.value
    w = lesson.kl_widget()
    assert "KL(p‖q)" in w.readout.value and "KL(q‖p)" in w.readout.value


def test_static_figures_draw_without_warnings(splits, table):
    from matplotlib.figure import Figure
    axes, step_axes = Figure().subplots(2, 2), Figure().subplots(1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lesson.draw_reliability(axes[0, 0], lesson.reliability(table[splits["test"][0]], splits["test"][1]), "t",
                                count_ax=axes[1, 0])
        grid = torch.linspace(-6, 6, 11, dtype=torch.float64)
        lesson.draw_accuracy_step(step_axes, grid, (grid > 0).double(), F.softplus(-grid), current=0.5)
    assert "ECE" in axes[0, 0].get_title() and "accuracy" in step_axes[0].get_title()


# --- checkers: the contract's tables (tests/checker_contract.py): the right answer in every form is ✓,
# --- each listed mistake is ✗ with its own hint, other plausible wrong answers are neither ✓ nor ≈ ------

class _Lazy:
    """Answers built on first use: they need a trained table, which importing the module should not train."""

    def __init__(self, build):
        super().__init__()
        self._build = build

    def _fill(self):
        if self._build is not None:
            build, self._build = self._build, None
            self._take(build())


class _Later(_Lazy, list):
    """A lazy list of answers (right or wrong)."""

    _take = list.extend

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()


class _LaterHints(_Lazy, dict):
    """Lazy mistakes: hint -> answer."""

    _take = dict.update

    def items(self):
        self._fill()
        return super().items()


def _long():
    return lesson._long_reference()


def _float32(x):
    return [torch.tensor(x, dtype=torch.float32)]


def _ece(split):
    ctx, y = lesson.lesson_data()[split]
    return lesson.reliability(lesson.trained_table()[ctx], y)["ece"]


def _per_name():
    return math.exp(lesson.bigram_per_name()["per_name"])


def _fitted_temperature():
    ctx, y = lesson.lesson_data()["val"]
    return (lesson.fit_temperature(lesson.trained_table()[ctx], y),), {}


CHECKER_TABLES = [
    Table(lesson.check_perplexity_per_name,
          right=_Later(lambda: number_forms(_per_name()) + _float32(_per_name())),
          mistakes=_LaterHints(lambda: {
              "perplexity per character": math.exp(lesson.bigram_per_name()["per_character"]),
              "that is the NLL per name": lesson.bigram_per_name()["per_name"],
              "perplexities multiply": math.exp(lesson.bigram_per_name()["per_character"])
                                       * lesson.bigram_per_name()["characters_per_name"],
              "the base is e": 2 ** lesson.bigram_per_name()["per_name"],
              "the final '.'": math.exp(lesson.bigram_per_name()["letters_only"])}),
          wrong=_Later(lambda: [_per_name() * 1.02, _per_name() * 0.98, 27.0 ** 7, 10.5244 ** 7])),
    Table(lesson.check_long_temperature,
          right=_Later(lambda: number_forms(_long()["fits"]["val"]) + _float32(_long()["fits"]["val"])),
          mistakes=_LaterHints(lambda: {"divides the logits by 1/T": 1 / _long()["fits"]["val"],
                                        "fitted on the test names": _long()["fits"]["test"],
                                        "fitted on the names the table was trained on": _long()["fits"]["few"],
                                        "300-step table": _long()["short"],
                                        "T = 1 leaves the model": 1.0}),
          wrong=_Later(lambda: [_long()["fits"]["val"] * 1.02, _long()["fits"]["val"] - 0.1, 2.0, 1.4])),
    Table(lesson.check_mle_train_ece,
          right=number_forms(0.0) + [0, torch.tensor(0.0), 1e-17],
          mistakes=_LaterHints(lambda: {"300-step table": _ece("few"), "unseen (test) names": _ece("test")}),
          wrong=[0.01, 0.001, 0.05, 1.0, -0.01]),
    Table(lesson.check_temperature_direction, setup=_fitted_temperature,
          right=["above", " Above ", "ABOVE"],
          mistakes={"sharpens": "below", "changes nothing": "equal"},
          wrong=["1.24", "up", "higher"]),
    Table(lesson.check_kl_div_call,
          right=["c", "C", " c "],
          mistakes={"also divides by the number of classes": "a", "that is the forward KL": "b",
                    "must be log-probabilities": "d"},
          wrong=["e", "batchmean", "b, c"]),
]


def test_every_checker_of_the_lesson_has_a_table():
    public = {name for name in dir(lesson) if name.startswith("check_")}
    assert public == {t.checker.__name__ for t in CHECKER_TABLES}


@pytest.mark.parametrize("table", CHECKER_TABLES, ids=lambda t: t.checker.__name__)
def test_checker_table(table):
    assert failures(table) == []
    assert table.verdict(...).status == "unanswered" and table.verdict(None).status == "unanswered"


def test_the_temperature_direction_follows_the_fitted_temperature():
    assert lesson.check_temperature_direction("below", 0.8).status == "correct"
    assert lesson.check_temperature_direction("above", 0.8).status == "wrong"


def test_the_long_temperature_verdict_reports_the_validation_nll():
    verdict = lesson.check_long_temperature(_long()["fits"]["val"])
    assert "validation NLL at your T" in verdict.message


def test_the_count_model_ece_is_revealed_only_after_a_prediction():
    """Exercise (c) is predict-then-check: the stored output of the unanswered cell must not show the ECE."""
    hidden = lesson.check_mle_train_ece(..., measured=0.0)
    assert hidden.status == "unanswered" and "measured" not in hidden.message
    assert "measured" not in lesson.check_mle_train_ece(None, measured=0.0).message
    right = lesson.check_mle_train_ece(0.0, measured=torch.tensor(0.0))
    assert right.status == "correct" and "measured" in right.message and "0.0000" in right.message
    wrong = lesson.check_mle_train_ece(0.05, measured=0.0)
    assert wrong.status == "wrong" and "is 0.0000" in wrong.message
    assert lesson.check_mle_train_ece(0.0).status == "correct"          # measured is optional
    with pytest.raises(ValueError, match="measured must be one number"):
        lesson.check_mle_train_ece(0.0, measured=[0.1, 0.2])


def test_base_rates_are_calibrated_on_new_names_and_useless(splits, table):
    """Section 6's claim: the base-rate model has an ECE of about 0 but worse NLL, Brier and accuracy."""
    (ctx_test, y_test), (_, y_few) = splits["test"], splits["few"]
    base = torch.bincount(y_few, minlength=27).double() / len(y_few)
    base_logits = base.log().expand(len(y_test), 27)
    trained = table[ctx_test]
    onehot = F.one_hot(y_test, 27).double()

    def brier(logits):
        return float(((F.softmax(logits, -1) - onehot) ** 2).sum(-1).mean())

    assert lesson.reliability(base_logits, y_test)["ece"] < 0.001 < lesson.reliability(trained, y_test)["ece"]
    assert F.cross_entropy(base_logits, y_test) > F.cross_entropy(trained, y_test) + 0.3
    assert brier(base_logits) > brier(trained) + 0.05
    assert lesson.accuracy(base_logits, y_test) < lesson.accuracy(trained, y_test) - 0.1
