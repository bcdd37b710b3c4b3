"""`import helpers` limits torch to one thread (or to $OMP_NUM_THREADS), whichever is imported first."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import threads

ROOT = Path(__file__).resolve().parent.parent


def threads_in_fresh_python(code: str, omp: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if omp is not None:
        env["OMP_NUM_THREADS"] = omp
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_torch_imported_first_is_limited_by_import_helpers():
    code = ("import os, torch\nbefore = torch.get_num_threads()\nimport helpers\n"
            "print(before, torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])")
    before, after, omp = threads_in_fresh_python(code, None).split()
    if (os.cpu_count() or 1) > 1:
        assert int(before) > 1, "the control: without helpers, torch would use every core"
    assert (after, omp) == ("1", "1")


def test_torch_imported_after_helpers_starts_with_one_thread():
    assert threads_in_fresh_python("import helpers, torch\nprint(torch.get_num_threads())", None) == "1"


def test_a_thread_count_set_before_start_wins():
    assert threads_in_fresh_python("import torch, helpers\nprint(torch.get_num_threads())", "2") == "2"


@pytest.mark.parametrize("value, expected", [("3", 3), ("", 1), ("0", 1), ("-2", 1), ("many", 1)])
def test_wanted_reads_a_positive_count_or_falls_back_to_one(monkeypatch, value, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert threads.wanted() == expected
