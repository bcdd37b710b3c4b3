"""The contract every exercise checker meets, and the tables that show it.

Each `check_*` function in `helpers` (the shared ones in `helpers.checks`, each lesson's in
its lesson module) has a `Table` in the test module of its lesson (a module-level list named
`CHECKER_TABLES`). `tests/test_checker_contract.py` finds every checker and every table and
fails when a checker has none, then runs each table:

- every answer in `right` must be ✓ (give the right answer in the forms a learner types:
  `number_forms(x)` makes a float, a numpy scalar, a 0-d tensor and the 4-decimal rounding);
- every answer in `mistakes` must be ✗ with a message that contains its key (the hint);
- every answer in `wrong` (at least two plausible wrong answers) must be neither ✓ nor ≈;
- no answer, however odd, makes the checker raise.

When the checker's other arguments are costly to build (a trained model, a data set), pass
`setup=lambda: (args, kwargs)` instead of `args`: it runs once, when the table is first used,
not when the test module is imported.

Example (in tests/lessons/test_<slug>.py):

    CHECKER_TABLES = [
        Table(lesson.check_uniform_loss, args=(27,),
              right=number_forms(math.log(27)),
              mistakes={"bits": math.log2(27), "minus sign": -math.log(27)},
              wrong=[math.log(26), 1 / 27, 27.0]),
    ]
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

# Answers a learner might type by accident; a checker must return a Verdict for each.
ODD_ANSWERS = ["three", "", [], [1.0, 2.0], {"a": 1}, float("nan"), float("inf"), -1, object(),
               torch.zeros(2, 3), np.array([[0.123]])]


@dataclass
class Table:
    checker: Callable
    right: list
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    mistakes: dict[str, Any] = field(default_factory=dict)
    wrong: list = field(default_factory=list)
    min_wrong: int = 2  # a table documents at least this many further wrong answers
    setup: Callable | None = None  # optional: returns (args, kwargs), built on first use (a trained model, say)

    def _arguments(self) -> tuple[tuple, dict]:
        if self.setup is None:
            return self.args, self.kwargs
        if not hasattr(self, "_built"):
            args, kwargs = self.setup()
            self._built = (tuple(args), {**self.kwargs, **kwargs})
        return self._built

    @property
    def name(self) -> str:
        return f"{self.checker.__module__}.{self.checker.__name__}"

    def verdict(self, answer):
        args, kwargs = self._arguments()
        return self.checker(answer, *args, **kwargs)


def number_forms(x: float) -> list:
    """The right number as a learner may give it: float, numpy scalar, 0-d tensor, 4 decimals."""
    x = float(x)
    forms = [x, np.float64(x), torch.tensor(x, dtype=torch.float64)]
    if math.isfinite(x):
        forms.append(round(x, 4))
    return forms


def sequence_forms(values) -> list:
    """A right list of numbers as a list, a tuple and a numpy array."""
    values = list(values)
    return [values, tuple(values), np.asarray(values)]


def failures(table: Table) -> list[str]:
    """Everything in the table the checker gets wrong (empty when it meets the contract)."""
    found = []
    if len(table.wrong) < table.min_wrong:
        found.append(f"{table.name}: list at least {table.min_wrong} further plausible wrong answers")
    if not table.right:
        found.append(f"{table.name}: the table gives no right answer")
    for answer in table.right:
        v = table.verdict(answer)
        if v.status != "correct":
            found.append(f"{table.name}: the right answer {answer!r} is judged {v.message!r}")
    for hint, answer in table.mistakes.items():
        v = table.verdict(answer)
        if v.status != "wrong" or hint.lower() not in v.message.lower():
            found.append(f"{table.name}: mistake {answer!r} should be ✗ with a hint containing {hint!r}; got {v.message!r}")
    for answer in table.wrong:
        v = table.verdict(answer)
        if v.status in ("correct", "close"):
            found.append(f"{table.name}: wrong answer {answer!r} is judged {v.message!r}")
    for answer in ODD_ANSWERS:
        try:
            v = table.verdict(answer)
        except Exception as exc:  # the contract: feedback, never a crash
            found.append(f"{table.name}: raised {type(exc).__name__} on answer {answer!r}: {exc}")
            continue
        if v.status == "correct":
            found.append(f"{table.name}: the odd answer {answer!r} is judged correct")
    return found
