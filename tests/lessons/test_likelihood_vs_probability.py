"""helpers.lessons.likelihood_vs_probability: the lesson's pure functions, views, widgets and checkers."""
import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from helpers.lessons import likelihood_vs_probability as lesson
from tests.checker_contract import Table, number_forms

FLIPS = "HHTHHTHHHTHTHHHH"


@pytest.mark.parametrize("n,theta", [(1, 0.5), (10, 0.3), (25, 0.93), (7, 0.0), (7, 1.0)])
def test_pmf_matches_torch_and_math_comb(n, theta):
    dist = torch.distributions.Binomial(total_count=n, probs=torch.tensor(theta, dtype=torch.float64))
    for k in range(n + 1):
        by_hand = math.comb(n, k) * theta ** k * (1 - theta) ** (n - k)
        assert lesson.binomial_pmf(k, n, theta) == pytest.approx(by_hand, abs=1e-12)
        if 0 < theta < 1:
            # torch goes through logits with a clamp, so it agrees to about 1e-7 relative ...
            torch_value = dist.log_prob(torch.tensor(float(k))).item()
            assert lesson.log_binomial_pmf(k, n, theta) == pytest.approx(torch_value, rel=1e-5)
            # ... and exact rational arithmetic pins the value down
            t = Fraction(theta).limit_denominator(1000)
            exact = math.log(math.comb(n, k) * t ** k * (1 - t) ** (n - k))
            assert lesson.log_binomial_pmf(k, n, theta) == pytest.approx(exact, rel=1e-12)


def test_certain_outcomes_at_the_edges():
    assert lesson.binomial_pmf(0, 5, 0.0) == 1.0 and lesson.binomial_pmf(5, 5, 1.0) == 1.0
    assert lesson.binomial_pmf(1, 5, 0.0) == 0.0 and lesson.log_binomial_pmf(1, 5, 0.0) == -math.inf


@pytest.mark.parametrize("n,theta", [(1, 0.2), (10, 0.3), (30, 0.77)])
def test_distribution_over_k_sums_to_one(n, theta):
    probs = lesson.distribution_over_k(theta, n)
    assert probs.shape == (n + 1,) and probs.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("k,n", [(0, 1), (3, 10), (14, 20), (30, 30)])
def test_likelihood_area_is_one_over_n_plus_one_not_one(k, n):
    curve = lesson.likelihood(lesson.THETA_GRID, k, n)
    # independent check: C(n, k) · Beta(k + 1, n - k + 1) = 1 / (n + 1)
    beta = math.exp(math.lgamma(k + 1) + math.lgamma(n - k + 1) - math.lgamma(n + 2))
    assert lesson.area(curve) == pytest.approx(math.comb(n, k) * beta, rel=1e-4)
    assert lesson.area(curve) == pytest.approx(1 / (n + 1), rel=1e-4)


def test_flips_to_counts():
    assert lesson.flips_to_counts("HHT H") == (3, 4)
    assert lesson.flips_to_counts([1, 0, 0, 1, 1]) == (3, 5)


@pytest.mark.parametrize("k,n", [(1, 4), (7, 10), (12, 20), (99, 100)])
def test_closed_form_mle_is_the_top_of_the_likelihood(k, n):
    assert lesson.mle_closed_form(k, n) == k / n
    grid = lesson.THETA_GRID
    assert grid[np.argmax(lesson.log_binomial_pmf(k, n, grid))] == pytest.approx(k / n, abs=1e-3)


def test_uniform_prior_posterior_is_rescaled_likelihood_and_beta():
    k, n = 12, 20
    post = lesson.posterior(k, n)
    assert lesson.area(post) == pytest.approx(1.0)
    np.testing.assert_allclose(post, (n + 1) * lesson.likelihood(lesson.THETA_GRID, k, n), rtol=1e-6)
    beta = torch.distributions.Beta(torch.tensor(k + 1.0), torch.tensor(n - k + 1.0))
    inner = torch.tensor(lesson.THETA_GRID[1:-1])
    np.testing.assert_allclose(post[1:-1], beta.log_prob(inner).exp().numpy(), rtol=1e-5)


