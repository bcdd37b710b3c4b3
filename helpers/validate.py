"""Input validation shared by every module: one place for each kind of check.

Each function takes what a learner or a lesson passes (a number, a list, a numpy array or
a torch tensor), returns it in the form the caller computes with, and raises ValueError
with a message that names the argument, what was wrong and what is expected. Nothing here
returns a silent wrong value.

    to_numpy(x)                 a torch tensor as numpy (the one place that looks for .detach)
    as_array(x, name)           float64 numpy array
    as_class_indices(t, name)   int64 class indices (whole numbers only)
    whole_number(x, name, lo)   an int >= lo (rejects 2.5, True, "3", nan)
    finite(arr, name)           no NaN or inf
    same_shape(a, b, ...)       two arrays of one shape
    pair(a, b, ...)             two finite, non-empty arrays of one shape (prediction, target)
    points(x, y)                1-D x and y of one length: the points of a fitted curve
    dataset(X, Y)               torch contexts X [N, block] and next tokens Y [N]
    unit_interval(x, name)      values in [0, 1]
    counts(c)                   a non-empty 2-D table of counts >= 0 [previous, next]
    probabilities(p, name)      rows (last axis) that are distributions
    class_axis_last(arr, dim)   the class dimension moved last
    class_range(t, n_classes)   class indices in 0 .. n_classes - 1
    targets(t, batch_shape, n_classes, ignore_index)   one valid class index per row
"""
from __future__ import annotations

import math

import numpy as np

PROB_TOL = 1e-6  # how far a row of probabilities may be from summing to 1


def to_numpy(x):
    """A torch tensor as a numpy array (detached, on the CPU); anything else unchanged."""
    if hasattr(x, "detach"):  # a torch tensor: no torch import needed here
        return x.detach().cpu().numpy()
    return x


def as_array(x, name: str = "input") -> np.ndarray:
    """Turn a list, numpy array or torch tensor into a float64 numpy array."""
    try:
        return np.asarray(to_numpy(x), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers (a list, numpy array or tensor); got {x!r}") from exc


def as_class_indices(target, name: str = "target") -> np.ndarray:
    """Class indices as an int64 array; floats with a fractional part are an error."""
    arr = np.asarray(to_numpy(target))
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be integer class indices; got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must be whole-number class indices; got {arr.tolist()}")
    return arr.astype(np.int64)


def whole_number(x, name: str, lo: int = 0) -> int:
    """x as an int if it is a whole number >= lo (3 and 3.0 are; 2.5, True, "3" and nan are not)."""
    is_number = isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
    if not is_number or not math.isfinite(x) or x != round(x) or x < lo:
        raise ValueError(f"{name} must be a whole number >= {lo}; got {x!r}")
    return int(x)


def finite(arr: np.ndarray, name: str) -> np.ndarray:
    """arr itself, if it holds no NaN or inf."""
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.any(np.isnan(arr)) else "inf"
        raise ValueError(f"{name} contains {bad}; expected finite numbers (no NaN or inf)")
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {list(a.shape)} but {b_name} has shape "
                         f"{list(b.shape)}; they must match")


def pair(a, b, a_name: str = "pred", b_name: str = "target") -> tuple[np.ndarray, np.ndarray]:
    """Two finite, non-empty float64 arrays of one shape: one target per prediction."""
    x, y = as_array(a, a_name), as_array(b, b_name)
    if x.shape != y.shape:
        raise ValueError(f"{a_name} has shape {list(x.shape)} but {b_name} has shape {list(y.shape)}; "
                         "they must match (one target per prediction)")
    if x.size == 0:
        raise ValueError(f"{a_name} and {b_name} are empty; expected at least one value")
    return finite(x, a_name), finite(y, b_name)


