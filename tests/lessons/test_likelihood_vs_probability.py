"""helpers.lessons.likelihood_vs_probability: the lesson's pure functions, views, widgets and checkers."""
import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from helpers.lessons import likelihood_vs_probability as lesson

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
def test_three_mles_agree(k, n):
    assert lesson.mle_closed_form(k, n) == k / n
    assert lesson.mle_grid(k, n) == pytest.approx(k / n, abs=1e-3)
    gd = lesson.mle_gradient_descent(k, n, steps=2000, lr=2.0)
    assert gd["theta"] == pytest.approx(k / n, abs=1e-4)
    assert gd["nll"][-1] <= gd["nll"][0] and np.all((gd["thetas"] > 0) & (gd["thetas"] < 1))


def test_gradient_descent_is_seeded_and_its_nll_matches_torch_bce():
    a, b = lesson.mle_gradient_descent(7, 10, seed=3), lesson.mle_gradient_descent(7, 10, seed=3)
    assert a["theta"] == b["theta"]
    # the mean NLL per flip is the binary cross-entropy of θ against the flips
    theta = torch.tensor(a["thetas"][-1], dtype=torch.float64)
    flips = torch.tensor([1.0] * 7 + [0.0] * 3, dtype=torch.float64)
    bce = torch.nn.functional.binary_cross_entropy(theta.expand(10), flips).item()
    assert a["nll"][-1] == pytest.approx(bce)


def test_product_underflows_but_log_sum_does_not():
    flips = (np.random.default_rng(0).random(2000) < 0.3).astype(int)
    r = lesson.product_vs_log_sum(flips, 0.3)
    k = flips.sum()
    assert r["product"] == 0.0 and math.isfinite(r["log_sum"])
    assert r["log_sum"] == pytest.approx(k * math.log(0.3) + (2000 - k) * math.log(0.7))
    probs = np.where(flips == 1, 0.3, 0.7)
    assert np.prod(probs[: r["first_zero"] - 1]) > 0 and np.prod(probs[: r["first_zero"]]) == 0
    assert lesson.product_vs_log_sum([1, 0, 1], 0.5)["first_zero"] is None


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


def test_two_views_numbers():
    r = lesson.two_views(theta=0.5, n=20, k=14)
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


def test_check_mle():
    k, n = FLIPS.count("H"), len(FLIPS)
    assert lesson.check_mle_theta(k / n, FLIPS).status == "correct"
    assert "fraction of tails" in lesson.check_mle_theta(1 - k / n, FLIPS).detail
    assert "posterior mean" in lesson.check_mle_theta((k + 1) / (n + 2), FLIPS).detail
    assert "number of heads" in lesson.check_mle_theta(k, FLIPS).detail
    assert lesson.check_mle_theta(..., FLIPS).status == "unanswered"


def test_check_log_likelihood():
    k, n = FLIPS.count("H"), len(FLIPS)
    seq = sum(math.log(0.7 if c == "H" else 0.3) for c in FLIPS)
    assert lesson.check_log_likelihood(seq, FLIPS, 0.7).status == "correct"
    with_comb = seq + math.log(math.comb(n, k))
    assert "log C(n, k)" in lesson.check_log_likelihood(with_comb, FLIPS, 0.7).detail
    assert "base 10" in lesson.check_log_likelihood(seq / math.log(10), FLIPS, 0.7).detail
    assert "negative log-likelihood" in lesson.check_log_likelihood(-seq, FLIPS, 0.7).detail
    assert "swapped" in lesson.check_log_likelihood(k * math.log(0.3) + (n - k) * math.log(0.7), FLIPS, 0.7).detail
    assert lesson.check_log_likelihood(None, FLIPS, 0.7).status == "unanswered"


def test_check_area():
    assert lesson.check_area(lesson.area(lesson.likelihood(lesson.THETA_GRID, 1, 4)), 1, 4).status == "correct"
    assert "not a distribution" in lesson.check_area(1.0, 1, 4).detail
    assert "n + 1" in lesson.check_area(0.25, 1, 4).detail
    assert lesson.check_area(..., 1, 4).status == "unanswered"


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
    (lambda: lesson.mle_grid(3, 2), r"impossible"),
    (lambda: lesson.mle_gradient_descent(3, 10, lr=0), r"lr \(the learning rate\) must be > 0"),
    (lambda: lesson.mle_gradient_descent(3, 10, steps=0), r"steps must be a whole number >= 1"),
    (lambda: lesson.flips_to_counts("HTX"), r"H and T only; found 'X'"),
    (lambda: lesson.flips_to_counts(""), r"flips is empty"),
    (lambda: lesson.flips_to_counts([0, 2]), r"0 \(tails\) and 1 \(heads\)"),
    (lambda: lesson.sequence_probabilities([[0, 1]], 0.5), r"1-D sequence of 0 \(tails\) and 1"),
    (lambda: lesson.area([1, 2], [0, 1, 2]), r"values has shape \[2\] but grid has shape \[3\]"),
    (lambda: lesson.posterior(3, 10, prior=[1.0, 2.0]), r"prior has shape \[2\]"),
    (lambda: lesson.posterior(3, 10, prior=-np.ones(1001)), r"prior must be a density"),
    (lambda: lesson.posterior(3, 10, prior=np.zeros(1001)), r"prior × likelihood is 0 everywhere"),
    (lambda: lesson.two_views(0.5, 31, 3), r"n = 31 is more flips than the widget draws"),
    (lambda: lesson.two_views(0.5, 5, 6), r"k = 6 heads is impossible"),
    (lambda: lesson.check_mle_theta(0.5, "HHQ"), r"H and T only"),
])
def test_bad_input_raises_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
