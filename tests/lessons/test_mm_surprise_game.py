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
    p = mixes["notes_bag"].probs
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
    r = lesson.belief_game(blue=0, seed=0, n_draws=30, mixes=mixes)
    blue = data.COLOURS.index("blue")
    first = int(np.argmax(r["draws"] == blue))
    assert r["draws"][first] == blue
    assert np.all(np.isfinite(r["running_mean"][:first])) and np.all(np.isinf(r["running_mean"][first:]))
    assert math.isinf(r["cross_entropy"]) and math.isinf(r["kl"]) and math.isfinite(r["entropy"])
    text = lesson.describe_belief(r)
    assert "∞" in text and "nan" not in text and "inf " not in text


def test_zero_belief_for_an_absent_colour_is_fine(mixes):
    r = lesson.belief_game(orange=0, bag="notes_bag", seed=0, n_draws=200, mixes=mixes)
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
    assert "bits" in lesson.describe_belief(r)


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
    assert widget.view.right.get_ylim()[1] == pytest.approx(views.BeliefView.Y_TOP / math.log(2))
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
    widget.controls["bag"].value = "notes_bag"
    assert widget.state.n == 0 and widget.result["n"] == 0
    np.testing.assert_allclose(widget.view.p_ticks.get_ydata(), mixes["notes_bag"].probs)
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


def test_hidden_bag_is_seeded(mixes):
    assert lesson.hidden_bag(7, mixes) == lesson.hidden_bag(7, mixes)
    assert len({lesson.hidden_bag(s, mixes) for s in range(40)}) == len(mixes)


def test_hidden_game_keeps_the_secret(mixes):
    r = lesson.hidden_game(seed=3, n_draws=20, mixes=mixes)
    assert not {"p", "bag", "cross_entropy", "kl"} & set(r)
    assert "hidden until you press reveal" in lesson.describe_hidden(r)
    shown = lesson.hidden_game(seed=3, n_draws=20, reveal=True, mixes=mixes)
    p = mixes[lesson.hidden_bag(3, mixes)].probs
    np.testing.assert_allclose(shown["p"], p)
    assert shown["cross_entropy"] == pytest.approx(losses.cross_entropy_probs(p, np.full(6, 1 / 6)))
    assert shown["cross_entropy"] == pytest.approx(shown["entropy"] + shown["kl"])
    assert shown["best_seen"] <= shown["seen"]
    assert "your score" in lesson.describe_hidden(shown)


def test_hidden_lesson(mixes):
    widget = lesson.hidden_widget(mixes=mixes)
    buttons = find_buttons(widget)
    assert widget.result["n"] == 20 and not widget.view.p_ticks.get_visible()
    before = widget.live.image.value
    buttons["draw 10"].click()
    assert widget.result["n"] == 30 and widget.live.image.value != before
    widget.controls["reveal"].value = True
    assert widget.view.p_ticks.get_visible()
    buttons["new hidden bag"].click()
    assert widget.controls["reveal"].value is False and widget.state.seed == 1
    assert widget.result["n"] == 20


def test_bag_summary_matches_the_brief(mixes):
    s = lesson.bag_summary(mixes["milk_chocolate_2006"])
    assert s["entropy"] == pytest.approx(1.7633, abs=5e-5)
    assert s["ce_uniform"] == pytest.approx(math.log(6))
    assert s["kl_uniform"] == pytest.approx(0.0284, abs=5e-5)
    notes = lesson.bag_summary(mixes["notes_bag"])
    assert math.isinf(notes["surprise"][data.COLOURS.index("orange")])


def test_rating():
    assert lesson.rating(0.0) == "spot on: your belief is the bag"
    assert lesson.rating(0.0284) == "very close" and lesson.rating(0.2) == "cold" and lesson.rating(3.0) == "ice cold"
    assert lesson.rating(math.inf).startswith("out")


def test_fmt():
    assert lesson.fmt(math.inf) == "∞" and lesson.fmt(1.23456) == "1.2346"


def test_check_best_belief(mixes):
    p = mixes["peanut_2006"].probs
    assert lesson.check_best_belief(p).status == "correct"
    assert lesson.check_best_belief(...).status == "unanswered"
    assert "percentages" in lesson.check_best_belief(p * 100).detail
    one_hot = np.eye(6)[int(np.argmax(p))]
    assert "most common colour" in lesson.check_best_belief(one_hot).detail
    assert "uniform" in lesson.check_best_belief(np.full(6, 1 / 6)).detail
    assert lesson.check_best_belief("blue").status == "wrong"


def test_check_surprise_bits():
    assert lesson.check_surprise_bits(-math.log2(0.1)).status == "correct"
    assert lesson.check_surprise_bits(None).status == "unanswered"
    assert "nats" in lesson.check_surprise_bits(-math.log(0.1)).detail
    assert "guess does not enter" in lesson.check_surprise_bits(-math.log2(0.3)).detail
    assert "minus sign" in lesson.check_surprise_bits(math.log2(0.1)).detail


def test_check_mild_vs_confident():
    assert lesson.check_mild_vs_confident(math.log(1e-4) / math.log(0.5)).status == "correct"
    assert lesson.check_mild_vs_confident(math.log2(1e4)).status == "correct"  # the base cancels
    assert "probabilities" in lesson.check_mild_vs_confident(5000).detail
    assert lesson.check_mild_vs_confident(...).status == "unanswered"


def test_check_mle():
    counts = [3, 0, 2, 1, 4, 0]
    assert lesson.check_mle_belief(np.array(counts) / 10, counts).status == "correct"
    assert "counts" in lesson.check_mle_belief(counts, counts).detail
    assert "smoothing" in lesson.check_mle_belief((np.array(counts) + 1) / 16, counts).detail
    assert lesson.check_mle_belief(..., counts).status == "unanswered"


def test_belief_value_labels_sit_above_bar_and_tick(mixes):
    """Each bar's value label is above both the belief bar and the bag's tick, so they never overlap."""
    r = lesson.belief_game(1, 1, 1, 1, 20, 1, bag="milk_chocolate_2006", seed=0, n_draws=5, mixes=mixes)
    view = views.BeliefView()
    view.update(r)
    for text, q, p in zip(view.q_bars.texts, r["q"], r["p"]):
        assert text.get_position()[1] > max(q, p)
        assert text.get_position()[1] < 1.0  # and below the title
