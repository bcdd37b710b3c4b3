"""Ready for a class: no network, no stray files, two learners at once in one checkout."""
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools import nav

ROOT = Path(__file__).resolve().parent.parent
GUARD = Path(__file__).resolve().parent / "network_guard"
LESSONS = nav.lesson_paths()
NETWORK = re.compile(r"^\s*(?:import|from)\s+(urllib|requests|http|httpx|socket|ftplib|aiohttp)\b|pip install|urlopen", re.M)
WRITES = re.compile(r"open\([^)]*['\"][wa]b?['\"]|\.savefig\(|torch\.save\(|np\.save|\.to_csv\(|write_text\(|write_bytes\(")

RUN = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
cells = []  # a cell's stream output may come in more chunks in one run than the other: join them
for cell in nb.cells:
    cells.append("".join(out.get("text", "") or out.get("data", {}).get("text/plain", "")
                         for out in cell.get("outputs", [])))
print("\\n".join(cells))
"""


def code_of(path: Path) -> str:
    if path.suffix == ".py":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


COURSE_CODE = [*LESSONS, *nav.solution_paths(), *sorted((ROOT / "helpers").glob("*.py"))]


@pytest.mark.parametrize("path", COURSE_CODE, ids=lambda p: p.name)
def test_course_code_neither_uses_the_network_nor_writes_files(path):
    code = code_of(path)
    assert not NETWORK.search(code), f"{path.name} reaches for the network: {NETWORK.search(code).group(0)!r}"
    assert not WRITES.search(code), f"{path.name} writes a file: {WRITES.search(code).group(0)!r}"


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def run_guarded(notebook: Path) -> str:
    """Execute a notebook in a fresh kernel with the network blocked; return its text outputs."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(GUARD), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    done = subprocess.run([sys.executable, "-c", RUN, str(notebook), str(notebook.parent)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, f"{notebook.name} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_network_guard_blocks_outside_connections():
    env = dict(os.environ, PYTHONPATH=str(GUARD))
    probe = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env).stdout
    assert "network access is blocked" in out


@pytest.mark.parametrize("notebook", [ROOT / "notebooks" / "04_mm_surprise_game.ipynb"], ids=lambda p: p.name)
def test_two_learners_run_one_notebook_at_once_offline(notebook):
    """Two kernels execute the same notebook in the same checkout at the same time."""
    before, stamp = git_status(), notebook.read_bytes()
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(run_guarded, [notebook, notebook])
    assert first == second, "two simultaneous runs printed different results"
    assert "✗" not in first and "Traceback" not in first
    assert notebook.read_bytes() == stamp, "running the notebook changed the file"
    assert git_status() == before, "running the notebook created or changed files in the repository"
