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


def as_number(answer) -> float | None:
    """One number from a learner's answer (float, int, numpy scalar, 0-d or 1-element tensor), else None."""
    try:
        arr = np.asarray(to_numpy(answer), dtype=np.float64)
        return float(arr) if arr.size == 1 else None
    except (TypeError, ValueError):
        return None


ROUNDING = 5e-5  # half a unit in the 4th decimal: an answer rounded as the course prints still counts
CLOSE = 0.01     # "close" is a rounding-sized slip: within 1 % of the expected value


def looks_rounded(value: float, decimals: int = 4) -> bool:
    """True if value has at most `decimals` decimals (a number typed from a printout).

    The check allows for float32 (a 0-d tensor of 3.2958 is 3.29579997...).
    """
    if not math.isfinite(value):
        return False
    return abs(value - round(value, decimals)) <= 1e-6 * max(1.0, abs(value))


def _near(a: float, b: float, tol: float, rounding: bool = True) -> bool:
    """Relative tolerance `tol`, so small answers (0.003125 vs 0.0025) are not waved through.

    With `rounding`, an answer typed to 4 decimals may also be off by half a unit in the
    4th decimal. A computed answer (more decimals than that) must be within `tol`.
    """
    if math.isinf(a) or math.isinf(b):
        return a == b
    allowed = tol * abs(b)
    if rounding and looks_rounded(a):
        allowed = max(allowed, ROUNDING)
    return abs(a - b) <= allowed


def check_number(answer, expected: float, *, tol: float = 1e-3, close: float = CLOSE,
                 mistakes: Mapping[str, float] | None = None, hint: str = "",
                 rounding: bool = True) -> Verdict:
    """Compare a number with the expected one.

    correct: within the relative tolerance `tol` (default 0.1 %), or, for an answer typed
        to 4 decimals, within the rounding of the 4th decimal (unless rounding=False: then
        `tol` is the whole tolerance, as a checker that states "to 1e-6" must mean).
    wrong with a hint: the answer matches a known mistake. `mistakes` maps a hint to the
        value that mistake produces, e.g. {"that is in bits; the course works in nats": 4.7549}.
    close: within `close` relative (default 1 %): a rounding-sized difference, not a
        conceptual slip.
    wrong: anything else, with `hint` if given.
    """
    if unanswered(answer):
        return Verdict("unanswered", NOT_ANSWERED)
    value = as_number(answer)
    if value is None or math.isnan(value):
        return Verdict("wrong", f"expected a single number, got {answer!r}")
    if _near(value, expected, tol, rounding):
        return Verdict("correct", f"{_fmt(value)}")
    for why, wrong_value in (mistakes or {}).items():
        if _near(value, float(wrong_value), tol, rounding):
            return Verdict("wrong", f"{_fmt(value)}. Hint: {why}")
    if math.isfinite(expected) and math.isfinite(value) and abs(value - expected) <= close * abs(expected):
        return Verdict("close", f"{_fmt(value)} is off by {_fmt(abs(value - expected))} "
                                f"({abs(value - expected) / abs(expected):.2%}): a rounding-sized "
                                "difference; keep more decimals (or compute it in code)")
    return Verdict("wrong", f"{_fmt(value)}." + (f" Hint: {hint}" if hint else " Look at the section above again."))


def check_log_count(answer, count: int, *, mistakes: Mapping[str, float] | None = None,
                    hint: str = "") -> Verdict:
    """An answer that is ln(count), e.g. the loss of a uniform guess over `count` classes.

    Judged so that a different count is always wrong: the answer must be nearer ln(count)
    than ln(count ± 1). For large counts 4 decimals cannot tell them apart (ln 50257 and
    ln 50256 differ by 2e-5); such an answer is "close", with a request for more decimals.
    """
    if unanswered(answer):
        return Verdict("unanswered", NOT_ANSWERED)
    value = as_number(answer)
    if value is None or math.isnan(value):
        return Verdict("wrong", f"expected a single number, got {answer!r}")
    want = math.log(count)
    gap = 0.5 * min(math.log(count + 1) - want, want - math.log(count - 1) if count > 1 else math.inf)
    if abs(value - want) < min(gap, 1e-3 * want if count > 1 else 1e-9):
        return Verdict("correct", f"{_fmt(value)} = ln {count}")
    for why, wrong_value in (mistakes or {}).items():
        if _near(value, float(wrong_value), 1e-6, rounding=True):
            return Verdict("wrong", f"{_fmt(value)}. Hint: {why}")
    if math.isfinite(value) and looks_rounded(value) and abs(value - want) <= ROUNDING:
        return Verdict("close", f"{_fmt(value)}: with {count} classes 4 decimals cannot tell ln {count} "
                                f"from ln {count - 1} or ln {count + 1}; give more decimals (math.log)")
    if math.isfinite(value) and 0 < value < 50:
        implied = round(math.exp(value))
        if implied != count and abs(value - math.log(implied)) <= max(ROUNDING, 1e-6 * value):
            return Verdict("wrong", f"{_fmt(value)} is ln {implied}, not ln {count}. Hint: count the classes again")
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


def _as_shape(answer) -> tuple[int, ...] | None:
    """A shape is a sequence of non-negative ints (Python or numpy ints, or a torch.Size).

    Anything else is None: a string ("23" iterates as characters), floats (int(2.5) would
    truncate), bools, negative sizes, or nested sequences.
    """
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__") or hasattr(answer, "dtype"):
        # a tensor or array is the thing, not its shape; a string is not a shape
        return None
    sizes = list(answer)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)) for n in sizes):
        return None
    if any(n < 0 for n in sizes):
        return None
    return tuple(int(n) for n in sizes)


def check_shape(answer, expected, *, mistakes: Mapping[str, tuple] | None = None) -> Verdict:
    """A shape given as a tuple or list of ints, e.g. (2, 3), or a torch.Size."""
    if unanswered(answer):
        return Verdict("unanswered", NOT_ANSWERED)
    got = _as_shape(answer)
    if got is None:
        hint = " (that is a tensor; give its .shape)" if hasattr(answer, "shape") else ""
        return Verdict("wrong", f"a shape is a tuple of whole-number sizes such as (2, 3); got {answer!r}{hint}")
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
        verdict = (check_array(got, want, tol=tol) if np.ndim(want)
                   else check_number(got, float(want), tol=tol, rounding=False))
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
    return check_number(got, float(want), tol=tol, rounding=False).status == "correct"


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
