"""Exercise checkers: right answers pass, the usual mistakes get their hint, nothing raises."""
import math

import numpy as np
import pytest
import torch

from helpers import checks, losses
from tests.checker_contract import Table, number_forms, sequence_forms

LOGITS = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0]])
TARGET = np.array([0, 1, 2])


def test_blank_answers_are_not_answered_yet():
    for blank in (None, ...):
        v = checks.check_number(blank, 1.0)
        assert v.status == "unanswered" and not v
        assert "not answered yet" in repr(v)
    assert checks.check_array(..., [1, 2]).status == "unanswered"
    assert checks.check_choice(None, "a").status == "unanswered"
    assert checks.check_function(..., abs, [(1,)]).status == "unanswered"


def test_correct_close_and_wrong_numbers():
    assert checks.check_number(math.log(27), 3.2958).status == "correct"
    assert checks.check_number(torch.tensor(3.2958), math.log(27)).status == "correct"
    close = checks.check_number(3.30, math.log(27))  # 0.13 % off: a rounding-sized slip
    assert close.status == "close" and "off by 0.0042" in close.message
    assert checks.check_number(3.35, math.log(27)).status == "wrong"  # 1.6 % off is not "close"
    assert checks.check_number(7.0, math.log(27)).status == "wrong"


def test_garbage_answers_are_feedback_not_exceptions():
    assert checks.check_number("three", 3.0).status == "wrong"
    assert checks.check_number([1.0, 2.0], 3.0).status == "wrong"
    assert checks.check_number(float("nan"), 3.0).status == "wrong"
    assert checks.check_array("abc", [1.0]).status == "wrong"


def test_loss_mistakes_get_their_hints():
    right = losses.cross_entropy(LOGITS, TARGET)
    assert checks.check_loss(right, LOGITS, TARGET).status == "correct"
    cases = {
        "bits": losses.to_bits(right),
        "softmax twice": losses.cross_entropy(losses.softmax(LOGITS), TARGET),
        "sum over the batch": right * 3,
        "minus sign": -right,
        "wrong dim": losses.cross_entropy(LOGITS, TARGET, dim=0),
    }
    for words, value in cases.items():
        v = checks.check_loss(value, LOGITS, TARGET)
        assert v.status == "wrong", words
        assert words in v.message, (words, v.message)


def test_check_array_shape_and_mistake_hints():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    want = losses.softmax(x, -1)
    assert checks.check_array(want, want).status == "correct"
    v = checks.check_array(losses.softmax(x, 0), want, mistakes={"wrong dim: rows must sum to 1": losses.softmax(x, 0)})
    assert v.status == "wrong" and "wrong dim" in v.message
    assert "shape [2]" in checks.check_array([1.0, 2.0], want).message


def test_check_choice():
    assert checks.check_choice("Likelihood", "likelihood").status == "correct"
    assert checks.check_choice({"b", "a"}, ["a", "b"]).status == "correct"
    v = checks.check_choice("probability", "likelihood", why_not={"probability": "θ varies, x is fixed"})
    assert v.status == "wrong" and "θ varies" in v.message
    assert "not one of the options" in checks.check_choice("z", "a", options=["a", "b"]).message


def test_check_function_reports_bugs_and_mistakes():
    def ref(x):
        return losses.softmax(x)

    cases = [(np.array([1.0, 2.0, 3.0]),), (np.array([[0.0, 1.0], [2.0, -1.0]]),)]
    assert checks.check_function(ref, ref, cases).status == "correct"

    def raises(x):
        raise NotImplementedError

    assert checks.check_function(raises, ref, cases).status == "unanswered"

    def buggy(x):
        return 1 / 0

    v = checks.check_function(buggy, ref, cases)
    assert v.status == "wrong" and "ZeroDivisionError" in v.message

    def no_max_shift(x):
        return np.exp(x) / np.exp(x).sum()  # sums over everything: wrong for 2-D input

    v = checks.check_function(no_max_shift, ref, cases,
                              mistakes={"you normalised over the whole array, not each row": no_max_shift})
    assert v.status == "wrong" and "whole array" in v.message


