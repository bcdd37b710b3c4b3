"""Every exercise has a worked solution, and the lesson's own checker says correct on it.

nbval re-executes the solutions notebooks (strict), so the committed "✓ correct" lines are
re-computed on every run; this test makes sure they are all there and all correct.
"""
import ast
import json
from pathlib import Path

import pytest

from helpers.checks import MARKS
from tools import nav

ROOT = Path(__file__).resolve().parent.parent


def verdicts(path: Path) -> list[str]:
    found = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) or "".join(out.get("data", {}).get("text/plain", ""))
            found += [line for line in text.splitlines() if line.startswith(tuple(MARKS.values()))]
    return found


LESSONS_WITH_EXERCISES = [p for p in nav.lesson_paths() if verdicts(p)]


@pytest.mark.parametrize("lesson", LESSONS_WITH_EXERCISES, ids=lambda p: p.name)
def test_every_exercise_has_a_solution_the_checker_calls_correct(lesson):
    solutions = lesson.parent / "solutions" / f"{lesson.stem}_solutions.ipynb"
    assert solutions.exists(), f"missing {solutions.relative_to(ROOT)}"
    asked = verdicts(lesson)
    assert all(v.startswith(MARKS["unanswered"]) for v in asked), \
        f"{lesson.name}: a lesson ships its exercises unanswered, got {asked}"
    solved = verdicts(solutions)
    wrong = [v for v in solved if not v.startswith(MARKS["correct"])]
    assert not wrong, f"{solutions.name}: the checker does not say correct: {wrong}"
    assert len(solved) >= len(asked), f"{solutions.name}: {len(solved)} checked solutions for {len(asked)} exercises"


# --- each solution calls the lesson's checker exactly as the lesson does, answer aside --------------

def checker_calls(path: Path) -> list[str]:
    """Every check_*(...) call in the notebook's code cells, its answer (first argument) masked."""
    calls = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if not func.startswith("check_"):
                continue
            if node.args:
                node.args[0] = ast.Name("ANSWER")
            calls.append(ast.dump(node))
    return calls


@pytest.mark.parametrize("lesson", nav.lesson_paths(), ids=lambda p: p.name)
def test_each_solution_is_the_lessons_checker_call_with_only_the_answer_changed(lesson):
    """A lesson and its solutions notebook type each exercise's check twice; they must not drift apart."""
    solutions = lesson.parent / "solutions" / f"{lesson.stem}_solutions.ipynb"
    asked, solved = checker_calls(lesson), checker_calls(solutions)
    assert asked, f"{lesson.name} has no check_*(...) call"
    unsolved = [c for c in asked if c not in solved]
    assert not unsolved, f"{solutions.name} does not make these checks of {lesson.name} (answer aside): {unsolved}"
    drifted = [c for c in solved if c not in asked]
    assert not drifted, f"{solutions.name} checks differently from {lesson.name} (answer aside): {drifted}"
