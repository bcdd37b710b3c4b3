"""helpers.lessons.mm_surprise_game: the lesson's pure functions, views, widgets and checkers."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import data, losses
from helpers.lessons import mm_surprise_game as lesson
from helpers.lessons.mm_surprise_game import views
from tests.checker_contract import Table, number_forms, sequence_forms


@pytest.fixture(scope="module")
def mixes():
    return data.load_mixes()


def find_buttons(widget):
    import ipywidgets as widgets
    out = {}
    for child in getattr(widget, "children", ()):
        if isinstance(child, widgets.Button):
            out[child.description] = child
        out.update(find_buttons(child))
    return out



def test_belief_game_rejects_an_unknown_bag(mixes):
    with pytest.raises(ValueError, match="unknown bag"):
        lesson.belief_game(bag="mint", mixes=mixes)


def test_normalise():
    q = lesson.normalise([1, 2, 3, 0, 2, 2])
    np.testing.assert_allclose(q, np.array([1, 2, 3, 0, 2, 2]) / 10)
    np.testing.assert_allclose(lesson.normalise([5] * 6), np.full(6, 1 / 6))
    np.testing.assert_allclose(lesson.normalise(np.arange(1, 7) * 7.5), lesson.normalise(np.arange(1, 7)))


@pytest.mark.parametrize("weights, match", [
    ([1, -1, 1, 1, 1, 1], r"weights must be >= 0; orange has -1"),
    ([-1, -2, -3, -1, -1, -1], r"weights must be >= 0"),
    ([0] * 6, r"all weights are 0"),
    ([1, 2, 3], r"must be 6 numbers"),
    ([1, 1, 1, 1, 1, float("nan")], r"finite"),
    ([1, 1, 1, 1, 1, float("inf")], r"finite"),
])
def test_normalise_bad_input(weights, match):
    with pytest.raises(ValueError, match=match):
        lesson.normalise(weights)


def test_draws_by_seed(mixes):
    p = mixes["milk_chocolate_2006"].probs
    a, b = lesson.draw_colours(p, 50, seed=3), lesson.draw_colours(p, 50, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, lesson.draw_colours(p, 50, seed=4))
    # the same stream as numpy's own sampler: an independent check of the inverse CDF
    np.testing.assert_array_equal(a, np.random.default_rng(3).choice(6, size=50, p=p))


def test_draws_are_prefixes(mixes):
    p = mixes["peanut_2006"].probs
    long = lesson.draw_colours(p, 111, seed=0)
    for n in (0, 1, 10, 110):
        np.testing.assert_array_equal(lesson.draw_colours(p, n, seed=0), long[:n])


def test_draws_follow_p_and_skip_zero(mixes):
    p = mixes["invented_bag"].probs
    draws = lesson.draw_colours(p, 200_000, seed=1)
    assert draws.min() >= 0 and draws.max() < 6
    assert not np.any(draws == data.COLOURS.index("orange"))
    np.testing.assert_allclose(np.bincount(draws, minlength=6) / draws.size, p, atol=0.005)
    # a trailing zero-probability colour is never drawn either
    assert set(lesson.draw_colours([0.5, 0.5, 0, 0, 0, 0], 1000, seed=0)) == {0, 1}


@pytest.mark.parametrize("n", [-1, 2.5, True, "3"])
def test_draw_bad_n(n):
    with pytest.raises(ValueError, match=r"n \(the number of draws\) must be a whole number >= 0"):
        lesson.draw_colours(np.full(6, 1 / 6), n, seed=0)


def test_draw_bad_p():
    with pytest.raises(ValueError, match="sum to 1"):
        lesson.draw_colours([0.5, 0.6, 0, 0, 0, 0], 3, seed=0)


def test_surprises_are_minus_log_q():
    q = np.array([0.1, 0, 0.25, 0.2, 0.3, 0.15])
    table = lesson.surprise_table(q)
    assert table[1] == math.inf
    np.testing.assert_allclose(table[[0, 2, 3, 4, 5]], -np.log(q[[0, 2, 3, 4, 5]]))
    np.testing.assert_allclose(lesson.surprises(q, [4, 4, 0]), [-math.log(0.3)] * 2 + [-math.log(0.1)])


def test_running_mean():
    v = np.array([1.0, 3.0, 2.0, 6.0])
    np.testing.assert_allclose(lesson.running_mean(v), [np.mean(v[:k]) for k in range(1, 5)])
    assert lesson.running_mean([]).size == 0


def test_running_mean_with_infinity_is_never_nan():
    out = lesson.running_mean([1.0, math.inf, 0.5, 2.0])
    assert out[0] == 1.0 and np.all(np.isinf(out[1:]))
    assert not np.any(np.isnan(out))


@pytest.mark.parametrize("values, match", [([1.0, float("nan")], ">= 0"), ([1.0, -1.0], ">= 0"),
                                           ([[1.0]], "1-D")])
def test_running_mean_bad_input(values, match):
    with pytest.raises(ValueError, match=match):
        lesson.running_mean(values)


def test_kl_identity():
    rng = np.random.default_rng(0)
    for _ in range(50):
        p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        s = lesson.scores(p, q)
        assert s["cross_entropy"] == pytest.approx(s["entropy"] + s["kl"], abs=1e-12)
        assert s["kl"] >= 0
        assert lesson.scores(p, p)["kl"] == pytest.approx(0, abs=1e-12)


def test_mean_surprise_heads_for_cross_entropy(mixes):
    p = mixes["milk_chocolate_2006"].probs
    game = lesson.play([1, 2, 3, 4, 5, 6], p, 200_000, seed=0)
    assert game["running_mean"][-1] == pytest.approx(game["cross_entropy"], abs=0.01)
    assert game["cross_entropy"] == pytest.approx(-(p * np.log(np.arange(1, 7) / 21)).sum())


def test_game_mean_equals_torch_cross_entropy(mixes):
    game = lesson.play([3, 1, 4, 1, 5, 9], mixes["plain_1997"].probs, 300, seed=5)
    n = len(game["draws"])
    logits = torch.log(torch.tensor(game["q"])).expand(n, 6)  # [N, C]
    target = torch.tensor(game["draws"])  # [N]
    assert game["running_mean"][-1] == pytest.approx(F.cross_entropy(logits, target).item(), abs=1e-9)
    assert game["running_mean"][-1] == pytest.approx(losses.cross_entropy(logits, target), abs=1e-9)


def test_zero_probability_gives_infinity_not_nan(mixes):
    r = lesson.belief_game(blue=0, bag="milk_chocolate_2006", seed=0, n_draws=30, mixes=mixes)
    blue = data.COLOURS.index("blue")
    first = int(np.argmax(r["draws"] == blue))
    assert r["draws"][first] == blue
    assert np.all(np.isfinite(r["running_mean"][:first])) and np.all(np.isinf(r["running_mean"][first:]))
    assert math.isinf(r["cross_entropy"]) and math.isinf(r["kl"]) and math.isfinite(r["entropy"])
    text = lesson.describe_belief(r)
    assert "∞" in text and "nan" not in text and "inf " not in text


def test_zero_belief_for_an_absent_colour_is_fine(mixes):
    r = lesson.belief_game(orange=0, bag="invented_bag", seed=0, n_draws=200, mixes=mixes)
    assert math.isfinite(r["running_mean"][-1]) and math.isfinite(r["cross_entropy"])


def test_smooth():
    q = np.array([0.5, 0.5, 0, 0, 0, 0])
    s = lesson.smooth(q, 0.06)
    assert s.sum() == pytest.approx(1) and s.min() == pytest.approx(0.01)
    assert math.isfinite(losses.surprise(s, 3))
    np.testing.assert_allclose(lesson.smooth(q, 0), q)
    with pytest.raises(ValueError, match=r"eps must be in \[0, 1\]"):
        lesson.smooth(q, 1.5)


def test_frequencies_are_the_maximum_likelihood_belief():
    draws = lesson.draw_colours(np.full(6, 1 / 6), 40, seed=2)
    freqs = lesson.frequencies(draws)
    best = lesson.surprises(freqs, draws).mean()
    rng = np.random.default_rng(0)
    for _ in range(200):
        other = rng.dirichlet(np.ones(6))
        assert lesson.surprises(other, draws).mean() >= best
    with pytest.raises(ValueError, match="no draws yet"):
        lesson.frequencies([])


def test_guess_changes_nothing_but_hits(mixes):
    kw = dict(red=2, orange=5, yellow=1, green=3, blue=8, brown=1, seed=4, n_draws=50, mixes=mixes)
    a = lesson.belief_game(guess="red", guesses=["blue"] * 50, **kw)
    b = lesson.belief_game(guess="green", guesses=["red"] * 50, **kw)
    np.testing.assert_array_equal(a["surprises"], b["surprises"])
    assert a["running_mean"][-1] == b["running_mean"][-1] and a["cross_entropy"] == b["cross_entropy"]
    assert a["hits"] == int(np.sum(a["draws"] == data.COLOURS.index("blue")))
    assert b["hits"] == int(np.sum(b["draws"] == data.COLOURS.index("red")))
    c = lesson.belief_game(guess="red", guesses=["blue"] * 50, **{**kw, "blue": 1})
    assert not np.array_equal(a["surprises"], c["surprises"])  # the belief does change it


def test_belief_game_units(mixes):
    r = lesson.belief_game(units="bits", n_draws=5, mixes=mixes)
    assert r["scale"] == pytest.approx(1 / math.log(2))
    text = lesson.describe_belief(r)
    assert "bits" in text and "= −log₂ q(" in text and "over 5 draws" in text
    nats = lesson.describe_belief(lesson.belief_game(n_draws=1, mixes=mixes))
    assert "= −log q(" in nats and "−log₂" not in nats and "over 1 draw =" in nats


@pytest.mark.parametrize("kw, match", [
    (dict(units="joules"), "unknown units"),
    (dict(guess="purple"), "unknown colour 'purple'"),
    (dict(n_draws=3, guesses=["red"]), "1 guesses for 3 draws"),
    (dict(red=-1), "weights must be >= 0"),
    (dict(red=0, orange=0, yellow=0, green=0, blue=0, brown=0), "all weights are 0"),
])
def test_belief_game_bad_input(mixes, kw, match):
    with pytest.raises(ValueError, match=match):
        lesson.belief_game(mixes=mixes, **kw)


def test_belief_lesson_buttons_change_the_image(mixes):
    widget = lesson.belief_widget(mixes=mixes)
    buttons = find_buttons(widget)  # the buttons live inside the Lesson (browser tests need that)
    assert {"draw 1", "draw 10", "draw 100", "new bag"} <= set(buttons)
    before = widget.live.image.value
    buttons["draw 10"].click()
    assert widget.state.n == 10 and widget.result["n"] == 10
    assert widget.live.image.value != before
    line = widget.view.mean_line.get_ydata()
    np.testing.assert_allclose(line, widget.result["running_mean"])
    buttons["draw 1"].click()
    assert len(widget.view.mean_line.get_xdata()) == 11


def test_belief_lesson_slider_and_units(mixes):
    widget = lesson.belief_widget(mixes=mixes)
    find_buttons(widget)["draw 10"].click()
    before, image = widget.result["running_mean"][-1], widget.live.image.value
    widget.controls["blue"].value = 30
    assert widget.result["q"][data.COLOURS.index("blue")] == pytest.approx(30 / 80)
    assert widget.result["running_mean"][-1] != before and widget.live.image.value != image
    widget.controls["units"].value = "bits"
    assert widget.view.mid.get_ylim()[1] == pytest.approx(views.BeliefView.Y_TOP / math.log(2))
    assert widget.view.mean_line.get_ydata()[-1] == pytest.approx(widget.result["running_mean"][-1] / math.log(2))


def test_belief_lesson_guess_does_not_move_the_picture(mixes):
    widget = lesson.belief_widget(mixes=mixes)
    find_buttons(widget)["draw 10"].click()
    line = widget.view.mean_line.get_ydata().copy()
    widget.controls["guess"].value = "red"
    np.testing.assert_array_equal(widget.view.mean_line.get_ydata(), line)


def test_belief_lesson_bag_change_and_new_bag(mixes):
    widget = lesson.belief_widget(mixes=mixes)
    buttons = find_buttons(widget)
    buttons["draw 10"].click()
    widget.controls["bag"].value = "milk_chocolate_2006"
    assert widget.state.n == 0 and widget.result["n"] == 0
    np.testing.assert_allclose(widget.view.p_ticks.get_ydata(), mixes["milk_chocolate_2006"].probs)
    buttons["draw 10"].click()
    first = widget.result["draws"].copy()
    buttons["new bag"].click()
    assert widget.state.seed == 1 and widget.state.n == 0
    buttons["draw 10"].click()
    assert not np.array_equal(first, widget.result["draws"])


def test_draws_stop_at_the_cap():
    state = views.DrawState(0)
    state.draw(lesson.MAX_DRAWS + 10, "red")
    assert state.n == lesson.MAX_DRAWS and len(state.guesses) == lesson.MAX_DRAWS


def test_hidden_bags_are_seeded_random_mixes_not_the_rows_of_the_table(mixes):
    np.testing.assert_array_equal(lesson.hidden_bag(7), lesson.hidden_bag(7))
    bags = np.array([lesson.hidden_bag(s) for s in range(200)])
    np.testing.assert_allclose(bags.sum(axis=1), 1)
    assert len({tuple(b.round(6)) for b in bags}) == 200
    for mix in mixes.values():
        assert np.abs(bags - mix.probs).max(axis=1).min() > 0.02   # no hidden bag is one of the four mixes
    assert bags.std(axis=0).mean() > 0.1                           # they differ from each other a lot
    with pytest.raises(ValueError, match="seed must be a whole number"):
        lesson.hidden_bag(-1)


def test_the_demo_round_and_the_exercise_never_use_game_2s_bags():
    game2 = [lesson.hidden_bag(s) for s in range(50)]          # "new hidden bag" counts up from 0
    for seed in (lesson.DEMO_SEED, lesson.FUTURE_SEED):
        assert seed >= 50
        assert all(not np.allclose(lesson.hidden_bag(seed), b) for b in game2)
    assert not np.allclose(lesson.hidden_bag(lesson.DEMO_SEED), lesson.hidden_bag(lesson.FUTURE_SEED))


def test_hidden_game_keeps_the_secret():
    r = lesson.hidden_game(seed=3, n_draws=20)
    assert not {"p", "bag", "cross_entropy", "kl", "freqs_score", "smoothed_score", "uniform_score"} & set(r)
    assert "hidden until you press reveal" in lesson.describe_hidden(r)
    shown = lesson.hidden_game(seed=3, n_draws=20, reveal=True)
    p = lesson.hidden_bag(3)
    np.testing.assert_allclose(shown["p"], p)
    assert shown["cross_entropy"] == pytest.approx(losses.cross_entropy_probs(p, np.full(6, 1 / 6)))
    assert shown["uniform_score"] == pytest.approx(math.log(6) + 0.0 * shown["entropy"])
    assert shown["cross_entropy"] == pytest.approx(shown["entropy"] + shown["kl"])
    assert shown["best_seen"] <= shown["seen"]
    text = lesson.describe_hidden(shown)
    assert "your score" in text and "add-one" in text and "hidden bag no. 3" in text


def test_hidden_game_two_truths():
    """On the candies seen the frequencies win; on future ones add-one smoothing can win (∞ for the raw ones)."""
    r = lesson.hidden_game(seed=lesson.DEMO_SEED, n_draws=20, reveal=True)
    draws = lesson.draw_colours(r["p"], 20, seed=lesson.DEMO_SEED)
    np.testing.assert_array_equal(np.bincount(draws, minlength=6), r["counts"])
    assert r["best_seen"] == pytest.approx(lesson.surprises(r["freqs"], draws).mean())
    smoothed = lesson.add_one(r["counts"])
    assert lesson.surprises(smoothed, draws).mean() > r["best_seen"]     # worse on the candies seen ...
    assert math.isinf(r["freqs_score"]) and r["smoothed_score"] < r["uniform_score"]   # ... better on future ones
    assert "never came out" in lesson.describe_hidden(r)


def test_add_one():
    np.testing.assert_allclose(lesson.add_one([3, 0, 2, 1, 4, 0]), np.array([4, 1, 3, 2, 5, 1]) / 16)
    c = np.array([5, 0, 7, 1, 2, 5])
    eps = 6 / (c.sum() + 6)   # add-one is the frequencies mixed with the uniform belief
    np.testing.assert_allclose(lesson.add_one(c), lesson.smooth(c / c.sum(), eps))
    for bad in ([1, 2, 3], [1, -1, 0, 0, 0, 0], [0.5, 1, 1, 1, 1, 1]):
        with pytest.raises(ValueError, match="counts must be 6 whole numbers"):
            lesson.add_one(bad)


def test_hidden_lesson():
    widget = lesson.hidden_widget()
    buttons = find_buttons(widget)
    assert widget.result["n"] == 20 and not widget.view.p_ticks.get_visible()
    assert [t.get_text() for t in widget.view.score_texts][2:] == ["?"] * 4   # the future scores are hidden
    before = widget.live.image.value
    buttons["draw 10"].click()
    assert widget.result["n"] == 30 and widget.live.image.value != before
    widget.controls["reveal"].value = True
    assert widget.view.p_ticks.get_visible()
    assert "?" not in [t.get_text() for t in widget.view.score_texts]
    buttons["new hidden bag"].click()
    assert widget.controls["reveal"].value is False and widget.state.seed == 1
    assert widget.result["n"] == 20


def test_infinite_scores_are_drawn_at_the_edge_with_their_sign():
    view = views.HiddenView()
    r = lesson.hidden_game(seed=lesson.DEMO_SEED, n_draws=20, reveal=True)
    view.update(r)
    bar = view.score_bars[views.HiddenView.KEYS.index("freqs_score")]
    text = view.score_texts[views.HiddenView.KEYS.index("freqs_score")]
    assert bar.get_width() == view.low + views.HiddenView.ZOOM and text.get_text() == "∞"


def test_score_panel_zooms_in_near_the_lowest_score():
    view = views.HiddenView()
    r = lesson.hidden_game(seed=lesson.DEMO_SEED, n_draws=20, reveal=True)
    view.update(r)
    finite = [r[k] for k in views.HiddenView.KEYS if math.isfinite(r[k])]
    lo, hi = view.right.get_xlim()
    assert min(finite) - views.HiddenView.BELOW - 0.1 <= lo <= min(finite) - views.HiddenView.BELOW
    assert lo > 1.0                                   # zoomed: the axis does not start at 0
    # the gap between the add-one score and the floor takes a visible share of the band
    gap = r["smoothed_score"] - r["entropy"]
    assert gap / (hi - lo) > 0.015
    floor_bar = view.score_bars[views.HiddenView.KEYS.index("entropy")]
    assert floor_bar.get_width() == pytest.approx(r["entropy"])


def test_bag_summary_matches_the_brief(mixes):
    s = lesson.bag_summary(mixes["milk_chocolate_2006"])
    assert s["entropy"] == pytest.approx(1.7633, abs=5e-5)
    assert s["ce_uniform"] == pytest.approx(math.log(6))
    assert s["kl_uniform"] == pytest.approx(0.0284, abs=5e-5)
    invented = lesson.bag_summary(mixes["invented_bag"])
    assert invented["kl_uniform"] == pytest.approx(0.2473, abs=5e-5)       # the bag game 1 starts on
    assert math.isinf(invented["surprise"][data.COLOURS.index("orange")])


def test_game_1_starts_on_a_bag_whose_gap_shows(mixes):
    widget = lesson.belief_widget(mixes=mixes)
    assert widget.controls["bag"].value == "invented_bag"
    r = widget.result
    assert r["kl"] > 0.2 and lesson.rating(r["kl"]) == "cold"   # a uniform start is not "very close"
    lo, hi = widget.view.right.get_ylim()
    assert hi - lo == pytest.approx(views.BeliefView.ZOOM)
    assert lo < r["entropy"] < r["cross_entropy"] < hi           # floor, gap and H(p, q) inside the zoom
    assert (r["cross_entropy"] - r["entropy"]) / (hi - lo) > 0.2  # the gap is a fifth of the panel or more
    gap = widget.view.gap.get_ydata()
    assert gap[0] == pytest.approx(r["entropy"]) and gap[1] == pytest.approx(r["cross_entropy"])


def test_zoom_panel_clips_an_off_scale_belief_and_says_so(mixes):
    widget = lesson.belief_widget(mixes=mixes)
    widget.controls["red"].value = 40
    widget.controls["blue"].value = 1
    r = widget.result
    hi = widget.view.right.get_ylim()[1]
    assert r["cross_entropy"] > hi
    assert widget.view.ce_line.get_ydata()[0] < hi
    assert "above this band" in widget.view.off_text.get_text()


def test_rating():
    assert lesson.rating(0.0) == "spot on: your belief is the bag"
    assert lesson.rating(0.0284) == "very close" and lesson.rating(0.2) == "cold" and lesson.rating(3.0) == "ice cold"
    assert lesson.rating(math.inf).startswith("out")


def test_fmt():
    assert lesson.fmt(math.inf) == "∞" and lesson.fmt(1.23456) == "1.2346"


def test_belief_value_labels_sit_above_bar_and_tick(mixes):
    """Each bar's value label is above both the belief bar and the bag's tick, so they never overlap."""
    r = lesson.belief_game(1, 1, 1, 1, 20, 1, bag="milk_chocolate_2006", seed=0, n_draws=5, mixes=mixes)
    view = views.BeliefView()
    view.update(r)
    for text, q, p in zip(view.q_bars.texts, r["q"], r["p"]):
        assert text.get_position()[1] > max(q, p)
        assert text.get_position()[1] < 1.0  # and below the title


# --- the checkers -------------------------------------------------------------------------

MIXES = data.load_mixes()
LONG_RUN = losses.cross_entropy_probs(MIXES["invented_bag"].probs, MIXES["plain_1997"].probs)
PEANUT = MIXES["peanut_2006"].as_dict()
TWO_BITS = -math.log2(PEANUT["red"]) - math.log2(PEANUT["blue"])
FUTURE = lesson.hidden_game(seed=lesson.FUTURE_SEED, n_draws=30, reveal=True)
COUNTS = FUTURE["counts"]
FLOOR_COUNTS = [3, 0, 2, 1, 4, 0]
FLOOR_BEST = [0.9 * k / 10 if k else 0.05 for k in FLOOR_COUNTS]     # the unseen at the floor, the rest by count
FLOOR_RENORMALISED = np.where(np.array(FLOOR_COUNTS) > 0, np.array(FLOOR_COUNTS) / 10, 0.05) / 1.1


def test_floor_belief_is_the_best_the_rule_allows():
    """No belief that keeps every colour >= 0.05 is less surprised by the ten draws than the checker's optimum."""
    c = np.array(FLOOR_COUNTS, dtype=float)
    best = -(c * np.log(FLOOR_BEST)).sum() / 10
    rivals = 0.05 + 0.7 * np.random.default_rng(0).dirichlet(np.ones(6), size=20_000)   # [20000, 6], each >= 0.05
    assert (-(np.log(rivals) * c).sum(axis=1) / 10 >= best - 1e-12).all()


