"""The cross-platform entry point `python -m tools.course`: what it installs, when, and from where.

These tests exercise its logic with the installs recorded instead of run; a fresh clone's
`python3 -m tools.course test` exercises it for real (see README, "Students' laptops").
"""
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tools import course

ROOT = Path(__file__).resolve().parent.parent


# --- the Makefile is a thin wrapper -----------------------------------------------------------

def test_every_make_target_is_a_course_command_and_the_makefile_only_delegates():
    text = (ROOT / "Makefile").read_text()
    targets = re.search(r"^TARGETS\s*:=\s*(.+)$", text, re.M).group(1).split()
    assert set(targets) <= set(course.COMMANDS), set(targets) - set(course.COMMANDS)
    assert {"lab", "test", "outputs", "nav", "book", "bench", "assignments", "setup"} <= set(targets)
    recipes = [line.strip() for line in text.splitlines() if line.startswith("\t")]
    assert recipes and all(r.startswith("@$(COURSE)") for r in recipes), recipes
    assert "COURSE := $(PYTHON) -m tools.course" in text


def test_the_ci_script_is_valid_bash_and_ends_in_make_test():
    """CI runs .ci/run on a fresh clone; a script bash cannot parse fails there in 0 s."""
    script = ROOT / ".ci" / "run"
    subprocess.run(["bash", "-n", str(script)], check=True)
    lines = [line for line in script.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0] == "set -euo pipefail", lines[0]
    assert lines[-1] == "make test", lines[-1]
    assert sum(line.strip() == "make test" for line in lines) == 1


