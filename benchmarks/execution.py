"""Course execution: every notebook in a fresh kernel, against fresh kernels that only import.

    total  = sum over notebooks of (start a kernel + run every cell), as `make outputs` and
             nbval do it (nbclient, cwd = the notebook's folder);
    floor  = the same number of fresh kernels that only import the stack
             (numpy, torch, matplotlib.pyplot, ipywidgets, helpers);
    ratio  = total / floor; the target is at most 1.3: the lessons' own work should cost
             little next to starting Python and importing torch.

Run alone: .venv/bin/python -m benchmarks.execution [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent

IMPORT_ONLY = """\
import numpy as np
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt
import ipywidgets
import helpers
import helpers.widgets
"""


def course_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run_notebook(nb, folder: Path, extra_source: str | None = None, timeout: int = 600):
    """(seconds to start a fresh kernel and run every cell, stdout of `extra_source` run after).

    The clock stops before `extra_source` runs, so a probe does not count in the time.
    """
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        extra = None
        if extra_source is not None:
            cell = nbformat.v4.new_code_cell(extra_source)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            extra = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            if errors:
                raise RuntimeError(f"probe failed: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    return seconds, extra


def time_notebook(path: Path, extra_source: str | None = None):
    nb = nbformat.read(path, as_version=4)
    return run_notebook(nb, path.parent, extra_source)


def time_import_only(folder: Path) -> float:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(IMPORT_ONLY)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return run_notebook(nb, folder)[0]


def measure(paths: list[Path] | None = None, probe: str | None = None, log=print, repeats: int = 1) -> dict:
    """Per-notebook seconds, the import-only floor, and (optionally) each probe's output.

    Each notebook runs right after one import-only kernel, so the pair meets the same load (this
    machine's speed drifts by tens of percent over minutes); with `repeats` > 1 every notebook and
    every floor kernel is the median of that many runs.
    """
    paths = paths or course_notebooks()
    runs: dict[str, list[float]] = {p.name: [] for p in paths}
    floors: list[list[float]] = [[] for _ in paths]
    probes = {}
    for r in range(repeats):
        for k, path in enumerate(paths):
            floors[k].append(time_import_only(ROOT / "notebooks"))
            seconds, out = time_notebook(path, probe)
            runs[path.name].append(seconds)
            probes[path.name] = out
            log(f"  run {r + 1}/{repeats}: {path.name} {seconds:.1f} s (its import-only kernel {floors[k][-1]:.1f} s)")
    per_notebook = {name: statistics.median(v) for name, v in runs.items()}
    floor = [statistics.median(v) for v in floors]
    total, floor_total = sum(per_notebook.values()), sum(floor)
    return {"per_notebook": per_notebook, "total": total, "floor": floor_total, "repeats": repeats,
            "ratio": total / floor_total if floor_total else float("nan"), "probes": probes}


def table(result: dict) -> str:
    rows = ["| notebook | seconds (fresh kernel, all cells) |", "|---|---:|"]
    rows += [f"| {name} | {s:.1f} |" for name, s in result["per_notebook"].items()]
    rows.append(f"| **all {len(result['per_notebook'])} notebooks** | **{result['total']:.1f}** |")
    rows.append(f"| floor: {len(result['per_notebook'])} fresh kernels that only import the stack "
                f"| {result['floor']:.1f} |")
    target = "meets" if result["ratio"] <= 1.3 else "misses"
    rows.append(f"| **ratio** (target ≤ 1.3) | **{result['ratio']:.2f}** ({target}) |")
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="course execution against the import-only floor")
    parser.add_argument("--repeats", type=int, default=1, help="runs per notebook and floor kernel (medians)")
    res = measure(repeats=parser.parse_args().repeats)
    print(table(res))
    json.dump({k: v for k, v in res.items() if k != "probes"}, sys.stderr, indent=1)
