"""helpers.losses against torch.nn.functional (float64), and its errors on bad input."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import losses

RNG = np.random.default_rng(0)


def t64(x):
    return torch.tensor(np.asarray(x), dtype=torch.float64)


@pytest.mark.parametrize("shape,dim", [((4,), -1), ((3, 5), -1), ((3, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)])
def test_softmax_and_log_softmax_match_torch(shape, dim):
    x = RNG.normal(size=shape) * 3
    np.testing.assert_allclose(losses.softmax(x, dim), F.softmax(t64(x), dim).numpy(), atol=1e-12)
    np.testing.assert_allclose(losses.log_softmax(x, dim), F.log_softmax(t64(x), dim).numpy(), atol=1e-9)


def test_log_softmax_is_stable_for_huge_logits():
    x = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, 0.0, 1e4]])
    ours = losses.log_softmax(x)
    theirs = F.log_softmax(t64(x), -1).numpy()
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(theirs))
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    assert not np.any(np.isnan(ours))


def test_accepts_lists_arrays_and_tensors():
    x = [[1.0, 2.0, 3.0]]
    a = losses.softmax(x)
    np.testing.assert_array_equal(a, losses.softmax(np.array(x)))
    np.testing.assert_array_equal(a, losses.softmax(torch.tensor(x, dtype=torch.float64)))
    assert a.dtype == np.float64


def test_rows_sum_to_one_and_exp_log_softmax_is_softmax():
    x = RNG.normal(size=(2, 3, 4))
    np.testing.assert_allclose(losses.softmax(x).sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.exp(losses.log_softmax(x)), losses.softmax(x), atol=1e-12)


def test_cross_entropy_with_class_indices_matches_torch():
    x = RNG.normal(size=(6, 5)) * 4
    y = RNG.integers(0, 5, size=6)
    expected = F.cross_entropy(t64(x), torch.tensor(y)).item()
    assert losses.cross_entropy(x, y) == pytest.approx(expected, abs=1e-9)
    assert losses.cross_entropy(torch.tensor(x), torch.tensor(y)) == pytest.approx(expected, abs=1e-9)


def test_cross_entropy_with_class_dim_not_last_matches_torch_layout():
    x = RNG.normal(size=(2, 4, 3))  # [B, C, T], torch's layout for sequences
    y = RNG.integers(0, 4, size=(2, 3))
    expected = F.cross_entropy(t64(x), torch.tensor(y)).item()
    assert losses.cross_entropy(x, y, dim=1) == pytest.approx(expected, abs=1e-9)


def test_cross_entropy_with_probability_targets_matches_torch():
    x = RNG.normal(size=(4, 3))
    p = losses.softmax(RNG.normal(size=(4, 3)))
    expected = F.cross_entropy(t64(x), t64(p)).item()
    assert losses.cross_entropy(x, p) == pytest.approx(expected, abs=1e-9)


def test_cross_entropy_huge_logits_is_finite_like_torch():
    x = np.array([[1e4, -1e4, 0.0], [5e3, 5e3, -5e3]])
    y = np.array([1, 0])
    expected = F.cross_entropy(t64(x), torch.tensor(y)).item()
    assert losses.cross_entropy(x, y) == pytest.approx(expected, rel=1e-12)
    assert math.isfinite(losses.cross_entropy(x, y))


def test_cross_entropy_ignore_index_averages_kept_targets_only():
    x = RNG.normal(size=(5, 3))
    y = np.array([0, -100, 2, -100, 1])
    expected = F.cross_entropy(t64(x), torch.tensor(y), ignore_index=-100).item()
    assert losses.cross_entropy(x, y, ignore_index=-100) == pytest.approx(expected, abs=1e-9)


def test_nll_matches_torch_and_uniform_logits_give_log_c():
    x = RNG.normal(size=(7, 4))
    y = RNG.integers(0, 4, size=7)
    lp = losses.log_softmax(x)
    assert losses.nll(lp, y) == pytest.approx(F.nll_loss(t64(lp), torch.tensor(y)).item(), abs=1e-9)
    assert losses.cross_entropy(np.ones(27), 0) == pytest.approx(math.log(27), abs=1e-12)
    assert losses.cross_entropy(np.ones(27), 0) == pytest.approx(3.295836866, abs=1e-9)


def test_entropy_kl_and_cross_entropy_identity():
    p = np.array([0.24, 0.20, 0.16, 0.14, 0.13, 0.13])
    q = np.full(6, 1 / 6)
    assert losses.entropy(p) == pytest.approx(1.7633, abs=5e-5)
    assert losses.cross_entropy_probs(p, q) == pytest.approx(math.log(6), abs=1e-12)
    assert losses.kl_divergence(p, q) == pytest.approx(losses.cross_entropy_probs(p, q) - losses.entropy(p), abs=1e-12)
    torch_kl = F.kl_div(t64(np.log(q)), t64(p), reduction="sum").item()
    assert losses.kl_divergence(p, q) == pytest.approx(torch_kl, abs=1e-12)


def test_zero_log_zero_is_zero_and_impossible_outcomes_are_infinite():
    assert losses.entropy([1.0, 0.0, 0.0]) == 0.0
    assert losses.entropy([0.5, 0.5, 0.0]) == pytest.approx(math.log(2))
    assert losses.kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(2))
    assert losses.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert losses.surprise([0.5, 0.5, 0.0], 2) == math.inf


def test_surprise_by_index_and_by_name():
    q = {"red": 0.1, "green": 0.2, "blue": 0.3, "yellow": 0.25, "brown": 0.15}
    assert losses.surprise(q, "green") == pytest.approx(-math.log(0.2))
    assert losses.surprise(list(q.values()), 1) == pytest.approx(-math.log(0.2))
    assert losses.to_bits(losses.surprise([0.5, 0.5], 0)) == pytest.approx(1.0)


def test_bits():
    assert losses.to_bits(math.log(27)) == pytest.approx(4.7549, abs=5e-5)
    np.testing.assert_allclose(losses.to_bits([math.log(2), 2 * math.log(2)]), [1.0, 2.0])


# --- bad input: a clear ValueError, never a silent wrong number ----------------------------

@pytest.mark.parametrize("p,match", [
    ([0.5, 0.6], "sum to 1"),
    ([1.2, -0.2], "negative"),
    ([0.5, float("nan"), 0.5], "NaN"),
    ([], "non-empty"),
])
def test_bad_probabilities(p, match):
    with pytest.raises(ValueError, match=match):
        losses.entropy(p)


def test_probability_tolerance_is_one_in_a_million():
    losses.entropy([0.5, 0.5 + 5e-7])
    with pytest.raises(ValueError, match="sum to 1"):
        losses.entropy([0.5, 0.5 + 5e-6])


def test_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        losses.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="shape"):
        losses.cross_entropy_probs([0.5, 0.5], [[0.5, 0.5]])


def test_class_index_out_of_range_or_negative():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="out of range"):
        losses.cross_entropy(x, [0, 3])
    with pytest.raises(ValueError, match="out of range"):
        losses.cross_entropy(x, [-1, 0])
    with pytest.raises(ValueError, match="out of range"):
        losses.nll(losses.log_softmax(x), [0, 7])


def test_batch_size_mismatch():
    with pytest.raises(ValueError, match=r"target has shape \[3\].*\[2\]"):
        losses.cross_entropy(np.zeros((2, 4)), [0, 1, 2])


def test_bt_v_logits_with_wrong_target_shape_is_caught():
    # the [B, T, V] layout with targets of shape [B, T] is fine with dim=-1 ...
    x = RNG.normal(size=(4, 8, 27))
    y = RNG.integers(0, 27, size=(4, 8))
    assert math.isfinite(losses.cross_entropy(x, y))
    # ... but asking for torch's class dim (1) is a shape error here, not a silent value
    with pytest.raises(ValueError, match="target has shape"):
        losses.cross_entropy(x, y, dim=1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_or_inf_logits(bad):
    with pytest.raises(ValueError, match="NaN|inf"):
        losses.log_softmax([1.0, bad])
    with pytest.raises(ValueError, match="NaN|inf"):
        losses.cross_entropy([[1.0, bad]], [0])


def test_non_integer_targets():
    with pytest.raises(ValueError, match="whole-number"):
        losses.cross_entropy(np.zeros((2, 3)), [0.5, 1.0])
    with pytest.raises(ValueError, match="integer"):
        losses.cross_entropy(np.zeros((2, 3)), ["a", "b"])


def test_unknown_outcome():
    with pytest.raises(ValueError, match="unknown outcome 'orange'"):
        losses.surprise({"red": 0.5, "blue": 0.5}, "orange")
    with pytest.raises(ValueError, match="unknown outcome 5"):
        losses.surprise([0.5, 0.5], 5)
    with pytest.raises(ValueError, match="unknown outcome"):
        losses.surprise([0.5, 0.5], "red")


def test_nll_refuses_probabilities_and_logits():
    probs = losses.softmax(np.array([[2.0, 1.0, 0.1]]))
    with pytest.raises(ValueError, match="probabilities"):
        losses.nll(probs, [0])
    with pytest.raises(ValueError, match="log_softmax"):
        losses.nll(np.array([[-1.0, -2.0, -3.0]]), [0])  # negative, but not normalised


def test_bad_dim():
    with pytest.raises(ValueError, match="dim=2 is out of range"):
        losses.softmax(np.zeros((2, 2)), dim=2)
    with pytest.raises(ValueError, match="scalar"):
        losses.softmax(3.0)


def test_soft_targets_must_be_distributions():
    with pytest.raises(ValueError, match="target must sum to 1"):
        losses.cross_entropy(np.zeros((1, 3)), np.array([[0.5, 0.5, 0.5]]))


# --- moved here from the lesson tests ---------------------------------------------------

P, T = [1.0, 2.0, 3.0], [1.5, 2.0, 5.0]


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))



@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_mae_match_torch(reduction):
    rng = np.random.default_rng(1)
    p, t = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    np.testing.assert_allclose(losses.mse(p, t, reduction), F.mse_loss(_t(p), _t(t), reduction=reduction).numpy())
    np.testing.assert_allclose(losses.mae(p, t, reduction), F.l1_loss(_t(p), _t(t), reduction=reduction).numpy())


def test_mse_brief_numbers():
    assert losses.mse(P, T) == pytest.approx(F.mse_loss(_t(P), _t(T)).item())
    assert losses.mse(P, T, "sum") == pytest.approx(F.mse_loss(_t(P), _t(T), reduction="sum").item())
    assert round(losses.mse(P, T), 4) == 1.4167 and losses.mse(P, T, "sum") == pytest.approx(4.25)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.5])
def test_huber_matches_torch(delta):
    rng = np.random.default_rng(2)
    p, t = 3 * rng.normal(size=50), rng.normal(size=50)
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(losses.huber(p, t, delta, reduction),
                                   F.huber_loss(_t(p), _t(t), delta=delta, reduction=reduction).numpy())
    # smooth_l1 with beta = delta is huber / delta: the usual confusion between the two
    np.testing.assert_allclose(losses.huber(p, t, delta) / delta, F.smooth_l1_loss(_t(p), _t(t), beta=delta).item())


@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.0])
def test_gaussian_nll_matches_torch_and_is_scaled_mse(sigma):
    rng = np.random.default_rng(3)
    p, t = rng.normal(size=20), rng.normal(size=20)
    var = torch.full((20,), sigma ** 2, dtype=torch.float64)
    torch_value = F.gaussian_nll_loss(_t(p), _t(t), var, full=True).item()
    assert losses.gaussian_nll(p, t, sigma) == pytest.approx(torch_value, rel=1e-12)
    const = math.log(sigma) + 0.5 * math.log(2 * math.pi)
    assert losses.gaussian_nll(p, t, sigma) == pytest.approx(losses.mse(p, t) / (2 * sigma ** 2) + const)


def test_loss_errors():
    with pytest.raises(ValueError, match="shape \\[3\\] but target has shape \\[2\\]"):
        losses.mse([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.mse(P, T, reduction="avg")
    with pytest.raises(ValueError, match="empty"):
        losses.mae([], [])
    with pytest.raises(ValueError, match="NaN or inf"):
        losses.mse([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError, match="delta must be > 0"):
        losses.huber(P, T, delta=0)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        losses.gaussian_nll(P, T, sigma=-1)
    with pytest.raises(ValueError, match="must be numbers"):
        losses.mse(["a"], [1.0])


SCORES, TRUE_CLASS = [3.2, 5.1, -1.7], 0  # the CS231n hinge example


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))



def test_sigmoid_matches_torch_and_does_not_overflow():
    x = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    with np.errstate(over="raise"):  # an overflow inside would raise here
        got = losses.sigmoid(x)
    np.testing.assert_allclose(got, torch.sigmoid(_t(x)).numpy())


def test_bernoulli_likelihood_is_q_to_the_y():
    q, y = np.array([0.2, 0.7, 0.9]), np.array([1.0, 0.0, 1.0])
    np.testing.assert_allclose(losses.bernoulli_likelihood(q, y), q ** y * (1 - q) ** (1 - y))
    np.testing.assert_allclose(-np.log(losses.bernoulli_likelihood(q, y)), losses.bce(q, y, "none"))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_matches_torch(reduction):
    rng = np.random.default_rng(0)
    q, y = rng.uniform(0.01, 0.99, size=(3, 4)), rng.uniform(size=(3, 4))  # soft targets too
    np.testing.assert_allclose(losses.bce(q, y, reduction),
                               F.binary_cross_entropy(_t(q), _t(y), reduction=reduction).numpy())


def test_bce_brief_numbers_and_clamp():
    assert losses.bce([0.5], [1.0]) == pytest.approx(math.log(2))
    assert losses.bce([0.0], [1.0]) == math.inf  # the true value
    assert losses.bce([0.0], [1.0], log_floor=losses.TORCH_LOG_FLOOR) == F.binary_cross_entropy(_t([0.0]), _t([1.0])).item()
    assert losses.bce([1.0, 0.0], [1.0, 0.0]) == 0.0  # certain and right: no 0·log 0 NaN


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_torch_even_at_huge_logits(reduction):
    x = np.array([-800.0, -40.0, -3.0, 0.0, 2.5, 40.0, 800.0])
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.3, 0.0, 0.0])
    want = F.binary_cross_entropy_with_logits(_t(x), _t(y), reduction=reduction).numpy()
    np.testing.assert_allclose(losses.bce_with_logits(x, y, reduction), want)


def test_float32_sigmoid_hits_the_clamp_and_with_logits_does_not():
    x32 = torch.tensor([40.0])
    assert torch.sigmoid(x32).item() == 1.0
    assert F.binary_cross_entropy(torch.sigmoid(x32), torch.tensor([0.0])).item() == 100.0
    assert F.binary_cross_entropy_with_logits(x32, torch.tensor([0.0])).item() == pytest.approx(
        losses.bce_with_logits([40.0], [0.0]), rel=1e-6)


def test_bce_errors():
    with pytest.raises(ValueError, match="Did you pass logits"):
        losses.bce([2.0, 0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match="target must be in \\[0, 1\\]"):
        losses.bce_with_logits([0.0], [2.0])
    with pytest.raises(ValueError, match="shape \\[2\\] but target has shape \\[3\\]"):
        losses.bce([0.5, 0.5], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="NaN or inf"):
        losses.bce_with_logits([float("inf")], [1.0])
    with pytest.raises(ValueError, match="reduction must be"):
        losses.bce([0.5], [1.0], reduction="avg")
    with pytest.raises(ValueError, match="y must be 0 or 1"):
        losses.bernoulli_likelihood([0.5], [0.5])
    with pytest.raises(ValueError, match="empty"):
        losses.bce([], [])


def test_multiclass_hinge_classic_example_and_torch():
    total = sum(max(0.0, s - SCORES[TRUE_CLASS] + 1.0) for j, s in enumerate(SCORES) if j != TRUE_CLASS)
    assert losses.multiclass_hinge(SCORES, TRUE_CLASS) == pytest.approx(total) == pytest.approx(2.9)
    torch_value = F.multi_margin_loss(_t([SCORES]), torch.tensor([TRUE_CLASS])).item()
    assert losses.multiclass_hinge(SCORES, TRUE_CLASS, divide_by_classes=True) == pytest.approx(torch_value)


@pytest.mark.parametrize("margin", [0.5, 1.0, 2.0])
def test_multiclass_hinge_batch_matches_torch(margin):
    rng = np.random.default_rng(4)
    s, t = rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    want = F.multi_margin_loss(_t(s), torch.tensor(t), margin=margin).item()
    assert losses.multiclass_hinge(s, t, margin, divide_by_classes=True) == pytest.approx(want)


def test_binary_hinge_is_two_class_relu():
    f, y = np.array([2.0, 0.3, -0.5, -2.0]), np.array([1.0, 1.0, 1.0, -1.0])
    want = torch.relu(1 - _t(y) * _t(f)).mean().item()
    assert losses.binary_hinge(f, y) == pytest.approx(want)
    # torch's hinge_embedding_loss is a different loss (for distances); soft_margin is the logistic one
    assert losses.bce_with_logits(f, (y + 1) / 2) == pytest.approx(F.soft_margin_loss(_t(f), _t(y)).item())


def test_hinge_errors():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        losses.binary_hinge([0.5, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="out of range"):
        losses.multiclass_hinge(SCORES, 3)
    with pytest.raises(ValueError, match="C >= 2"):
        losses.multiclass_hinge([1.0], 0)
    with pytest.raises(ValueError, match="one class index per row"):
        losses.multiclass_hinge([[1.0, 2.0], [0.0, 1.0]], [0])
    with pytest.raises(ValueError, match="whole-number"):
        losses.multiclass_hinge(SCORES, 0.5)


def test_cross_entropy_of_two_classes_is_bce():
    # softmax over logits [0, x] gives sigmoid(x) for class 1: CE equals BCE with logits
    x = np.array([-2.0, 0.5, 3.0])
    y = np.array([0, 1, 1])
    assert losses.cross_entropy(np.c_[np.zeros(3), x], y) == pytest.approx(losses.bce_with_logits(x, y.astype(float)))


def test_bernoulli_likelihood_rejects_logits():
    with pytest.raises(ValueError, match="apply sigmoid to logits first"):
        losses.bernoulli_likelihood([1.5], [1.0])


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
    assert losses.sequence_loss(*case) == pytest.approx(want, abs=1e-10)
    flat = F.cross_entropy(case[0].reshape(-1, v), case[1].reshape(-1), weight=case[2],
                           ignore_index=pad_index, label_smoothing=eps).item()
    assert losses.sequence_loss(*case) == pytest.approx(flat, abs=1e-10)


def test_sequence_loss_without_extras_is_plain_cross_entropy():
    logits, target, _, pad, _ = random_case(7, 3, 5, 6, 0, 0.0)
    want = losses.cross_entropy(logits.reshape(-1, 6), target.reshape(-1), ignore_index=pad)
    assert losses.sequence_loss(logits, target, None, pad, 0.0) == pytest.approx(want, abs=1e-12)


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
        losses.sequence_loss(**args)


def test_smooth_targets_match_torch_label_smoothing():
    gen = torch.Generator().manual_seed(4)
    logits = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    for eps in [0.0, 0.1, 0.3, 1.0]:
        soft = losses.smooth_targets(target, 5, eps)
        assert np.allclose(soft.sum(axis=-1), 1.0)
        assert soft[0, 0] == pytest.approx(1 - eps + eps / 5)
        want = F.cross_entropy(logits, target, label_smoothing=eps).item()
        assert F.cross_entropy(logits, torch.tensor(soft)).item() == pytest.approx(want, abs=1e-12)


def test_smoothing_errors():
    with pytest.raises(ValueError, match="eps must be in"):
        losses.smooth_targets([0], 3, -0.1)
    with pytest.raises(ValueError, match="class index 3 is out of range"):
        losses.smooth_targets([3], 3, 0.1)
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        losses.smooth_targets([0], 0, 0.1)


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
    assert losses.sequence_loss(logits, target, weight, pad, eps) == pytest.approx(want, rel=1e-9, abs=1e-9)
