"""Exercise checkers: right answers pass, the usual mistakes get their hint, nothing raises."""
import math

import numpy as np
import torch

from helpers import checks, losses

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
    close = checks.check_number(3.35, math.log(27))
    assert close.status == "close" and "off by 0.0542" in close.message
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
    assert checks.check_shape(..., (2, 3)).status == "unanswered"


def test_small_answers_use_a_relative_tolerance_but_allow_rounding_to_four_decimals():
    assert checks.check_number(0.0025, 0.003125).status != "correct"
    assert checks.check_number(0.0031, 0.003125).status == "correct"   # rounded to 4 decimals
    assert checks.check_number(0.0284, 0.02843).status == "correct"
    assert checks.check_number(0.0, 0.002).status != "correct"
    assert checks.check_number(0.0, 0.0).status == "correct"
    assert checks.check_number(24.62, 24.6169).status == "correct"
