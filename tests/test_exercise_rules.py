"""The exercise rules of CONTRIBUTING.md that a test can see in the committed notebooks.

No answer is printed before its exercise: the value a worked solution's checker calls
correct (to the 4 decimals the course prints) must not already appear in an output of the
lesson above that exercise's check cell. Unavoidable constants are allowed below, each
with its reason.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.checks import MARKS
from tools import nav

# value (as printed) -> why it may appear before an exercise whose answer it is
ALLOWED = {
    "0.6931": "ln 2, the loss of a coin-flip guess, is the course's reference unit (a bit in nats)",
}

CORRECT_NUMBER = re.compile(re.escape(MARKS["correct"]) + r": (-?\d+\.\d{4})(?!\d)")
CHECK_CALL = re.compile(r"\b(check_\w+)\s*\(")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def exercise_cells(path: Path) -> list[tuple[int, str]]:
    """(cell index, checker name) of every code cell that calls a checker, in order."""
    found = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            found += [(i, name) for name in CHECK_CALL.findall(_source(cell))]
    return found


def solved_numbers(path: Path) -> list[tuple[str, list[str]]]:
    """(checker name, numbers its ✓ lines print) per checker call in a solutions notebook."""
    found = []
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        names = CHECK_CALL.findall(_source(cell))
        numbers = CORRECT_NUMBER.findall(_output_text(cell))
        for name in names:
            found.append((name, numbers if len(names) == 1 else []))
    return found


def leaks(lesson: Path, solutions: Path) -> list[str]:
    """Exercise answers that an output of the lesson prints before the exercise's check cell."""
    cells = _cells(lesson)
    asked = exercise_cells(lesson)
    solved = solved_numbers(solutions)
    problems = []
    for name, numbers in solved:
        match = next((i for i, (cell, asked_name) in enumerate(asked) if asked_name == name), None)
        if match is None:
            continue
        cell_index = asked.pop(match)[0]
        earlier = "\n".join(_output_text(c) for c in cells[:cell_index] if c["cell_type"] == "code")
        for number in numbers:
            if number in ALLOWED:
                continue
            if re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", earlier):
                problems.append(f"{name}: its answer {number} is printed above the exercise (cell {cell_index})")
    return problems


LESSONS = [p for p in nav.lesson_paths() if exercise_cells(p)]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_no_exercise_answer_is_printed_before_its_exercise(lesson):
    solutions = lesson.parent / "solutions" / f"{lesson.stem}_solutions.ipynb"
    assert solutions.exists(), f"missing {solutions.name}"
    problems = leaks(lesson, solutions)
    assert not problems, "\n".join(problems)


def test_the_leak_scan_sees_a_leak(tmp_path):
    """A lesson that prints 3.2958 before asking for ln 27 is caught."""
    def nb(cells):
        return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}

    def code(src, text=""):
        outs = [{"output_type": "stream", "name": "stdout", "text": text}] if text else []
        return {"cell_type": "code", "source": src, "outputs": outs, "metadata": {}, "execution_count": None}

    lesson = tmp_path / "lesson.ipynb"
    lesson.write_text(json.dumps(nb([code("print(math.log(27))", "3.2958\n"),
                                     code("lesson.check_uniform_loss(answer, 27)", "… not answered yet\n")])))
    solutions = tmp_path / "solutions.ipynb"
    solutions.write_text(json.dumps(nb([code("lesson.check_uniform_loss(3.2958, 27)", "✓ correct: 3.2958\n")])))
    assert leaks(lesson, solutions) == ["check_uniform_loss: its answer 3.2958 is printed above the exercise (cell 1)"]
    lesson.write_text(json.dumps(nb([code("print(2 + 2)", "4\n"),
                                     code("lesson.check_uniform_loss(answer, 27)", "… not answered yet\n")])))
    assert leaks(lesson, solutions) == []