def test_the_entry_point_starts_with_the_standard_library_only():
    """It must run under the system python3 before .venv (and any package) exists."""
    import ast
    tree = ast.parse((ROOT / "tools" / "course.py").read_text())
    top = {a.name.split(".")[0] for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    top |= {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert top - {"__future__"} <= set(sys.stdlib_module_names), top - set(sys.stdlib_module_names)


def test_help_runs_without_a_venv():
    out = subprocess.run([sys.executable, "-S", "-m", "tools.course", "--help"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in ("lab", "test", "outputs", "book", "assignments"):
        assert name in out.stdout


def test_python_older_than_311_is_refused_with_what_to_do():
    msg = course.check_python((3, 10, 12))
    assert "3.11" in msg and "3.10.12" in msg and "py -3.11" in msg
    assert course.check_python((3, 11, 7)) is None


def test_venv_python_path_on_windows_and_posix():
    assert course.venv_python(Path("v"), windows=True) == Path("v/Scripts/python.exe")
    assert course.venv_python(Path("v"), windows=False) == Path("v/bin/python")


# --- installs only when the pins change ---------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    for name in (course.LEARNER, course.TESTING, course.GRADING, course.HUB, *course.HUB_LOCKS,
                 *course.ALWAYS_HASHED):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    return tmp_path


def test_stale_until_installed_then_current_until_a_pin_changes(tree):
    files = course.PROFILES["learner"]
    assert set(course.stale_files(files, {}, tree)) == {course.LEARNER, *course.ALWAYS_HASHED}
    stamp = course.new_stamp(files, {}, tree)
    assert course.stale_files(files, stamp, tree) == []
    (tree / course.LEARNER).write_text("numpy==9\n")
    assert course.stale_files(files, stamp, tree) == [course.LEARNER]


def test_a_test_run_after_lab_installs_the_test_files_only_once(tree):
    learner = course.new_stamp(course.PROFILES["learner"], {}, tree)
    beyond = {course.TESTING, course.GRADING, course.HUB, *course.HUB_LOCKS}
    assert set(course.stale_files(course.PROFILES["all"], learner, tree)) == beyond
    both = course.new_stamp(course.PROFILES["all"], learner, tree)
    assert course.stale_files(course.PROFILES["learner"], both, tree) == []
    # new constraints: every requirement file counts as not installed with them
    (tree / course.CONSTRAINTS).write_text("numpy==9\n")
    after = course.new_stamp(course.PROFILES["learner"], both, tree)
    assert set(course.stale_files(course.PROFILES["all"], after, tree)) == beyond
    # a new proxy lock file: only the hub's part is due again
    current = course.new_stamp(course.PROFILES["all"], after, tree)
    (tree / course.HUB_LOCKS[1]).write_text("{}\n")
    assert course.stale_files(course.PROFILES["hub"], current, tree) == [course.HUB_LOCKS[1]]
    assert course.stale_files(course.PROFILES["learner"], current, tree) == []


def test_ensure_installed_runs_the_steps_in_order_then_nothing(tree, monkeypatch):
    venv = tree / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (tree / course.LEARNER).write_text("torch==2.13.0\nnumpy==2.4.6\n")
    calls = []
    monkeypatch.setattr(course, "ROOT", tree)
    monkeypatch.setattr(course, "venv_python", lambda v=venv, windows=None: venv / "bin" / "python")
    monkeypatch.setattr(course, "torch_index", lambda: None)
    monkeypatch.setattr(course.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    course.ensure_installed("grading", venv)
    flat = [" ".join(map(str, c)) for c in calls]
    assert "-r requirements.txt -r requirements-grading.txt -c constraints.txt" in flat[0]
    assert flat[1].endswith("--no-deps -e .")
    assert any("labextension disable" in c and "@jupyter/nbgrader" in c for c in flat), "nbgrader's lab UI switched off"
    assert flat[-1].endswith("-m tools.check_setup")
    stamp = json.loads((venv / course.STAMP_NAME).read_text())
    assert set(stamp) == {course.LEARNER, course.GRADING, *course.ALWAYS_HASHED}
    calls.clear()
    course.ensure_installed("learner", venv)
    assert calls == [], "nothing changed: no install"
    course.ensure_installed("hub", venv)
    flat = [" ".join(map(str, c)) for c in calls]
    assert "-r requirements.txt -r hub/requirements.txt -c constraints.txt" in flat[0]
    assert any(c.endswith("-m tools.hub install") for c in flat), "the proxy from its lock file"
    assert "hub/package-lock.json" in json.loads((venv / course.STAMP_NAME).read_text())


# --- PyTorch's CPU wheels on Linux, PyPI where that index cannot be reached ----------------------

def test_linux_takes_the_cpu_index_and_other_systems_pypi():
    assert course.torch_index("linux", {}) == course.TORCH_CPU_INDEX == "https://download.pytorch.org/whl/cpu"
    assert course.torch_index("darwin", {}) is None
    assert course.torch_index("win32", {}) is None
    assert course.torch_index("linux", {"COURSE_TORCH_INDEX": "pypi"}) is None
    assert course.torch_index("darwin", {"COURSE_TORCH_INDEX": "https://mirror.example/cpu"}) == "https://mirror.example/cpu"


def test_the_torch_pin_is_read_from_requirements():
    assert course.pinned_version(ROOT / course.LEARNER, "torch") == "2.13.0"


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers (a dropped route, a dead proxy)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/whl/cpu"
    sock.close()


def test_probe_of_an_index_that_never_answers_gives_up(silent_server):
    assert course.index_reachable(silent_server, seconds=0.5) is False


def test_probe_is_bounded_even_when_the_lookup_itself_hangs(monkeypatch):
    """urlopen's timeout does not cover a slow DNS lookup; the probe's own bound does."""
    release = threading.Event()
    monkeypatch.setattr(course.urllib.request, "urlopen", lambda *a, **k: release.wait())
    try:
        assert course.index_reachable("https://download.pytorch.org/whl/cpu", seconds=0.3) is False
        assert not release.is_set(), "returned while the lookup was still hanging"
    finally:
        release.set()


def test_probe_of_a_refused_port_is_false():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert course.index_reachable(f"http://127.0.0.1:{port}/cpu", seconds=2) is False


def test_probe_of_an_answering_index_is_true(tmp_path):
    (tmp_path / "cpu" / "torch").mkdir(parents=True)
    (tmp_path / "cpu" / "torch" / "index.html").write_text("<a>torch-2.13.0+cpu</a>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert course.index_reachable(f"http://127.0.0.1:{server.server_port}/cpu", seconds=5) is True
    finally:
        server.shutdown()
        server.server_close()


def _recording(monkeypatch, installed=None):
    calls = []
    monkeypatch.setattr(course, "installed_version", lambda py, pkg: installed)
    monkeypatch.setattr(course.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    return calls


def test_unreachable_cpu_index_falls_back_to_pypi_without_pip_calls(monkeypatch, silent_server):
    calls = _recording(monkeypatch)
    note = course.install_cpu_torch(Path("py"), "2.13.0", silent_server,
                                    probe=lambda url: course.index_reachable(url, seconds=0.5))
    assert "could not be reached" in note and "from PyPI" in note
    assert calls == []


def test_reachable_cpu_index_installs_torch_alone_from_it(monkeypatch):
    calls = _recording(monkeypatch)
    note = course.install_cpu_torch(Path("py"), "2.13.0", course.TORCH_CPU_INDEX, probe=lambda url: True)
    assert "CPU build" in note
    (cmd,) = calls
    assert cmd[-3:] == ["torch==2.13.0", "--index-url", course.TORCH_CPU_INDEX]
    assert "--no-deps" in cmd, "torch alone; its dependencies come from PyPI with the other pins"


def test_a_torch_of_the_pinned_version_is_kept(monkeypatch):
    calls = _recording(monkeypatch, installed="2.13.0+cpu")
    assert "already installed" in course.install_cpu_torch(Path("py"), "2.13.0", course.TORCH_CPU_INDEX,
                                                           probe=lambda url: pytest.fail("no probe needed"))
    assert calls == []


# --- the environment this suite runs in ---------------------------------------------------------

def test_this_venv_is_current_for_every_command():
    out = subprocess.run([sys.executable, "-m", "tools.course", "setup", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_grading_extensions_are_switched_off_in_the_course_jupyterlab():
    """nbgrader's UI and Notebook 7's are off in .venv, so the JupyterLab tested is a learner's."""
    etc = Path(sys.prefix) / "etc" / "jupyter"
    lab = json.loads((etc / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert all(lab.get(ext) for ext in course.GRADING_LAB_EXTENSIONS), lab
    server = {}  # Jupyter reads the config.d files in name order; a later file wins
    for path in sorted((etc / "jupyter_server_config.d").glob("*.json")):
        server.update(json.loads(path.read_text()).get("ServerApp", {}).get("jpserver_extensions", {}))
    assert all(server.get(ext) is False for ext in course.GRADING_SERVER_EXTENSIONS), server


def test_options_after_the_command_reach_pytest_and_the_tools_in_order(monkeypatch):
    seen = {}
    monkeypatch.setattr(course, "COMMANDS", {k: ((lambda a, k=k: seen.setdefault(k, vars(a)) and 0), t)
                                             for k, (_, t) in course.COMMANDS.items()})
    monkeypatch.setenv("PYTEST_ARGS", "-q")
    course.main(["test", "-x", "-k", "mm", "--jobs", "1"])
    assert seen["test"]["pytest_args"] == ["-q", "-x", "-k", "mm"] and seen["test"]["jobs"] == "1"
    course.main(["release", "--tag"])
    assert seen["release"]["args"] == ["--tag"]
    monkeypatch.setenv("NB", "notebooks/00_start_here.ipynb")
    course.main(["outputs"])
    assert seen["outputs"]["notebooks"] == ["notebooks/00_start_here.ipynb"]
    with pytest.raises(SystemExit):
        course.main(["clean", "--everything"])