def test_check_array_treats_matching_nan_and_inf_as_equal_and_mismatches_as_wrong():
    a = np.array([0.0, -np.inf, np.nan])
    assert checks.check_array(a, a.copy()).status == "correct"
    assert checks.check_array(np.array([0.0, -1.0, np.nan]), a).status == "wrong"
    assert checks.max_diff(np.array([1.0, np.inf]), np.array([1.5, np.inf])) == 0.5


def test_check_shape():
    assert checks.check_shape((2, 3), (2, 3)).status == "correct"
    assert checks.check_shape(torch.Size([2, 3]), (2, 3)).status == "correct"
    v = checks.check_shape((2, 4), (2, 3), mistakes={"you summed over the wrong dim": (2, 4)})
    assert v.status == "wrong" and "wrong dim" in v.message
    assert checks.check_shape("2x3", (2, 3)).status == "wrong"
    assert checks.check_shape([np.int64(2), np.int32(3)], (2, 3)).status == "correct"
    assert checks.check_shape(..., (2, 3)).status == "unanswered"


def test_small_answers_use_a_relative_tolerance_but_allow_rounding_to_four_decimals():
    assert checks.check_number(0.0025, 0.003125).status != "correct"
    assert checks.check_number(0.0031, 0.003125).status == "correct"   # rounded to 4 decimals
    assert checks.check_number(0.0284, 0.02843).status == "correct"
    assert checks.check_number(0.0, 0.002).status != "correct"
    assert checks.check_number(0.0, 0.0).status == "correct"
    assert checks.check_number(24.62, 24.6169).status == "correct"


# --- regression tests for the checker defects of issue 13 --------------------------------

@pytest.mark.parametrize("bad", [(2.5, 3), "23", (2.0, 3), (True, 3), (-2, 3), [[2], [3]], np.zeros((2, 3))])
def test_check_shape_refuses_anything_but_whole_number_sizes(bad):
    v = checks.check_shape(bad, (2, 3))
    assert v.status == "wrong" and not v
    assert "shape is a tuple" in v.message


def test_check_shape_names_a_tensor_given_instead_of_its_shape():
    assert ".shape" in checks.check_shape(torch.zeros(2, 3), (2, 3)).message


@pytest.mark.parametrize("answer, expected", [
    (0.16, 0.2),                      # 20 % off
    (math.log(9), math.log(10)),      # a wrong class count
    (0.72, 0.75),                     # 4 % off
    (1.0, 1.02),                      # 2 % off
])
def test_conceptual_slips_are_not_close(answer, expected):
    v = checks.check_number(answer, expected)
    assert v.status == "wrong", v.message
    assert "rounding" not in v.message


def test_close_means_a_rounding_sized_difference_and_says_so():
    v = checks.check_number(2.30, math.log(10))    # rounded to 2 decimals: 0.11 % off
    assert v.status == "close" and "decimals" in v.message
    assert checks.check_number(2.3026, math.log(10)).status == "correct"


def test_rounding_allowance_only_for_answers_typed_to_four_decimals():
    want = 1.23456789
    assert checks.check_number(1.2346, want, tol=1e-6).status == "correct"         # a 4-decimal answer
    assert checks.check_number(want + 4e-5, want, tol=1e-6).status != "correct"    # a computed one
    assert checks.check_number(1.2346, want, tol=1e-6, rounding=False).status != "correct"
    assert checks.check_number(torch.tensor(3.2958), math.log(27)).status == "correct"  # float32 of 3.2958


def test_check_function_means_its_stated_tolerance():
    want = 1.23456789
    v = checks.check_function(lambda: want + 4e-5, lambda: want, [()], tol=1e-6)
    assert v.status != "correct"
    assert checks.check_function(lambda: want + 1e-7, lambda: want, [()], tol=1e-6).status == "correct"


@pytest.mark.parametrize("count", [2, 10, 27, 1000, 50257])
def test_log_count_answers_never_accept_another_count(count):
    assert checks.check_log_count(math.log(count), count).status == "correct"
    assert checks.check_log_count(np.float32(math.log(count)), count).status in ("correct", "close")
    for other in {count - 1, count + 1, count * 2, max(count - 257, 1)} - {count}:
        v = checks.check_log_count(math.log(other), count)
        assert v.status == "wrong", (other, v.message)


