"""Fixtures shared by the tests in tests/ and its subfolders."""
import numpy as np
import pytest


@pytest.fixture
def random_counts():
    """make(shape, seed): a seeded table of counts [previous, next] with no empty row and counts[1, 2] = 0."""
    def make(shape=(5, 6), seed=0):
        counts = np.random.default_rng(seed).integers(0, 9, size=shape)
        counts[:, 0] += 1  # no empty rows
        counts[1, 2] = 0
        return counts
    return make