def test_long_run_is_where_a_long_game_settles():
    r = lesson.belief_game(*MIXES["plain_1997"].probs, bag="invented_bag", seed=7, n_draws=200_000, mixes=MIXES)
    assert r["running_mean"][-1] == pytest.approx(LONG_RUN, abs=0.01)
    assert r["cross_entropy"] == pytest.approx(LONG_RUN)


def test_future_exercise_bag_makes_the_point():
    assert (COUNTS == 0).sum() >= 1 and math.isinf(FUTURE["freqs_score"])     # a colour unseen, yet in the bag
    assert FUTURE["smoothed_score"] < FUTURE["uniform_score"] - 0.1
    for eps in (0.02, 0.05, 0.1, 0.2, 0.3, 0.5):   # any sensible smoothing passes, not one magic value
        q = lesson.smooth(COUNTS / COUNTS.sum(), eps)
        assert lesson.check_future_belief(q).status == "correct"


CHECKER_TABLES = [
    Table(lesson.check_long_run, kwargs={"mixes": MIXES},
          right=number_forms(LONG_RUN),
          mistakes={"H(q, p): the arguments are swapped": math.inf,
                    "floor H(p)": losses.entropy(MIXES["invented_bag"].probs),
                    "KL(p‖q), the gap only": losses.kl_divergence(MIXES["invented_bag"].probs, MIXES["plain_1997"].probs),
                    "ln 6, where the uniform belief settles": math.log(6),
                    "H(q), the entropy of your belief": losses.entropy(MIXES["plain_1997"].probs),
                    "that is in bits": LONG_RUN / math.log(2)},
          wrong=[2.0, LONG_RUN + 0.1, losses.cross_entropy_probs(MIXES["invented_bag"].probs, MIXES["peanut_2006"].probs)]),
    Table(lesson.check_surprise_bits, kwargs={"mixes": MIXES},
          right=number_forms(TWO_BITS),
          mistakes={"that is in nats": TWO_BITS * math.log(2),
                    "the mean per candy": TWO_BITS / 2,
                    "the probability of the candies": PEANUT["red"] * PEANUT["blue"],
                    "log base 10": TWO_BITS * math.log(2) / math.log(10),
                    "your guess does not enter the surprise": -2 * math.log2(PEANUT["blue"]),
                    "a candy you guessed right costs surprise too": -math.log2(PEANUT["red"])},
          wrong=[-TWO_BITS, 1 - PEANUT["red"] + 1 - PEANUT["blue"], -math.log2(PEANUT["red"] + PEANUT["blue"]), 5.0]),
    Table(lesson.check_future_belief,
          right=[*sequence_forms(lesson.add_one(COUNTS)), lesson.smooth(COUNTS / 30, 0.2),
                 torch.tensor(lesson.add_one(COUNTS))],
          mistakes={"those are the raw frequencies": COUNTS / 30,
                    "the uniform belief ignores the candies": np.full(6, 1 / 6),
                    "those are counts": COUNTS.astype(float),
                    "those are percentages": COUNTS / 30 * 100,
                    "sums to": lesson.add_one(COUNTS) * 0.9,
                    "exactly 0": np.where(COUNTS == COUNTS.max(), 0.0, (COUNTS + 1) / (COUNTS + 1)[COUNTS != COUNTS.max()].sum()),
                    "only a sliver of belief": lesson.smooth(COUNTS / 30, 0.001),
                    "close to the uniform belief: follow the counts more": lesson.smooth(COUNTS / 30, 0.9),
                    "no better than the uniform belief": lesson.smooth(np.eye(6)[int(np.argmax(COUNTS))], 0.5)},
          wrong=[lesson.smooth(COUNTS / 30, 1e-9), np.eye(6)[int(np.argmax(COUNTS))], [0.2] * 5, "uniform"]),
    Table(lesson.check_mild_vs_confident,
          right=number_forms(math.log(1e-4) / math.log(0.5)) + [math.log2(1e4)],
          mistakes={"you compared probabilities": 0.5 / 1e-4, "you compared 1 − q": (1 - 1e-4) / 0.5},
          wrong=[math.log(1e4), 1e4, 2.0, 9.2103 / 0.5]),
    Table(lesson.check_floor_belief, args=(FLOOR_COUNTS,),
          right=[*sequence_forms(FLOOR_BEST), torch.tensor(FLOOR_BEST), [0.27, 0.05, 0.18, 0.09, 0.36, 0.05]],
          mistakes={"plain frequencies": np.array(FLOOR_COUNTS) / 10,
                    "add-one smoothing": (np.array(FLOOR_COUNTS) + 1) / 16,
                    "never came out": [0.24, 0.1, 0.16, 0.08, 0.32, 0.1],
                    "dividing by the new total pulls it back under the floor": FLOOR_RENORMALISED,
                    "in proportion to their counts": 0.7 * np.array(FLOOR_COUNTS) / 10 + 0.3 / 6,   # mixed with uniform
                    "those are counts": FLOOR_COUNTS},
          wrong=[[1 / 6] * 6, [0.3, 0.05, 0.2, 0.1, 0.4], [0.36, 0.05, 0.09, 0.18, 0.27, 0.05],
                 [0.2, 0.05, 0.2, 0.1, 0.4, 0.05], [0.225, 0.05, 0.225, 0.225, 0.225, 0.05]]),
]


