"""Every exercise checker in `helpers` has a table of answers, and meets the contract on it.

See tests/checker_contract.py for the contract and how to write a table. A new `check_*`
function without a table fails `test_every_checker_has_a_table`.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

import pytest

import helpers
from helpers import checks
from tests.checker_contract import Table, failures

TESTS = Path(__file__).resolve().parent


def checker_functions() -> dict[str, object]:
    """Every public check_* function defined in helpers that returns a Verdict, by qualified name."""
    found = {}
    for info in pkgutil.walk_packages(helpers.__path__, prefix="helpers."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if not name.startswith("check_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            returns = inspect.signature(fn).return_annotation
            if returns is checks.Verdict or "Verdict" in str(returns):
                found[f"{module.__name__}.{name}"] = fn
    return found


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_contract_{path.stem}_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checker_tables() -> list[Table]:
    """The CHECKER_TABLES of every test module under tests/ (the browser tests excepted)."""
    tables = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if "browser" in path.parts or path == Path(__file__).resolve():
            continue
        if "CHECKER_TABLES" not in path.read_text(encoding="utf-8"):
            continue
        tables += list(getattr(_load(path), "CHECKER_TABLES", []))
    return tables


CHECKERS = checker_functions()
TABLES = checker_tables()


def test_the_contract_finds_checkers_and_tables():
    assert "helpers.checks.check_number" in CHECKERS
    assert TABLES, "no CHECKER_TABLES found under tests/"


@pytest.mark.parametrize("qualified", sorted(CHECKERS))
def test_every_checker_has_a_table(qualified):
    covered = {t.name for t in TABLES}
    assert qualified in covered, (f"{qualified} has no table of answers: add a Table to CHECKER_TABLES "
                                  "in its lesson's test module (see tests/checker_contract.py)")


def _table_ids(tables: list[Table]) -> list[str]:
    """Stable ids (xdist workers must collect the same names): the checker and its table's number."""
    seen: dict[str, int] = {}
    ids = []
    for t in tables:
        seen[t.name] = seen.get(t.name, 0) + 1
        ids.append(f"{t.name}-{seen[t.name]}")
    return ids


@pytest.mark.parametrize("table", TABLES, ids=_table_ids(TABLES))
def test_checker_meets_the_contract(table):
    problems = failures(table)
    assert not problems, "\n".join(problems)