def test_a_prior_moves_the_peak_less_as_data_grow():
    prior = lesson.THETA_GRID ** 4 * (1 - lesson.THETA_GRID) ** 4
    small = lesson.THETA_GRID[lesson.posterior(14, 20, prior=prior).argmax()]
    large = lesson.THETA_GRID[lesson.posterior(1400, 2000, prior=prior).argmax()]
    assert small == pytest.approx(18 / 28, abs=1e-3) and large == pytest.approx(1404 / 2008, abs=1e-3)
    assert abs(large - 0.7) < abs(small - 0.7)


def test_two_views_numbers_at_the_widget_start_where_theta_is_not_the_best():
    r = lesson.two_views()
    assert (r["theta"], r["n"], r["k"]) == (0.5, 20, 14) and r["theta"] != r["mle"]
    assert r["sum"] == pytest.approx(1.0) and r["area"] == pytest.approx(1 / 21, rel=1e-4)
    assert r["at_theta"] == pytest.approx(math.comb(20, 14) / 2 ** 20)
    assert r["probs"][14] == r["at_theta"] and r["mle"] == 0.7


def test_lesson_updates_in_place_and_k_follows_n():
    widget = lesson.two_views_widget()
    view = widget.view
    widget.controls["theta"].value = 0.8
    assert widget.result["theta"] == 0.8
    widget.controls["n"].value = 2           # k was 3: it must be clamped, not raise
    assert widget.controls["k"].value == 2 and widget.controls["k"].max == 2
    assert widget.result["n"] == 2 and widget.result["k"] == 2
    assert sum(bar.get_visible() for bar in view.bars) == 3        # k = 0, 1, 2
    assert all(bar.get_height() == 0 for bar in view.bars[3:])
    assert view.bars[2].get_facecolor() != view.bars[0].get_facecolor()  # the observed k stands out
    np.testing.assert_allclose(view.curve.get_ydata(), lesson.likelihood(lesson.THETA_GRID, 2, 2))


def test_check_which_is_which():
    right = {"a": "probability", "b": "likelihood", "c": "both", "d": "probability"}
    assert lesson.check_which_is_which(right).status == "correct"
    assert lesson.check_which_is_which({k.upper(): v.upper() for k, v in right.items()}).status == "correct"
    v = lesson.check_which_is_which(right | {"b": "probability"})
    assert v.status == "wrong" and "parameter θ varies" in v.detail
    v = lesson.check_which_is_which(right | {"d": "likelihood"})
    assert v.status == "wrong" and "needs a prior" in v.detail
    assert "missing c" in lesson.check_which_is_which({"a": "probability", "b": "likelihood", "d": "both"}).detail
    assert "not one of" in lesson.check_which_is_which(right | {"a": "chance"}).detail
    assert lesson.check_which_is_which(...).status == "unanswered"
    assert lesson.check_which_is_which("likelihood").status == "wrong"


@pytest.mark.parametrize("call,match", [
    (lambda: lesson.binomial_pmf(11, 10, 0.5), r"k = 11 heads is impossible in n = 10 flips"),
    (lambda: lesson.binomial_pmf(-1, 10, 0.5), r"k \(the number of heads\) must be a whole number >= 0"),
    (lambda: lesson.binomial_pmf(2.5, 10, 0.5), r"k \(the number of heads\) must be a whole number"),
    (lambda: lesson.binomial_pmf(2, "ten", 0.5), r"n \(the number of flips\) must be a whole number"),
    (lambda: lesson.binomial_pmf(True, 10, 0.5), r"must be a whole number"),
    (lambda: lesson.binomial_pmf(2, 10, 1.5), r"theta \(the probability of heads\) must be in \[0, 1\]"),
    (lambda: lesson.likelihood([0.2, -0.1], 2, 10), r"must be in \[0, 1\]"),
    (lambda: lesson.binomial_pmf(2, 10, float("nan")), r"must be in \[0, 1\]"),
    (lambda: lesson.binomial_pmf(2, 10, "half"), r"theta \(the probability of heads\) must be numbers"),
    (lambda: lesson.mle_closed_form(0, 0), r"n = 0 flips"),
    (lambda: lesson.mle_closed_form(3, 2), r"impossible"),
    (lambda: lesson.flips_to_counts("HTX"), r"H and T only; found 'X'"),
    (lambda: lesson.flips_to_counts(""), r"flips is empty"),
    (lambda: lesson.flips_to_counts([0, 2]), r"0 \(tails\) and 1 \(heads\)"),
    (lambda: lesson.area([1, 2], [0, 1, 2]), r"values has shape \[2\] but grid has shape \[3\]"),
    (lambda: lesson.posterior(3, 10, prior=[1.0, 2.0]), r"prior has shape \[2\]"),
    (lambda: lesson.posterior(3, 10, prior=-np.ones(1001)), r"prior must be a density"),
    (lambda: lesson.posterior(3, 10, prior=np.zeros(1001)), r"prior × likelihood is 0 everywhere"),
    (lambda: lesson.two_views(0.5, 31, 3), r"n = 31 is more flips than the widget draws"),
    (lambda: lesson.two_views(0.5, 5, 6), r"k = 6 heads is impossible"),
    (lambda: lesson.check_sequence_area(0.5, "HHQ"), r"H and T only"),
])
def test_bad_input_raises_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_views_axes_follow_n_and_the_heights():
    widget = lesson.two_views_widget()
    view = widget.view
    assert view.left.get_xlim() == (-0.7, 20.7)
    widget.controls["n"].value = 5
    assert view.left.get_xlim() == (-0.7, 5.7)
    assert view.left.get_ylim()[1] >= 0.9 * max(b.get_height() for b in view.bars)
    widget.controls["theta"].value = 1.0     # one bar of height 1: the bar axis grows to hold it
    assert view.left.get_ylim()[1] == 1.1
    assert max(view.curve.get_ydata()) < view.right.get_ylim()[1]


