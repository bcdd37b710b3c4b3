"""Execute notebooks top to bottom in a fresh kernel and save their outputs in place.

`make outputs` runs this; it is the only way committed outputs change. A notebook that
raises is reported and left unchanged, so an error output is never committed.
Widget state is saved in the notebook, so the static edition can show the sliders.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import nav

ROOT = Path(__file__).resolve().parent.parent


def all_notebooks() -> list[Path]:
    return nav.lesson_paths() + nav.solution_paths()


def execute(path: Path, timeout: int = 600) -> float:
    """Run one notebook in a fresh kernel, in its own folder; return seconds taken."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        store_widget_state=True, resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(nb, path)
    return seconds


def coalesce_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same stream into one.

    How a cell's printed text is cut into messages depends on timing (the kernel flushes its
    buffer every few milliseconds), so without this the same text is stored in one block or two,
    and the static pages show a seam. nbval compares the joined text either way.
    """
    joined: list = []
    for out in outputs:
        prev = joined[-1] if joined else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = prev["text"] + out["text"]
        else:
            joined.append(out)
    return joined


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or all_notebooks()
    failed = []
    for path in paths:
        try:
            seconds = execute(path)
        except CellExecutionError as exc:
            failed.append(path)
            print(f"FAILED {path.relative_to(ROOT)} (left unchanged):\n{str(exc)[-2000:]}", file=sys.stderr)
            continue
        print(f"executed {path.relative_to(ROOT)} in {seconds:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
