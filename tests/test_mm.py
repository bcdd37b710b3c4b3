"""Tests for helpers.mm: the M&M mixes, the surprise game's pure functions, views, checkers."""
from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import losses, mm

ROOT = Path(__file__).resolve().parent.parent
HEADER = "bag,label,red,orange,yellow,green,blue,brown,source\n"
GOOD_ROW = "a,bag a,10,20,30,10,20,10,test\n"

# the brief's table (COURSE_BRIEF.md section 3), typed in by hand, in percent
BRIEF = {
    "milk_chocolate_2006": dict(blue=24, orange=20, green=16, yellow=14, red=13, brown=13),
    "peanut_2006": dict(blue=23, orange=23, green=15, yellow=15, red=12, brown=12),
    "plain_1997": dict(brown=30, yellow=20, red=20, orange=10, green=10, blue=10),
    "notes_bag": dict(red=10, green=20, blue=30, yellow=25, brown=15, orange=0),
}


def write_csv(tmp_path, text: str) -> Path:
    path = tmp_path / "mixes.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mixes():
    return mm.load_mixes()


# --- the data file ---------------------------------------------------------------------

def test_csv_sha256_matches_readme():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## mm_mixes.csv", 1)[1].split("\n## ", 1)[0]
    recorded = re.search(r"sha256[^`]*`([0-9a-f]{64})`", section).group(1)
    assert hashlib.sha256(mm.DATA.read_bytes()).hexdigest() == recorded


def test_mixes_match_the_brief(mixes):
    assert set(mixes) == set(BRIEF)
    for bag, percents in BRIEF.items():
        want = np.array([percents[c] for c in mm.COLOURS]) / 100
        np.testing.assert_allclose(mixes[bag].probs, want)
        assert mixes[bag].as_dict() == pytest.approx(dict(zip(mm.COLOURS, want)))
        assert mixes[bag].source


def test_notes_bag_has_no_orange(mixes):
    assert mixes["notes_bag"].as_dict()["orange"] == 0


