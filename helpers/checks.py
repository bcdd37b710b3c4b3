"""Exercise checkers: instant, friendly feedback under each "Check yourself" cell.

A checker never raises on a learner's answer. It returns a `Verdict` whose text is one
line: correct; close (off by X); not yet, with a hint keyed to the usual mistake; or
not answered yet (the answer is still `...` or `None`), so a notebook with blank
exercises runs top to bottom.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from . import losses
from .validate import as_array, to_numpy

MARKS = {"correct": "✓ correct", "close": "≈ close", "wrong": "✗ not yet", "unanswered": "… not answered yet"}
NOT_ANSWERED = "replace the ... with your answer and run the cell again"


@dataclass(frozen=True)
class Verdict:
    """The result of a check: `status` is correct, close, wrong or unanswered."""

    status: str
    detail: str = ""

    @property
    def message(self) -> str:
        return f"{MARKS[self.status]}: {self.detail}" if self.detail else MARKS[self.status]

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__

    def __bool__(self) -> bool:
        return self.status == "correct"


def unanswered(answer) -> bool:
    return answer is None or answer is Ellipsis


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.4f}"


def _as_float(answer) -> float | None:
    try:
        arr = np.asarray(to_numpy(answer), dtype=np.float64)
        return float(arr) if arr.size == 1 else None
    except (TypeError, ValueError):
        return None


ROUNDING = 5e-5  # an answer rounded to the 4 decimals the course prints still counts


def _near(a: float, b: float, tol: float) -> bool:
    """Relative tolerance, so small answers (0.003125 vs 0.0025) are not waved through."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(tol * abs(b), ROUNDING)


def check_number(answer, expected: float, *, tol: float = 1e-3, close: float = 0.05,
                 mistakes: Mapping[str, float] | None = None, hint: str = "") -> Verdict:
    """Compare a number with the expected one (relative tolerance `tol`, or 4-decimal rounding).

    mistakes maps a hint to the value that mistake produces, e.g.
    {"that is in bits; the course works in nats": 4.7549}.
    """
    if unanswered(answer):
        return Verdict("unanswered", NOT_ANSWERED)
    value = _as_float(answer)
    if value is None or math.isnan(value):
        return Verdict("wrong", f"expected a single number, got {answer!r}")
    if _near(value, expected, tol):
        return Verdict("correct", f"{_fmt(value)}")
    for why, wrong_value in (mistakes or {}).items():
        if _near(value, float(wrong_value), tol):
            return Verdict("wrong", f"{_fmt(value)}. Hint: {why}")
    if not math.isinf(expected) and abs(value - expected) <= close * max(1.0, abs(expected)):
        return Verdict("close", f"{_fmt(value)} is off by {_fmt(abs(value - expected))}; check your rounding or a small step")
    return Verdict("wrong", f"{_fmt(value)}." + (f" Hint: {hint}" if hint else " Look at the section above again."))