def test_the_picked_theta_and_the_best_theta_are_two_lines():
    widget = lesson.two_views_widget()
    assert widget.view.theta_line.get_xdata()[0] == 0.5 and widget.view.mle_line.get_xdata()[0] == 0.7
    observed = widget.view.bars[14]
    assert observed.get_hatch() == "//" and not widget.view.bars[13].get_hatch()


# --- the sequence-area and die exercises ------------------------------------------------------

def test_sequence_area_is_the_binomial_area_over_c_n_k():
    for flips in ("THTT", "HHTHHTHHHTHTHHHH", "H"):
        k, n = lesson.flips_to_counts(flips)
        seq = lesson.THETA_GRID ** k * (1 - lesson.THETA_GRID) ** (n - k)
        assert lesson.sequence_area(flips) == pytest.approx(lesson.area(seq), rel=1e-4)
        assert lesson.sequence_area(flips) == pytest.approx(1 / ((n + 1) * math.comb(n, k)))


COUNTS = torch.tensor([4.0, 9.0, 6.0, 3.0, 12.0, 6.0], dtype=torch.float64)  # the lesson's die


def _fit_die(steps, lr=2.0, sign=1.0):
    logits = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        nll = -(COUNTS * torch.log_softmax(logits, -1)).sum() / COUNTS.sum()
        logits.grad = None
        nll.backward()
        with torch.no_grad():
            logits -= sign * lr * logits.grad
    return logits


def test_gradient_descent_reaches_the_frequencies_and_a_short_run_is_close():
    assert lesson.check_die_fit(_fit_die(500), COUNTS).status == "correct"
    v = lesson.check_die_fit(_fit_die(8), COUNTS)
    assert v.status == "close" and "not converged" in v.detail
    v = lesson.check_die_fit(_fit_die(500, sign=-1.0), COUNTS)   # gradient ascent
    assert v.status == "wrong"
    v = lesson.check_die_fit(torch.full((6,), float("nan")), COUNTS)
    assert v.status == "wrong" and "nan" in v.detail
    v = lesson.check_die_fit(torch.zeros(5), COUNTS)
    assert v.status == "wrong" and "one per face" in v.detail


def test_nll_after_five_updates_is_the_reference_run_and_its_neighbours_are_hinted():
    r = lesson.die_nll_after_steps(COUNTS, 5, 1.0)
    logits = _fit_die(5, lr=1.0)
    by_hand = (-(COUNTS * torch.log_softmax(logits, -1)).sum() / COUNTS.sum()).item()
    assert r["after"] == pytest.approx(by_hand, abs=1e-12)
    assert r["lowest"] < r["after"] < r["before_last"] < r["start"] == pytest.approx(math.log(6))
    with pytest.raises(ValueError, match="steps must be"):
        lesson.die_nll_after_steps(COUNTS, 0, 1.0)


