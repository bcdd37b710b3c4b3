"""ruff (pyflakes F and bugbear B rules, as configured in pyproject.toml) finds nothing.

It checks helpers, tools, tests, benchmarks, data/build_names.py and the notebooks' code
cells: unused imports and variables, undefined names, likely bugs. Fix what it reports, or
run `.venv/bin/ruff check --fix .` for the safe fixes.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"ruff check reports:\n{proc.stdout}{proc.stderr}"
    assert "All checks passed" in proc.stdout


def test_ruff_checks_the_notebooks_too():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--show-files", "."],
                          cwd=ROOT, capture_output=True, text=True)
    checked = proc.stdout
    assert "00_start_here.ipynb" in checked and "_solutions.ipynb" in checked and "helpers/losses" in checked