def max_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| over finite entries; inf where one has nan/inf and the other does not."""
    if a.size == 0:
        return 0.0
    same_special = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.all(finite | same_special):
        return math.inf
    return float(np.max(np.abs(a[finite] - b[finite]))) if finite.any() else 0.0


def check_relative(answer, expected: float, *, tol: float = 1e-3, close: float = 0.05, **kwargs) -> Verdict:
    """check_number with both tolerances scaled by |expected| when it is below 1.

    For answers that are small numbers (a probability of 0.002, a learning rate of 0.003),
    where check_number's `close` band, at least `close` wide, would call 0 close.
    """
    scale = min(1.0, abs(expected)) or 1.0
    return check_number(answer, expected, tol=tol * scale, close=close * scale, **kwargs)


def check_shape(answer, expected, *, mistakes: Mapping[str, tuple] | None = None) -> Verdict:
    """A shape given as a tuple or list of ints, e.g. (2, 3)."""
    if unanswered(answer):
        return Verdict("unanswered", NOT_ANSWERED)
    try:
        got = tuple(int(n) for n in answer)
    except (TypeError, ValueError):
        return Verdict("wrong", f"a shape is a tuple of sizes such as (2, 3); got {answer!r}")
    if got == tuple(expected):
        return Verdict("correct", f"{list(got)}")
    for why, wrong in (mistakes or {}).items():
        if got == tuple(wrong):
            return Verdict("wrong", f"{list(got)}. Hint: {why}")
    return Verdict("wrong", f"{list(got)}. Hint: the reduced dimension disappears; the others stay")


def check_array(answer, expected, *, tol: float = 1e-4,
                mistakes: Mapping[str, object] | None = None, hint: str = "") -> Verdict:
    """Compare an array answer with the expected array: shape first, then values."""
    if unanswered(answer):
        return Verdict("unanswered", NOT_ANSWERED)
    try:
        got = as_array(answer, "answer")
    except ValueError:
        return Verdict("wrong", f"expected an array of numbers, got {type(answer).__name__}")
    want = as_array(expected, "expected")
    if got.shape != want.shape:
        return Verdict("wrong", f"shape {list(got.shape)}, expected {list(want.shape)}. "
                                "Hint: check which dimension you reduced or indexed")
    diff = max_diff(got, want)
    if diff <= tol:
        return Verdict("correct", f"shape {list(got.shape)}, max difference {diff:.1e}")
    for why, wrong_value in (mistakes or {}).items():
        wrong = as_array(wrong_value)
        if wrong.shape == got.shape and max_diff(got, wrong) <= tol:
            return Verdict("wrong", f"Hint: {why}")
    return Verdict("wrong", f"max difference {diff:.4f}." + (f" Hint: {hint}" if hint else ""))


def check_choice(answer, expected, *, why_not: Mapping[str, str] | None = None,
                 options=None) -> Verdict:
    """A multiple-choice answer (a string, case-insensitive) or a set of them."""
    if unanswered(answer):
        return Verdict("unanswered", NOT_ANSWERED)

    def norm(a):
        if isinstance(a, (set, frozenset, list, tuple)):
            return frozenset(str(x).strip().lower() for x in a)
        return str(a).strip().lower()

    got, want = norm(answer), norm(expected)
    if options is not None:
        allowed = {str(o).lower() for o in options}
        picked = got if isinstance(got, frozenset) else {got}
        unknown = sorted(picked - allowed)
        if unknown:
            return Verdict("wrong", f"{unknown[0]!r} is not one of the options {sorted(allowed)}")
    if got == want:
        return Verdict("correct", str(answer))
    reasons = {str(k).lower(): v for k, v in (why_not or {}).items()}
    if isinstance(got, str) and got in reasons:
        return Verdict("wrong", f"{answer}. Hint: {reasons[got]}")
    return Verdict("wrong", f"{answer} is not it. Read the question once more.")


def check_function(fn, reference: Callable, cases, *, tol: float = 1e-6,
                   mistakes: Mapping[str, Callable] | None = None) -> Verdict:
    """Call a learner's function on each case (a tuple of arguments) and compare with reference."""
    if unanswered(fn):
        return Verdict("unanswered", NOT_ANSWERED)
    for args in cases:
        try:
            got = fn(*args)
        except NotImplementedError:
            return Verdict("unanswered", "your function still raises NotImplementedError; fill it in")
        except Exception as exc:  # a learner's bug is feedback, not a crash
            return Verdict("wrong", f"your function raised {type(exc).__name__}: {exc}")
        if unanswered(got):
            return Verdict("unanswered", "your function returns nothing yet")
        want = reference(*args)
        verdict = check_array(got, want, tol=tol) if np.ndim(want) else check_number(got, float(want), tol=tol)
        if verdict.status == "correct":
            continue
        for why, wrong_fn in (mistakes or {}).items():
            try:
                wrong = wrong_fn(*args)
            except Exception:
                continue
            if _matches(got, wrong, tol):
                return Verdict("wrong", f"Hint: {why}")
        return Verdict(verdict.status if verdict.status == "close" else "wrong",
                       f"on input {_short(args)}: {verdict.detail}")
    return Verdict("correct", f"matches the reference on {len(cases)} cases")


def _matches(got, want, tol: float) -> bool:
    if np.ndim(want):
        return check_array(got, want, tol=tol).status == "correct"
    return check_number(got, float(want), tol=tol).status == "correct"


def _short(args) -> str:
    text = ", ".join(np.array2string(np.asarray(a), precision=3, separator=",") if np.ndim(a) else repr(a)
                     for a in args)
    return text if len(text) < 80 else text[:77] + "..."


# --- the usual mistakes of a loss computation ----------------------------------------------

def loss_mistakes(logits, target) -> dict[str, float]:
    """What the common slips give for the mean cross-entropy of `logits` against `target`."""
    x = as_array(logits, "logits")
    correct = losses.cross_entropy(x, target)
    n = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
    out = {
        "that is in bits; the course works in nats (multiply bits by ln 2)": losses.to_bits(correct),
        "you applied softmax twice: cross_entropy expects logits, not probabilities":
            losses.cross_entropy(losses.softmax(x), target),
        "you took the log of the logits' softmax but forgot the minus sign": -correct,
        "log base 10 instead of the natural log": correct / math.log(10),
    }
    if n > 1:
        out["that is the sum over the batch; the loss is the mean (divide by N)"] = correct * n
    if x.ndim == 2 and x.shape[0] == x.shape[1]:
        out["softmax over the wrong dim: the classes are along dim=-1"] = losses.cross_entropy(x, target, dim=0)
    return out


def check_loss(answer, logits, target) -> Verdict:
    """Check a hand-computed mean cross-entropy, with hints for the usual slips."""
    return check_number(answer, losses.cross_entropy(logits, target),
                        mistakes=loss_mistakes(logits, target),
                        hint="pick the log-softmax of the true class in each row, negate, then average")
