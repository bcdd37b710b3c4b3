"""The layout CONTRIBUTING.md describes: one place per lesson, one meaning per name, small modules.

- Every lesson notebook NN_<slug>.ipynb has, under the same slug, its lesson code
  (helpers/lessons/<slug>.py, or the package helpers/lessons/<slug>/), its tests
  (tests/lessons/test_<slug>.py) and its worked solutions
  (notebooks/solutions/NN_<slug>_solutions.ipynb); nothing in those folders is orphaned.
- Every notebook imports its own lesson the same way: `from helpers.lessons import <slug> as lesson`.
- Every shared helpers module or package has tests/test_<name>.py.
- No module in helpers/ is over 400 lines, and no name is defined in two helpers modules.
- The Makefile runs the course's tools as modules (`python -m tools.x`).
"""
from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from tools import nav

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
LESSONS = HELPERS / "lessons"
MAX_LINES = 400


def slug(notebook: Path) -> str:
    """03_nll_and_cross_entropy.ipynb -> nll_and_cross_entropy"""
    return re.sub(r"^\d\d_", "", notebook.stem)


NOTEBOOKS = nav.lesson_paths()
SLUGS = [slug(p) for p in NOTEBOOKS]


def lesson_code(name: str) -> Path | None:
    for path in (LESSONS / f"{name}.py", LESSONS / name / "__init__.py"):
        if path.exists():
            return path
    return None


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_each_lesson_has_its_code_tests_and_solutions_under_one_slug(notebook):
    name = slug(notebook)
    assert lesson_code(name), f"missing helpers/lessons/{name}.py (or the package helpers/lessons/{name}/)"
    assert (ROOT / "tests" / "lessons" / f"test_{name}.py").exists(), f"missing tests/lessons/test_{name}.py"
    solutions = notebook.parent / "solutions" / f"{notebook.stem}_solutions.ipynb"
    assert solutions.exists(), f"missing {solutions.relative_to(ROOT)}"


def code_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_imports_its_own_lesson_as_lesson(notebook):
    line = f"from helpers.lessons import {slug(notebook)} as lesson"
    solutions = notebook.parent / "solutions" / f"{notebook.stem}_solutions.ipynb"
    for path in (notebook, solutions):
        code = code_cells(path)
        imported = {m for src in code for m in re.findall(r"^from helpers\.lessons(?:\.\w+)? import (\w+)", src, re.M)}
        assert imported <= {slug(notebook)}, f"{path.name} imports lesson code other than `{line}`: {imported}"
        if path == notebook or any("lesson." in src for src in code):
            assert any(line in src for src in code), f"{path.name}: import the lesson's code with `{line}`"


def test_nothing_is_orphaned():
    code = {p.stem for p in LESSONS.glob("*.py") if p.name != "__init__.py"}
    code |= {p.name for p in LESSONS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert code == set(SLUGS), f"lesson code without a notebook: {sorted(code - set(SLUGS))}"
    tests = {p.stem.removeprefix("test_") for p in (ROOT / "tests" / "lessons").glob("test_*.py")}
    assert tests == set(SLUGS), f"lesson tests without a notebook: {sorted(tests - set(SLUGS))}"
    solutions = {p.stem.removesuffix("_solutions") for p in nav.solution_paths()}
    assert solutions == {p.stem for p in NOTEBOOKS}, f"solutions without a lesson: {sorted(solutions - {p.stem for p in NOTEBOOKS})}"


def test_every_shared_helpers_module_has_its_test_file():
    shared = {p.stem for p in HELPERS.glob("*.py") if p.name != "__init__.py"}
    shared |= {p.name for p in HELPERS.iterdir() if p.is_dir() and p.name != "lessons" and (p / "__init__.py").exists()}
    missing = sorted(name for name in shared if not (ROOT / "tests" / f"test_{name}.py").exists())
    assert not missing, f"no tests/test_<name>.py for helpers modules {missing}"


def helpers_modules() -> list[Path]:
    return sorted(p for p in HELPERS.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", helpers_modules(), ids=lambda p: str(p.relative_to(HELPERS)))
def test_no_helpers_module_is_over_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it by job (see CONTRIBUTING.md)"


def top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names.add(name.id)
    return names - {"__all__"}


def test_no_name_is_defined_in_two_helpers_modules():
    """One meaning per name: a function, class or constant is defined in one module only."""
    where = defaultdict(list)
    for path in helpers_modules():
        for name in top_level_names(path):
            where[name].append(str(path.relative_to(HELPERS)))
    twice = {name: places for name, places in where.items() if len(places) > 1}
    assert not twice, f"defined in more than one helpers module: {twice}"


def test_the_makefile_runs_tools_as_modules():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    scripts = re.findall(r"\b(?:tools|benchmarks)/\w+\.py\b", makefile)
    assert not scripts, f"run these as modules (python -m tools.x): {scripts}"