def test_game_1_first_image_is_a_full_redraw(mixes):
    """The zoom's limits follow the bag's floor: the first image must not reuse a background drawn before."""
    widget = lesson.belief_widget(mixes=mixes)
    first = np.asarray(widget.live.canvas.buffer_rgba()).copy()
    widget.live.invalidate()
    widget.live.render()
    np.testing.assert_array_equal(first, np.asarray(widget.live.canvas.buffer_rgba()))


def test_floor_belief_a_near_miss_is_close_not_correct():
    near = [0.26, 0.05, 0.18, 0.1, 0.36, 0.05]   # 0.01 moved from red to green: 0.0008 nats above the best
    assert lesson.check_floor_belief(near, FLOOR_COUNTS).status == "close"
    assert lesson.check_floor_belief(..., FLOOR_COUNTS).status == "unanswered"


def test_game_1_dashed_cross_entropy_line_is_drawn_over_the_running_mean():
    """With a uniform belief the running mean sits on H(p, q) from the first candy: the dashed line must stay visible."""
    view = views.BeliefView()
    assert view.ce_line.get_zorder() > view.mean_line.get_zorder()


def test_the_lessons_demo_round_never_shows_game_2s_bag():
    """Section 9's demo plays a hidden bag of its own: it must not give away the bag game 2 deals (seed 0)."""
    assert not np.allclose(lesson.hidden_bag(lesson.DEMO_SEED), lesson.hidden_bag(0))