@pytest.mark.parametrize("text, match", [
    ("bag,label,red,orange,yellow,green,brown,source\na,a,10,20,30,10,30,x\n", r"missing column.*'blue'"),
    (HEADER + "a,bag a,10,20,30,10,20,11,x\n", r"'a' sums to 101 percent.*sum to 100"),
    (HEADER + "a,bag a,0.1,0.2,0.3,0.1,0.2,0.1,x\n", r"sums to 1 percent.*sum to 100"),
    (HEADER + "a,bag a,-10,40,30,10,20,10,x\n", r"negative percentage red=-10"),
    (HEADER + GOOD_ROW + GOOD_ROW, r"duplicate bag name 'a'"),
    (HEADER + "a,bag a,ten,20,30,10,20,10,x\n", r"red='ten'; expected a number"),
    (HEADER + "a,bag a,nan,20,30,10,20,10,x\n", r"expected a finite percentage"),
    (HEADER + "a,bag a,10,20,30,10,20,,x\n", r"brown=''; expected a number"),
    (HEADER + ",bag a,10,20,30,10,20,10,x\n", r"empty bag name"),
    (HEADER, r"no bags"),
    ("bag,label,red,orange,yellow,green,blue,brown,purple\na,a,10,20,30,10,20,10,0\n", r"unexpected column.*purple"),
])
def test_bad_csv_gives_clear_error(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        mm.load_mixes(write_csv(tmp_path, text))


def test_good_csv_loads(tmp_path):
    mixes = mm.load_mixes(write_csv(tmp_path, HEADER + GOOD_ROW))
    np.testing.assert_allclose(mixes["a"].probs, [0.1, 0.2, 0.3, 0.1, 0.2, 0.1])
    assert mixes["a"].label == "bag a"


def test_unknown_bag_name(mixes):
    with pytest.raises(ValueError, match=r"unknown bag 'mint'; expected one of \['notes_bag'"):
        mm.get_mix("mint", mixes)
    with pytest.raises(ValueError, match="unknown bag"):
        mm.belief_game(bag="mint", mixes=mixes)


# --- pure functions ------------------------------------------------------------------------

def test_normalise():
    q = mm.normalise([1, 2, 3, 0, 2, 2])
    np.testing.assert_allclose(q, np.array([1, 2, 3, 0, 2, 2]) / 10)
    np.testing.assert_allclose(mm.normalise([5] * 6), np.full(6, 1 / 6))
    np.testing.assert_allclose(mm.normalise(np.arange(1, 7) * 7.5), mm.normalise(np.arange(1, 7)))


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
        mm.normalise(weights)


def test_draws_by_seed(mixes):
    p = mixes["milk_chocolate_2006"].probs
    a, b = mm.draw_colours(p, 50, seed=3), mm.draw_colours(p, 50, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mm.draw_colours(p, 50, seed=4))
    # the same stream as numpy's own sampler: an independent check of the inverse CDF
    np.testing.assert_array_equal(a, np.random.default_rng(3).choice(6, size=50, p=p))


def test_draws_are_prefixes(mixes):
    p = mixes["peanut_2006"].probs
    long = mm.draw_colours(p, 111, seed=0)
    for n in (0, 1, 10, 110):
        np.testing.assert_array_equal(mm.draw_colours(p, n, seed=0), long[:n])


def test_draws_follow_p_and_skip_zero(mixes):
    p = mixes["notes_bag"].probs
    draws = mm.draw_colours(p, 200_000, seed=1)
    assert draws.min() >= 0 and draws.max() < 6
    assert not np.any(draws == mm.COLOURS.index("orange"))
    np.testing.assert_allclose(np.bincount(draws, minlength=6) / draws.size, p, atol=0.005)
    # a trailing zero-probability colour is never drawn either
    assert set(mm.draw_colours([0.5, 0.5, 0, 0, 0, 0], 1000, seed=0)) == {0, 1}


@pytest.mark.parametrize("n", [-1, 2.5, True, "3"])
def test_draw_bad_n(n):
    with pytest.raises(ValueError, match="whole number of draws"):
        mm.draw_colours(np.full(6, 1 / 6), n, seed=0)


def test_draw_bad_p():
    with pytest.raises(ValueError, match="sum to 1"):
        mm.draw_colours([0.5, 0.6, 0, 0, 0, 0], 3, seed=0)


def test_surprises_are_minus_log_q():
    q = np.array([0.1, 0, 0.25, 0.2, 0.3, 0.15])
    table = mm.surprise_table(q)
    assert table[1] == math.inf
    np.testing.assert_allclose(table[[0, 2, 3, 4, 5]], -np.log(q[[0, 2, 3, 4, 5]]))
    np.testing.assert_allclose(mm.surprises(q, [4, 4, 0]), [-math.log(0.3)] * 2 + [-math.log(0.1)])


def test_running_mean():
    v = np.array([1.0, 3.0, 2.0, 6.0])
    np.testing.assert_allclose(mm.running_mean(v), [np.mean(v[:k]) for k in range(1, 5)])
    assert mm.running_mean([]).size == 0


def test_running_mean_with_infinity_is_never_nan():
    out = mm.running_mean([1.0, math.inf, 0.5, 2.0])
    assert out[0] == 1.0 and np.all(np.isinf(out[1:]))
    assert not np.any(np.isnan(out))


@pytest.mark.parametrize("values, match", [([1.0, float("nan")], ">= 0"), ([1.0, -1.0], ">= 0"),
                                           ([[1.0]], "1-D")])
def test_running_mean_bad_input(values, match):
    with pytest.raises(ValueError, match=match):
        mm.running_mean(values)


def test_kl_identity():
    rng = np.random.default_rng(0)
    for _ in range(50):
        p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        s = mm.scores(p, q)
        assert s["cross_entropy"] == pytest.approx(s["entropy"] + s["kl"], abs=1e-12)
        assert s["kl"] >= 0
        assert mm.scores(p, p)["kl"] == pytest.approx(0, abs=1e-12)


def test_mean_surprise_heads_for_cross_entropy(mixes):
    p = mixes["milk_chocolate_2006"].probs
    game = mm.play([1, 2, 3, 4, 5, 6], p, 200_000, seed=0)
    assert game["running_mean"][-1] == pytest.approx(game["cross_entropy"], abs=0.01)
    assert game["cross_entropy"] == pytest.approx(-(p * np.log(np.arange(1, 7) / 21)).sum())


def test_game_mean_equals_torch_cross_entropy(mixes):
    game = mm.play([3, 1, 4, 1, 5, 9], mixes["plain_1997"].probs, 300, seed=5)
    n = len(game["draws"])
    logits = torch.log(torch.tensor(game["q"])).expand(n, 6)  # [N, C]
    target = torch.tensor(game["draws"])  # [N]
    assert game["running_mean"][-1] == pytest.approx(F.cross_entropy(logits, target).item(), abs=1e-9)
    assert game["running_mean"][-1] == pytest.approx(losses.cross_entropy(logits, target), abs=1e-9)


def test_zero_probability_gives_infinity_not_nan(mixes):
    r = mm.belief_game(blue=0, seed=0, n_draws=30, mixes=mixes)
    blue = mm.COLOURS.index("blue")
    first = int(np.argmax(r["draws"] == blue))
    assert r["draws"][first] == blue
    assert np.all(np.isfinite(r["running_mean"][:first])) and np.all(np.isinf(r["running_mean"][first:]))
    assert math.isinf(r["cross_entropy"]) and math.isinf(r["kl"]) and math.isfinite(r["entropy"])
    text = mm.describe_belief(r)
    assert "∞" in text and "nan" not in text and "inf " not in text


def test_zero_belief_for_an_absent_colour_is_fine(mixes):
    r = mm.belief_game(orange=0, bag="notes_bag", seed=0, n_draws=200, mixes=mixes)
    assert math.isfinite(r["running_mean"][-1]) and math.isfinite(r["cross_entropy"])


def test_smooth():
    q = np.array([0.5, 0.5, 0, 0, 0, 0])
    s = mm.smooth(q, 0.06)
    assert s.sum() == pytest.approx(1) and s.min() == pytest.approx(0.01)
    assert math.isfinite(losses.surprise(s, 3))
    np.testing.assert_allclose(mm.smooth(q, 0), q)
    with pytest.raises(ValueError, match=r"eps must be in \[0, 1\]"):
        mm.smooth(q, 1.5)


def test_frequencies_are_the_maximum_likelihood_belief():
    draws = mm.draw_colours(np.full(6, 1 / 6), 40, seed=2)
    freqs = mm.frequencies(draws)
    best = mm.surprises(freqs, draws).mean()
    rng = np.random.default_rng(0)
    for _ in range(200):
        other = rng.dirichlet(np.ones(6))
        assert mm.surprises(other, draws).mean() >= best
    with pytest.raises(ValueError, match="no draws yet"):
        mm.frequencies([])


# --- game 1 ------------------------------------------------------------------------------

def test_guess_changes_nothing_but_hits(mixes):
    kw = dict(red=2, orange=5, yellow=1, green=3, blue=8, brown=1, seed=4, n_draws=50, mixes=mixes)
    a = mm.belief_game(guess="red", guesses=["blue"] * 50, **kw)
    b = mm.belief_game(guess="green", guesses=["red"] * 50, **kw)
    np.testing.assert_array_equal(a["surprises"], b["surprises"])
    assert a["running_mean"][-1] == b["running_mean"][-1] and a["cross_entropy"] == b["cross_entropy"]
    assert a["hits"] == int(np.sum(a["draws"] == mm.COLOURS.index("blue")))
    assert b["hits"] == int(np.sum(b["draws"] == mm.COLOURS.index("red")))
    c = mm.belief_game(guess="red", guesses=["blue"] * 50, **{**kw, "blue": 1})
    assert not np.array_equal(a["surprises"], c["surprises"])  # the belief does change it


def test_belief_game_units(mixes):
    r = mm.belief_game(units="bits", n_draws=5, mixes=mixes)
    assert r["scale"] == pytest.approx(1 / math.log(2))
    assert "bits" in mm.describe_belief(r)


@pytest.mark.parametrize("kw, match", [
    (dict(units="joules"), "unknown units"),
    (dict(guess="purple"), "unknown colour 'purple'"),
    (dict(n_draws=3, guesses=["red"]), "1 guesses for 3 draws"),
    (dict(red=-1), "weights must be >= 0"),
    (dict(red=0, orange=0, yellow=0, green=0, blue=0, brown=0), "all weights are 0"),
])
def test_belief_game_bad_input(mixes, kw, match):
    with pytest.raises(ValueError, match=match):
        mm.belief_game(mixes=mixes, **kw)


def find_buttons(widget):
    import ipywidgets as widgets
    out = {}
    for child in getattr(widget, "children", ()):
        if isinstance(child, widgets.Button):
            out[child.description] = child
        out.update(find_buttons(child))
    return out


def test_belief_lesson_buttons_change_the_image(mixes):
    lesson = mm.belief_lesson(mixes=mixes)
    buttons = find_buttons(lesson)  # the buttons live inside the Lesson (browser tests need that)
    assert {"draw 1", "draw 10", "draw 100", "new bag"} <= set(buttons)
    before = lesson.live.image.value
    buttons["draw 10"].click()
    assert lesson.state.n == 10 and lesson.result["n"] == 10
    assert lesson.live.image.value != before
    line = lesson.view.mean_line.get_ydata()
    np.testing.assert_allclose(line, lesson.result["running_mean"])
    buttons["draw 1"].click()
    assert len(lesson.view.mean_line.get_xdata()) == 11


def test_belief_lesson_slider_and_units(mixes):
    lesson = mm.belief_lesson(mixes=mixes)
    find_buttons(lesson)["draw 10"].click()
    before, image = lesson.result["running_mean"][-1], lesson.live.image.value
    lesson.controls["blue"].value = 30
    assert lesson.result["q"][mm.COLOURS.index("blue")] == pytest.approx(30 / 80)
    assert lesson.result["running_mean"][-1] != before and lesson.live.image.value != image
    lesson.controls["units"].value = "bits"
    assert lesson.view.right.get_ylim()[1] == pytest.approx(mm.BeliefView.Y_TOP / math.log(2))
    assert lesson.view.mean_line.get_ydata()[-1] == pytest.approx(lesson.result["running_mean"][-1] / math.log(2))


def test_belief_lesson_guess_does_not_move_the_picture(mixes):
    lesson = mm.belief_lesson(mixes=mixes)
    find_buttons(lesson)["draw 10"].click()
    line = lesson.view.mean_line.get_ydata().copy()
    lesson.controls["guess"].value = "red"
    np.testing.assert_array_equal(lesson.view.mean_line.get_ydata(), line)


def test_belief_lesson_bag_change_and_new_bag(mixes):
    lesson = mm.belief_lesson(mixes=mixes)
    buttons = find_buttons(lesson)
    buttons["draw 10"].click()
    lesson.controls["bag"].value = "notes_bag"
    assert lesson.state.n == 0 and lesson.result["n"] == 0
    np.testing.assert_allclose(lesson.view.p_ticks.get_ydata(), mixes["notes_bag"].probs)
    buttons["draw 10"].click()
    first = lesson.result["draws"].copy()
    buttons["new bag"].click()
    assert lesson.state.seed == 1 and lesson.state.n == 0
    buttons["draw 10"].click()
    assert not np.array_equal(first, lesson.result["draws"])


def test_draws_stop_at_the_cap():
    state = mm.DrawState(0)
    state.draw(mm.MAX_DRAWS + 10, "red")
    assert state.n == mm.MAX_DRAWS and len(state.guesses) == mm.MAX_DRAWS


# --- game 2 ------------------------------------------------------------------------------

def test_hidden_bag_is_seeded(mixes):
    assert mm.hidden_bag(7, mixes) == mm.hidden_bag(7, mixes)
    assert len({mm.hidden_bag(s, mixes) for s in range(40)}) == len(mixes)


def test_hidden_game_keeps_the_secret(mixes):
    r = mm.hidden_game(seed=3, n_draws=20, mixes=mixes)
    assert not {"p", "bag", "cross_entropy", "kl"} & set(r)
    assert "hidden until you press reveal" in mm.describe_hidden(r)
    shown = mm.hidden_game(seed=3, n_draws=20, reveal=True, mixes=mixes)
    p = mixes[mm.hidden_bag(3, mixes)].probs
    np.testing.assert_allclose(shown["p"], p)
    assert shown["cross_entropy"] == pytest.approx(losses.cross_entropy_probs(p, np.full(6, 1 / 6)))
    assert shown["cross_entropy"] == pytest.approx(shown["entropy"] + shown["kl"])
    assert shown["best_seen"] <= shown["seen"]
    assert "your score" in mm.describe_hidden(shown)


def test_hidden_lesson(mixes):
    lesson = mm.hidden_lesson(mixes=mixes)
    buttons = find_buttons(lesson)
    assert lesson.result["n"] == 20 and not lesson.view.p_ticks.get_visible()
    before = lesson.live.image.value
    buttons["draw 10"].click()
    assert lesson.result["n"] == 30 and lesson.live.image.value != before
    lesson.controls["reveal"].value = True
    assert lesson.view.p_ticks.get_visible()
    buttons["new hidden bag"].click()
    assert lesson.controls["reveal"].value is False and lesson.state.seed == 1
    assert lesson.result["n"] == 20


# --- the table --------------------------------------------------------------------------------

def test_bag_summary_matches_the_brief(mixes):
    s = mm.bag_summary(mixes["milk_chocolate_2006"])
    assert s["entropy"] == pytest.approx(1.7633, abs=5e-5)
    assert s["ce_uniform"] == pytest.approx(math.log(6))
    assert s["kl_uniform"] == pytest.approx(0.0284, abs=5e-5)
    notes = mm.bag_summary(mixes["notes_bag"])
    assert math.isinf(notes["surprise"][mm.COLOURS.index("orange")])


def test_rating():
    assert mm.rating(0.0) == "spot on: your belief is the bag"
    assert mm.rating(0.0284) == "very close" and mm.rating(0.2) == "cold" and mm.rating(3.0) == "ice cold"
    assert mm.rating(math.inf).startswith("out")


def test_fmt():
    assert mm.fmt(math.inf) == "∞" and mm.fmt(1.23456) == "1.2346"


# --- checkers ---------------------------------------------------------------------------------

def test_check_best_belief(mixes):
    p = mixes["peanut_2006"].probs
    assert mm.check_best_belief(p).status == "correct"
    assert mm.check_best_belief(...).status == "unanswered"
    assert "percentages" in mm.check_best_belief(p * 100).detail
    one_hot = np.eye(6)[int(np.argmax(p))]
    assert "most common colour" in mm.check_best_belief(one_hot).detail
    assert "uniform" in mm.check_best_belief(np.full(6, 1 / 6)).detail
    assert mm.check_best_belief("blue").status == "wrong"


def test_check_surprise_bits():
    assert mm.check_surprise_bits(-math.log2(0.1)).status == "correct"
    assert mm.check_surprise_bits(None).status == "unanswered"
    assert "nats" in mm.check_surprise_bits(-math.log(0.1)).detail
    assert "guess does not enter" in mm.check_surprise_bits(-math.log2(0.3)).detail
    assert "minus sign" in mm.check_surprise_bits(math.log2(0.1)).detail


def test_check_mild_vs_confident():
    assert mm.check_mild_vs_confident(math.log(1e-4) / math.log(0.5)).status == "correct"
    assert mm.check_mild_vs_confident(math.log2(1e4)).status == "correct"  # the base cancels
    assert "probabilities" in mm.check_mild_vs_confident(5000).detail
    assert mm.check_mild_vs_confident(...).status == "unanswered"


def test_check_mle():
    counts = [3, 0, 2, 1, 4, 0]
    assert mm.check_mle(np.array(counts) / 10, counts).status == "correct"
    assert "counts" in mm.check_mle(counts, counts).detail
    assert "smoothing" in mm.check_mle((np.array(counts) + 1) / 16, counts).detail
    assert mm.check_mle(..., counts).status == "unanswered"


def test_belief_value_labels_sit_above_bar_and_tick(mixes):
    """Each bar's value label is above both the belief bar and the bag's tick, so they never overlap."""
    r = mm.belief_game(1, 1, 1, 1, 20, 1, bag="milk_chocolate_2006", seed=0, n_draws=5, mixes=mixes)
    view = mm.BeliefView()
    view.update(r)
    for text, q, p in zip(view.q_bars.texts, r["q"], r["p"]):
        assert text.get_position()[1] > max(q, p)
        assert text.get_position()[1] < 1.0  # and below the title