NLL_5 = lesson.die_nll_after_steps(COUNTS, 5, 1.0)
FREQ = COUNTS / COUNTS.sum()
RIGHT_LOGITS = torch.log(FREQ)
RIGHT_DICT = {"a": "probability", "b": "likelihood", "c": "both", "d": "probability"}

CHECKER_TABLES = [
    Table(lesson.check_which_is_which,
          right=[RIGHT_DICT, {k.upper(): v.upper() for k, v in RIGHT_DICT.items()},
                 {k: f" {v} " for k, v in RIGHT_DICT.items()}],
          mistakes={"the parameter θ varies": RIGHT_DICT | {"b": "probability"},
                    "it needs a prior": RIGHT_DICT | {"d": "likelihood"},
                    "one number is both": RIGHT_DICT | {"c": "probability"},
                    "the outcome k varies": RIGHT_DICT | {"a": "likelihood"},
                    "missing c": {"a": "probability", "b": "likelihood", "d": "probability"},
                    "is not one of": RIGHT_DICT | {"a": "chance"}},
          wrong=[{k: "likelihood" for k in RIGHT_DICT}, {k: "both" for k in RIGHT_DICT}, "likelihood"]),
    Table(lesson.check_log_likelihood, args=(FLIPS,), kwargs={"theta": 0.7},
          right=number_forms(12 * math.log(0.7) + 4 * math.log(0.3)),
          mistakes={"log C(n, k)": 12 * math.log(0.7) + 4 * math.log(0.3) + math.log(math.comb(16, 12)),
                    "log base 10": (12 * math.log(0.7) + 4 * math.log(0.3)) / math.log(10),
                    "negative log-likelihood": -(12 * math.log(0.7) + 4 * math.log(0.3)),
                    "take the log": 0.7 ** 12 * 0.3 ** 4,
                    "heads and tails swapped": 12 * math.log(0.3) + 4 * math.log(0.7)},
          wrong=[12 * math.log(0.75) + 4 * math.log(0.25), -9.0, math.log(0.7) + math.log(0.3)]),
    Table(lesson.check_sequence_area, args=("THTT",),
          right=number_forms(1 / 20) + [lesson.area(lesson.THETA_GRID * (1 - lesson.THETA_GRID) ** 3)],
          mistakes={"that is the area for k heads in any order": 1 / 5,
                    "its area need not be 1": 1.0,
                    "the height of the curve at its peak": 0.25 * 0.75 ** 3},
          wrong=[0.25, 1 / 16, 0.0625 * 0.75, 1 / 30]),
    Table(lesson.check_nll_after_steps, args=(COUNTS,), kwargs={"steps": 5, "lr": 1.0},
          right=number_forms(NLL_5["after"]),
          mistakes={"before the last update": NLL_5["before_last"],
                    "after 6 updates": lesson.die_nll_after_steps(COUNTS, 6, 1.0)["after"],
                    "the logits never moved": math.log(6),
                    "the lowest possible loss": NLL_5["lowest"],
                    "summed NLL over all rolls": NLL_5["after"] * 40,
                    "that is in bits": NLL_5["after"] / math.log(2)},
          wrong=[1.7, 1.75, lesson.die_nll_after_steps(COUNTS, 5, 2.0)["after"],
                 lesson.die_nll_after_steps(COUNTS, 5, 0.5)["after"]]),
    Table(lesson.check_die_fit, args=(COUNTS,),
          right=[RIGHT_LOGITS, RIGHT_LOGITS.numpy(), RIGHT_LOGITS.tolist(), RIGHT_LOGITS + 3.0,
                 RIGHT_LOGITS.float(), _fit_die(500), torch.log(COUNTS)],
          mistakes={"your softmax is uniform": torch.zeros(6, dtype=torch.float64),
                    "those look like probabilities": FREQ,
                    "softmax(counts) is not counts / n": COUNTS,
                    "you climbed the NLL": -torch.log(COUNTS)},
          wrong=[torch.log(FREQ + 0.05), torch.log(torch.tensor([4.0, 9.0, 6.0, 3.0, 6.0, 12.0])),
                 torch.tensor([0.0, 1.0, 0.0, -1.0, 2.0, 0.0])]),
]