def test_log_count_names_the_count_the_answer_implies():
    v = checks.check_log_count(math.log(50000), 50257)
    assert v.status == "wrong" and "ln 50000" in v.message
    v = checks.check_log_count(math.log(9), 10)
    assert v.status == "wrong" and "ln 9" in v.message


def test_log_count_asks_for_decimals_when_four_cannot_decide():
    v = checks.check_log_count(round(math.log(50257), 4), 50257)
    assert v.status in ("correct", "close")
    if v.status == "close":
        assert "more decimals" in v.message
    assert checks.check_log_count(round(math.log(27), 4), 27).status == "correct"


# --- the contract tables of the shared checkers (tests/test_checker_contract.py runs them) ---

def _softmax_ref(x):
    return losses.softmax(x)


def _softmax_no_shift(x):
    e = np.exp(np.asarray(x, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_whole_array(x):
    e = np.exp(np.asarray(x, dtype=float))
    return e / e.sum()


_SOFTMAX_CASES = [(np.array([1.0, 2.0, 3.0]),), (np.array([[0.0, 1.0], [2.0, -1.0]]),)]

CHECKER_TABLES = [
    Table(checks.check_number, args=(math.log(10),), kwargs={"mistakes": {"bits": math.log2(10)}},
          right=number_forms(math.log(10)),
          mistakes={"bits": math.log2(10)},
          wrong=[math.log(9), 2.2, 0.1, -math.log(10)]),
    Table(checks.check_log_count, args=(27,), kwargs={"mistakes": {"bits": math.log2(27)}},
          right=number_forms(math.log(27)),
          mistakes={"bits": math.log2(27), "ln 26": math.log(26)},
          wrong=[1 / 27, 3.2, -math.log(27)]),
    Table(checks.check_shape, args=((2, 3),), kwargs={"mistakes": {"wrong dim": (2, 4)}},
          right=[(2, 3), [2, 3], torch.Size([2, 3]), (np.int64(2), np.int64(3))],
          mistakes={"wrong dim": (2, 4), "reduced dimension": (3, 2), "shape is a tuple": (2.5, 3)},
          wrong=["23", (2,), (2, 3, 1)]),
    Table(checks.check_array, args=([0.25, 0.75],), kwargs={"mistakes": {"swapped": [0.75, 0.25]}},
          right=sequence_forms([0.25, 0.75]) + [torch.tensor([0.25, 0.75])],
          mistakes={"swapped": [0.75, 0.25]},
          wrong=[[0.25, 0.70], [0.5, 0.5], [0.25, 0.75, 0.0]]),
    Table(checks.check_choice, args=("likelihood",),
          kwargs={"why_not": {"probability": "θ varies"}, "options": ["likelihood", "probability", "posterior"]},
          right=["likelihood", "Likelihood ", "LIKELIHOOD"],
          mistakes={"θ varies": "probability", "not one of the options": "likelyhood"},
          wrong=["posterior", ["likelihood", "probability"]]),
    Table(checks.check_function, args=(_softmax_ref, _SOFTMAX_CASES),
          kwargs={"mistakes": {"whole array": _softmax_whole_array}},
          right=[_softmax_ref, _softmax_no_shift, lambda x: torch.softmax(torch.as_tensor(x), -1)],
          mistakes={"whole array": _softmax_whole_array, "raised ZeroDivisionError": lambda x: 1 / 0},
          wrong=[lambda x: np.exp(x), lambda x: np.asarray(x) / np.asarray(x).sum(-1, keepdims=True)]),
    Table(checks.check_loss, args=(LOGITS, TARGET),
          right=number_forms(losses.cross_entropy(LOGITS, TARGET)),
          mistakes={"bits": losses.to_bits(losses.cross_entropy(LOGITS, TARGET)),
                    "softmax twice": losses.cross_entropy(losses.softmax(LOGITS), TARGET),
                    "sum over the batch": 3 * losses.cross_entropy(LOGITS, TARGET),
                    "minus sign": -losses.cross_entropy(LOGITS, TARGET)},
          wrong=[losses.cross_entropy(LOGITS, np.array([1, 0, 2])), 1.0, 0.0]),
]
