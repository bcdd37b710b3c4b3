"""Where a lesson's execution time goes: imports, drawing figures, and everything else.

Runs every lesson's code cells in order in one IPython shell in this process (no kernel, no
messages; the Agg backend), after the shared stack is imported, and splits each lesson's time into
    setup   = its first code cell (the lesson's own imports and data; the stack is already loaded),
    figures = time inside the course's two drawing paths: `helpers.plots.picture` (a finished
              figure) and `helpers.widgets.LiveFigure.draw` (a widget's figure, first draw and
              every redraw), PNG encoding included,
    other   = the rest: the computations the lesson prints, widgets' compute functions, checkers.
Compare with `execution.py`, which runs each lesson in a fresh kernel: the difference is the kernel
(start, imports) and its messages.

Run alone: .venv/bin/python -m benchmarks.execution_breakdown
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path

import nbformat

from benchmarks.execution import IMPORT_ONLY, course_notebooks


def _timer(owner, name: str, spent: list) -> None:
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    setattr(owner, name, timed)


def measure(paths: list[Path] | None = None) -> dict:
    import matplotlib
    matplotlib.use("Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell(IMPORT_ONLY, silent=True)   # the stack, as the floor kernel imports it
    import helpers.plots
    import helpers.widgets

    spent = [0.0]
    _timer(helpers.plots, "picture", spent)
    _timer(helpers.widgets.LiveFigure, "draw", spent)
    rows = {}
    here = os.getcwd()
    try:
        for path in paths or course_notebooks():
            os.chdir(path.parent)
            nb = nbformat.read(path, as_version=4)
            code = [c.source for c in nb.cells if c.cell_type == "code" and c.source.strip()]
            row = {"setup": 0.0, "figures": 0.0, "other": 0.0, "cells": len(code)}
            for index, source in enumerate(code):
                before, start = spent[0], time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    result = shell.run_cell(source, silent=True)
                seconds, drawing = time.perf_counter() - start, spent[0] - before
                if not result.success:
                    raise RuntimeError(f"{path.name}, code cell {index + 1} failed: {result.error_in_exec!r}")
                if index == 0:
                    row["setup"] += seconds
                else:
                    row["figures"] += drawing
                    row["other"] += seconds - drawing
            rows[path.name] = row
            shell.reset(new_session=False)
            shell.run_cell(IMPORT_ONLY, silent=True)
    finally:
        os.chdir(here)
    return rows


def table(rows: dict) -> str:
    out = ["| notebook | code cells | setup s | figures s | other s |", "|---|---:|---:|---:|---:|"]
    for name, r in rows.items():
        out.append(f"| {name[:2]} | {r['cells']} | {r['setup']:.2f} | {r['figures']:.2f} | {r['other']:.2f} |")
    total = {k: sum(r[k] for r in rows.values()) for k in ("cells", "setup", "figures", "other")}
    out.append(f"| **all** | {total['cells']} | {total['setup']:.2f} | {total['figures']:.2f} | {total['other']:.2f} |")
    return "\n".join(out)


if __name__ == "__main__":
    print(table(measure([Path(a).resolve() for a in sys.argv[1:]] or None)))
