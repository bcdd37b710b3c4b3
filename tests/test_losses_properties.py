"""Property tests: helpers.losses agrees with torch (float64) on arbitrary inputs."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from helpers import losses

logit = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
settings.register_profile("course", max_examples=60, deadline=None)
settings.load_profile("course")


@st.composite
def logits_and_targets(draw):
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 7))
    x = draw(arrays(np.float64, (n, c), elements=logit))
    y = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return x, y


@given(logits_and_targets())
def test_cross_entropy_matches_torch(xy):
    x, y = xy
    theirs = F.cross_entropy(torch.tensor(x), torch.tensor(y)).item()
    ours = losses.cross_entropy(x, y)
    assert math.isfinite(ours) == math.isfinite(theirs)
    assert abs(ours - theirs) <= 1e-9 * max(1.0, abs(theirs))


@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=logit))
def test_log_softmax_matches_torch_and_normalises(x):
    ours = losses.log_softmax(x)
    theirs = F.log_softmax(torch.tensor(x), -1).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
    assert not np.any(np.isnan(ours))
    np.testing.assert_allclose(losses.softmax(x).sum(-1), 1.0, atol=1e-9)


@given(arrays(np.float64, st.integers(1, 6), elements=logit), st.floats(-1e3, 1e3))
def test_softmax_ignores_a_shift(x, c):
    np.testing.assert_allclose(losses.softmax(x), losses.softmax(x + c), atol=1e-9)


@st.composite
def two_distributions(draw):
    c = draw(st.integers(1, 6))
    w = st.floats(0, 10, allow_nan=False)
    p = draw(arrays(np.float64, c, elements=w).filter(lambda a: a.sum() > 1e-3))
    q = draw(arrays(np.float64, c, elements=st.floats(1e-3, 10)))
    return p / p.sum(), q / q.sum()


@given(two_distributions())
def test_cross_entropy_is_entropy_plus_kl_and_kl_is_nonnegative(pq):
    p, q = pq
    kl = losses.kl_divergence(p, q)
    assert kl >= -1e-12
    assert abs(losses.cross_entropy_probs(p, q) - (losses.entropy(p) + kl)) < 1e-9
    torch_kl = F.kl_div(torch.tensor(np.log(q)), torch.tensor(p), reduction="sum").item()
    assert abs(kl - torch_kl) < 1e-9


@given(two_distributions())
def test_soft_target_cross_entropy_matches_torch(pq):
    p, q = pq
    logits = np.log(q)[None, :]
    theirs = F.cross_entropy(torch.tensor(logits), torch.tensor(p[None, :])).item()
    assert abs(losses.cross_entropy(logits, p[None, :]) - theirs) < 1e-9
