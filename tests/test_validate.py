"""helpers.validate: each input check accepts what it should and names the problem when it refuses."""
import math

import numpy as np
import pytest
import torch

from helpers import validate


def test_to_numpy_and_as_array_accept_lists_arrays_and_tensors():
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert isinstance(validate.to_numpy(t), np.ndarray)
    assert validate.to_numpy([1, 2]) == [1, 2]  # not a tensor: unchanged
    for x in ([1, 2], np.array([1, 2]), t):
        out = validate.as_array(x, "x")
        assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="x must be numbers"):
        validate.as_array(["a"], "x")


@pytest.mark.parametrize("x, lo, want", [(3, 0, 3), (3.0, 0, 3), (np.int64(2), 1, 2), (0, 0, 0)])
def test_whole_number_accepts_whole_numbers(x, lo, want):
    got = validate.whole_number(x, "n", lo)
    assert got == want and type(got) is int


@pytest.mark.parametrize("x", [2.5, True, "3", math.nan, math.inf, None, -1])
def test_whole_number_refuses_the_rest(x):
    with pytest.raises(ValueError, match=r"n \(a count\) must be a whole number >= 0; got"):
        validate.whole_number(x, "n (a count)")


def test_class_indices():
    assert validate.as_class_indices([0.0, 2.0]).tolist() == [0, 2]
    assert validate.as_class_indices(torch.tensor([1, 0])).dtype == np.int64
    with pytest.raises(ValueError, match="whole-number class indices"):
        validate.as_class_indices([0.5])
    with pytest.raises(ValueError, match="integer class indices"):
        validate.as_class_indices([True, False])
    validate.class_range(np.array([0, 2]), 3)
    with pytest.raises(ValueError, match="class index 3 is out of range: expected 0 <= index < 3"):
        validate.class_range(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="class index -1 is out of range"):
        validate.class_range(np.array([-1]), 3)


def test_targets_returns_the_kept_rows_and_checks_the_batch_shape():
    keep = validate.targets(np.array([1, -100, 0]), (3,), 2, ignore_index=-100)
    assert keep.tolist() == [True, False, True]
    with pytest.raises(ValueError, match=r"target has shape \[2\] but the logits' batch shape .* is \[3\]"):
        validate.targets(np.array([0, 1]), (3,), 2, None)
    with pytest.raises(ValueError, match="every target is ignored"):
        validate.targets(np.array([-100]), (1,), 2, -100)


def test_pair_and_points():
    p, t = validate.pair([1, 2], [3, 4])
    assert p.tolist() == [1.0, 2.0] and t.tolist() == [3.0, 4.0]
    with pytest.raises(ValueError, match=r"pred has shape \[2\] but target has shape \[1\]"):
        validate.pair([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        validate.pair([], [])
    with pytest.raises(ValueError, match="target contains inf"):
        validate.pair([1.0], [math.inf])
    with pytest.raises(ValueError, match="x and y must be 1-D"):
        validate.points([[1.0]], [[2.0]])
    with pytest.raises(ValueError, match="same length; got 2 and 1"):
        validate.points([1, 2], [1])
    with pytest.raises(ValueError, match="x contains NaN"):
        validate.points([math.nan], [1.0])


def test_dataset_shapes():
    validate.dataset(torch.zeros(4, 3), torch.zeros(4))
    with pytest.raises(ValueError, match=r"expected X \[N, block_size\] and Y \[N\]"):
        validate.dataset(torch.zeros(4, 3), torch.zeros(3))


def test_unit_interval_probabilities_and_counts():
    assert validate.unit_interval(0.25, "eps") == 0.25
    with pytest.raises(ValueError, match=r"eps must be in \[0, 1\]; got 1.5. Hint"):
        validate.unit_interval(1.5, "eps", " Hint")
    np.testing.assert_array_equal(validate.probabilities([[0.5, 0.5]]), [[0.5, 0.5]])
    with pytest.raises(ValueError, match="q must sum to 1"):
        validate.probabilities([0.5, 0.6], "q")
    with pytest.raises(ValueError, match="negative"):
        validate.probabilities([1.5, -0.5])
    assert validate.counts([[1, 0], [2, 3]]).dtype == np.float64
    with pytest.raises(ValueError, match="counts must be >= 0"):
        validate.counts([[1, -1]])
    with pytest.raises(ValueError, match="2-D"):
        validate.counts([1, 2])


def test_class_axis_last():
    x = np.zeros((2, 5, 3))
    assert validate.class_axis_last(x, 1, "logits").shape == (2, 3, 5)
    with pytest.raises(ValueError, match="dim=3 is out of range"):
        validate.class_axis_last(x, 3, "logits")