def points(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The points (x, y) of a curve fit: finite 1-D arrays of one length, at least one point."""
    xa, ya = as_array(x, "x"), as_array(y, "y")
    if xa.ndim != 1 or ya.ndim != 1:
        raise ValueError(f"x and y must be 1-D lists of points; got shapes {list(xa.shape)} and {list(ya.shape)}")
    if len(xa) != len(ya):
        raise ValueError(f"x and y must have the same length; got {len(xa)} and {len(ya)}")
    if len(xa) == 0:
        raise ValueError("x and y are empty; expected at least one point")
    return finite(xa, "x"), finite(ya, "y")


def dataset(X, Y) -> None:
    """A data set of contexts X [N, block_size] and next tokens Y [N] (torch tensors), N >= 1."""
    if X.ndim != 2 or Y.ndim != 1 or len(X) != len(Y) or len(X) == 0:
        raise ValueError(f"expected X [N, block_size] and Y [N] with N >= 1; got {list(X.shape)} and {list(Y.shape)}")


def unit_interval(x, name: str, hint: str = ""):
    """x (a number or an array) if every value is in [0, 1]; a float for a number."""
    arr = as_array(x, name)
    outside = np.isnan(arr) | (arr < 0) | (arr > 1)
    if np.any(outside):
        bad = arr[outside].ravel()[0]
        raise ValueError(f"{name} must be in [0, 1]; got {bad:.4g}.{hint}")
    return float(arr) if arr.ndim == 0 else arr


def counts(c) -> np.ndarray:
    """A table of counts [previous symbol, next symbol] as float64: non-empty, 2-D, finite, >= 0."""
    arr = finite(as_array(c, "counts"), "counts")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"counts must be a non-empty 2-D table [previous char, next char]; got shape {list(arr.shape)}")
    if np.any(arr < 0):
        raise ValueError(f"counts must be >= 0; found {arr.min():.4g}")
    return arr


def probabilities(p, name: str = "p", tol: float = PROB_TOL) -> np.ndarray:
    """p as float64 if every row (last axis) is a distribution: entries >= 0 that sum to 1."""
    arr = as_array(p, name)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must be a non-empty list of probabilities; got shape {list(arr.shape)}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN; expected probabilities in [0, 1]")
    if np.any(arr < 0):
        raise ValueError(f"{name} has a negative entry ({arr.min():.4g}); probabilities must be >= 0")
    sums = arr.sum(axis=-1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > tol:
        got = float(np.ravel(sums)[np.argmax(np.abs(np.ravel(sums) - 1.0))])
        raise ValueError(
            f"{name} must sum to 1 along its last axis; a row sums to {got:.6g}. "
            "Normalise it (divide by its sum), or pass logits to a function that takes logits."
        )
    return arr


def class_axis_last(arr: np.ndarray, dim: int, name: str) -> np.ndarray:
    """arr with its class dimension `dim` moved to the end."""
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a class dimension; got a scalar")
    if not -arr.ndim <= dim < arr.ndim:
        raise ValueError(f"dim={dim} is out of range for {name} of shape {list(arr.shape)}")
    return np.moveaxis(arr, dim, -1)


def class_range(indices: np.ndarray, n_classes: int) -> None:
    """Raise unless every class index is in 0 .. n_classes - 1."""
    if indices.size and (indices.min() < 0 or indices.max() >= n_classes):
        bad = int(indices.min() if indices.min() < 0 else indices.max())
        raise ValueError(f"class index {bad} is out of range: expected 0 <= index < {n_classes}")


def targets(target: np.ndarray, batch_shape: tuple, n_classes: int, ignore_index: int | None) -> np.ndarray:
    """Raise unless target holds one valid class index per row; return the mask of kept rows."""
    if target.shape != batch_shape:
        raise ValueError(
            f"target has shape {list(target.shape)} but the logits' batch shape (every "
            f"dimension except the class one) is {list(batch_shape)}; expected one class "
            "index per row"
        )
    keep = np.ones(target.shape, dtype=bool) if ignore_index is None else target != ignore_index
    class_range(target[keep], n_classes)
    if not keep.any():
        raise ValueError("every target is ignored (ignore_index); there is nothing to average")
    return keep
