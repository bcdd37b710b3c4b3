"""The course's commands on every platform: `python -m tools.course lab|test|...`.

Run it from the repository folder with the system's Python 3.11 (`python3` on Linux and
macOS, `py -3.11` or `python` on Windows). The Makefile is a thin wrapper around this
file, so `make lab` and `python -m tools.course lab` run the same code.

Every command first makes sure `.venv` exists and holds the pinned packages that command
needs, re-installing only when a requirements file, `constraints.txt` or `pyproject.toml`
has changed since the last install (content hashes in `.venv/.course-installed.json`):

    lab, book, nav, outputs    requirements.txt (what the lessons need)
    assignments                + requirements-grading.txt (nbgrader)
    hub                        + hub/requirements.txt (JupyterHub, nbgitpuller) and the pinned
                               configurable-http-proxy from npm (hub/package-lock.json)
    setup, test, unit, ...     + requirements-test.txt, requirements-grading.txt and the hub's

Until `.venv` exists this file may use the standard library only.

PyTorch: on Linux, PyPI's `torch` wheel is the CUDA build (several GB). The course needs the
CPU build, so on Linux the pinned torch is installed from PyTorch's CPU wheel index first
(probed for a few seconds; if it cannot be reached, PyPI's wheel is used and a note says
so). Set COURSE_TORCH_INDEX to another index URL (a mirror), or to `pypi` to skip it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP_NAME = ".course-installed.json"
CONSTRAINTS = "constraints.txt"
ALWAYS_HASHED = (CONSTRAINTS, "pyproject.toml")

LEARNER = "requirements.txt"
TESTING = "requirements-test.txt"
GRADING = "requirements-grading.txt"
HUB = "hub/requirements.txt"  # the class hub (make hub) and its test; never a learner's
HUB_LOCKS = ("hub/package.json", "hub/package-lock.json")  # the proxy, installed by tools.hub
PROFILES = {
    "learner": (LEARNER,),
    "grading": (LEARNER, GRADING),
    "hub": (LEARNER, HUB),
    "all": (LEARNER, TESTING, GRADING, HUB),
}

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_SECONDS = 4.0
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
# nbgrader (the graded edition) brings JupyterLab and server extensions of its own, and
# Notebook 7; the course's JupyterLab stays the one learners get, so they are switched off
# in .venv (a teacher who grades in this environment can switch them on again).
GRADING_LAB_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")
GRADING_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.course_list", "notebook",
)


def say(message: str) -> None:
    print(f"[course] {message}", flush=True)


# --- Python and the virtual environment --------------------------------------------------

def check_python(version=None) -> str | None:
    """None when this Python can build the course's .venv, else what to do instead."""
    version = tuple(version or sys.version_info[:3])
    if version[:2] < (3, 11):
        found = ".".join(map(str, version))
        return (f"The course needs Python 3.11; this is Python {found}.\n"
                "Install Python 3.11 and run again with it: `python3.11 -m tools.course lab`,\n"
                "`py -3.11 -m tools.course lab` on Windows, or `make lab PYTHON=python3.11`.")
    return None


def venv_python(venv: Path = VENV, windows: bool | None = None) -> Path:
    windows = (os.name == "nt") if windows is None else windows
    return venv / ("Scripts/python.exe" if windows else "bin/python")


def ensure_venv(venv: Path = VENV) -> Path:
    py = venv_python(venv)
    if not py.exists():
        problem = check_python()
        if problem:
            raise SystemExit(problem)
        if sys.version_info[:2] != (3, 11):
            say(f"note: the course is tested on Python 3.11; you have {sys.version.split()[0]}.")
        say(f"creating {venv.name}/ with {sys.executable}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return py


# --- what is installed: content hashes of the pins ------------------------------------------

def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wanted_hashes(files, root: Path = ROOT) -> dict[str, str]:
    locks = HUB_LOCKS if HUB in files else ()
    return {name: file_hash(root / name) for name in (*files, *locks, *ALWAYS_HASHED)}


def read_stamp(venv: Path = VENV) -> dict[str, str]:
    try:
        return json.loads((venv / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stale_files(files, stamp: dict, root: Path = ROOT) -> list[str]:
    """The files (requirements, constraints, pyproject) whose installed version is not current."""
    return [name for name, digest in wanted_hashes(files, root).items() if stamp.get(name) != digest]


def new_stamp(files, old: dict, root: Path = ROOT) -> dict[str, str]:
    """The stamp after installing `files`. Other requirement files stay recorded only while the
    constraints and pyproject.toml they were installed with are unchanged."""
    now = wanted_hashes(files, root)
    same_base = all(old.get(name) == now[name] for name in ALWAYS_HASHED)
    kept = {k: v for k, v in old.items() if same_base and k not in now}
    return {**kept, **now}


# --- PyTorch's CPU wheels on Linux ------------------------------------------------------------

def pinned_version(requirements: Path, package: str) -> str | None:
    pattern = re.compile(rf"^\s*{re.escape(package)}\s*==\s*([^\s;#]+)", re.I)
    for line in requirements.read_text(encoding="utf-8").splitlines():
        m = pattern.match(line)
        if m:
            return m.group(1)
    return None


def index_reachable(url: str, seconds: float = PROBE_SECONDS) -> bool:
    """True if `url` answers within `seconds`. The probe runs in a daemon thread, so a slow DNS
    lookup or a silently dropped connection also costs at most `seconds`."""
    result: dict[str, bool] = {}

    def probe() -> None:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/torch/", timeout=seconds) as response:
                response.read(1)
                result["ok"] = response.status < 400
        except Exception:  # any failure means: use PyPI instead
            result["ok"] = False

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(seconds)
    return result.get("ok", False)


def torch_index(platform: str | None = None, env: dict | None = None) -> str | None:
    """The index to take torch from before the other pins, or None for PyPI's wheel."""
    platform = platform or sys.platform
    env = os.environ if env is None else env
    choice = env.get("COURSE_TORCH_INDEX", "").strip()
    if choice.lower() in {"pypi", "none", "off"}:
        return None
    if choice:
        return choice
    return TORCH_CPU_INDEX if platform.startswith("linux") else None


def installed_version(py: Path, package: str) -> str | None:
    out = subprocess.run([str(py), "-c", "import sys, importlib.metadata as m\n"
                          f"try: print(m.version({package!r}))\nexcept m.PackageNotFoundError: sys.exit(1)"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def install_cpu_torch(py: Path, pin: str, index: str, probe=index_reachable) -> str:
    """Install torch==pin from `index` without its dependencies (the full install adds those
    from PyPI). Returns what happened, for the log; never raises: PyPI is the fallback."""
    have = installed_version(py, "torch")
    if have and have.split("+")[0] == pin:
        return f"torch {have} already installed"
    if not probe(index):
        return (f"PyTorch's CPU index ({index}) could not be reached within {PROBE_SECONDS:.0f} s: "
                f"installing torch {pin} from PyPI instead (on Linux that is the CUDA build, "
                "several GB; see README, Troubleshooting)")
    cmd = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           f"torch=={pin}", "--index-url", index]
    if subprocess.run(cmd).returncode != 0:
        return f"installing torch {pin} from {index} failed: installing it from PyPI instead"
    return f"installed torch {pin} (CPU build) from {index}"


# --- installing ---------------------------------------------------------------------------------

def pip_install_command(py: Path, files) -> list[str]:
    cmd = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for name in files:
        cmd += ["-r", name]
    return cmd + ["-c", CONSTRAINTS]


def switch_off_grading_extensions(py: Path) -> None:
    jupyter = [str(py), "-m", "jupyter"]
    for ext in GRADING_LAB_EXTENSIONS:
        subprocess.run([*jupyter, "labextension", "disable", "--level=sys_prefix", ext],
                       cwd=ROOT, capture_output=True)
    for ext in GRADING_SERVER_EXTENSIONS:
        subprocess.run([*jupyter, "server", "extension", "disable", "--sys-prefix", ext],
                       cwd=ROOT, capture_output=True)


def ensure_installed(profile: str = "learner", venv: Path = VENV) -> Path:
    """Create .venv if needed and install the profile's pins if they changed; return its python."""
    files = PROFILES[profile]
    py = ensure_venv(venv)
    stamp = read_stamp(venv)
    stale = stale_files(files, stamp)
    if not stale:
        return py
    say(f"installing the pinned packages ({', '.join(files)}); changed since the last install: "
        + ", ".join(stale))
    index = torch_index()
    pin = pinned_version(ROOT / LEARNER, "torch")
    if index and pin:
        say(install_cpu_torch(py, pin, index))
    subprocess.run(pip_install_command(py, files), cwd=ROOT, check=True)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "-e", "."], cwd=ROOT, check=True)
    if GRADING in files:
        switch_off_grading_extensions(py)
    if HUB in files:  # configurable-http-proxy from npm, exactly as its lock file pins it
        subprocess.run([str(py), "-m", "tools.hub", "install"], cwd=ROOT, check=True)
    subprocess.run([str(py), "-m", "tools.check_setup"], cwd=ROOT, check=True)
    (venv / STAMP_NAME).write_text(json.dumps(new_stamp(files, stamp), indent=1) + "\n", encoding="utf-8")
    return py


# --- the commands ---------------------------------------------------------------------------------

def _run(py: Path, *args: str, progress: bool = False, extra_env: dict | None = None) -> int:
    env = dict(os.environ, **(extra_env or {}))
    env["PATH"] = str(py.parent) + os.pathsep + env.get("PATH", "")  # the venv's commands first
    if not progress:  # progress bars are for learners in JupyterLab, never in tests or outputs
        env["COURSE_PROGRESS"] = "0"
    return subprocess.run([str(py), *args], cwd=ROOT, env=env).returncode


def pytest_args(jobs: str, extra: list[str]) -> list[str]:
    return ["-m", "pytest", "-n", jobs, "--dist", "loadscope", *NBVAL, *extra]


def cmd_setup(a) -> int:
    if a.check:
        stale = stale_files(PROFILES["all"], read_stamp()) if venv_python().exists() else ["(no .venv)"]
        if stale:
            print("out of date:", *stale)
        return 1 if stale else 0
    ensure_installed("all")
    return 0


def cmd_lab(a) -> int:
    return _run(ensure_installed("learner"), "-m", "tools.lab", progress=True)


def cmd_test(a) -> int:
    return _run(ensure_installed("all"), *pytest_args(a.jobs, a.pytest_args))


def cmd_unit(a) -> int:
    return _run(ensure_installed("all"), "-m", "pytest", "tests", *a.pytest_args)


def cmd_notebooks(a) -> int:
    return _run(ensure_installed("all"), *pytest_args(a.jobs, ["notebooks", *a.pytest_args]))


def cmd_outputs(a) -> int:
    py = ensure_installed("learner")
    return _run(py, "-m", "tools.nav", *a.notebooks) or _run(py, "-m", "tools.run_notebooks", *a.notebooks)


def cmd_nav(a) -> int:
    return _run(ensure_installed("learner"), "-m", "tools.nav", *a.args)


def cmd_book(a) -> int:
    return _run(ensure_installed("learner"), "-m", "tools.book", *a.args)


def cmd_bench(a) -> int:
    return _run(ensure_installed("all"), "-m", "benchmarks.run_all", *a.args)


def cmd_hub(a) -> int:
    return _run(ensure_installed("hub"), "-m", "tools.hub", *a.args, progress=True)


def cmd_assignments(a) -> int:
    return _run(ensure_installed("grading"), "-m", "tools.graded", *a.args)


def cmd_release(a) -> int:
    return _run(ensure_installed("learner"), "-m", "tools.release", *a.args)


def cmd_constraints(a) -> int:
    py = ensure_installed("all")
    frozen = subprocess.run([str(py), "-m", "pip", "freeze", "--exclude-editable"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    hub_pins = {line.strip().lower() for line in (ROOT / HUB).read_text(encoding="utf-8").splitlines()}
    lines = ["# Every package the course installs, pinned to the versions it was tested with",
             "# (pip freeze of .venv with all requirement files, less torch, which requirements.txt",
             "# pins, and less the hub's own pins in hub/requirements.txt). Regenerate with",
             "# `make constraints` or `python -m tools.course constraints`."]
    lines += [line for line in frozen
              if not line.lower().startswith("torch==") and line.strip().lower() not in hub_pins]
    (ROOT / CONSTRAINTS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    # .venv is what the new constraints describe: no re-install is due
    (VENV / STAMP_NAME).write_text(json.dumps(new_stamp(PROFILES["all"], read_stamp()), indent=1) + "\n",
                                   encoding="utf-8")
    say(f"wrote {CONSTRAINTS} ({len(lines) - 4} packages)")
    return 0


def cmd_clean(a) -> int:
    for name in (".venv", "artifacts", "site", "build", ".pytest_cache"):
        shutil.rmtree(ROOT / name, ignore_errors=True)
    say("removed .venv, artifacts, site, build and .pytest_cache")
    return 0


COMMANDS = {
    "lab": (cmd_lab, "set up (first time only) and open JupyterLab at the first notebook"),
    "test": (cmd_test, "set up, then run every test (unit, notebooks in strict nbval, graded edition, browser)"),
    "setup": (cmd_setup, "install everything the commands need (lessons, tests, grading); --check: report only"),
    "unit": (cmd_unit, "run the tests in tests/ only"),
    "notebooks": (cmd_notebooks, "run every notebook under strict nbval"),
    "outputs": (cmd_outputs, "re-execute notebooks top to bottom in a fresh kernel (all, or the ones named)"),
    "nav": (cmd_nav, "rewrite navigation links, cross-references, the course map and the version line"),
    "book": (cmd_book, "build the static HTML edition into site/"),
    "bench": (cmd_bench, "run the performance benchmarks"),
    "hub": (cmd_hub, "a trial JupyterHub for a class on this machine (127.0.0.1; prints the password)"),
    "assignments": (cmd_assignments, "build the graded (nbgrader) edition into build/graded/"),
    "release": (cmd_release, "check that a release is ready and tag it (maintainers)"),
    "constraints": (cmd_constraints, "re-pin constraints.txt from .venv"),
    "clean": (cmd_clean, "remove .venv and everything built"),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.course", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", metavar="command")
    for name, (_, text) in COMMANDS.items():
        s = sub.add_parser(name, help=text, description=text)
        if name in {"test", "notebooks"}:
            s.add_argument("--jobs", "-n", default=os.environ.get("JOBS") or "2", help="pytest-xdist workers (default 2)")
        if name in {"test", "notebooks", "unit"}:
            s.set_defaults(pytest_args=[])  # everything else on the line goes to pytest (also $PYTEST_ARGS)
        elif name == "outputs":
            s.add_argument("notebooks", nargs="*", help="default: every notebook (also $NB)")
        elif name == "setup":
            s.add_argument("--check", action="store_true", help="exit 1 if an install is due; change nothing")
        elif name not in {"constraints", "clean"}:
            s.set_defaults(args=[])  # everything else on the line goes to the tool
    return p


def main(argv=None) -> int:
    p = parser()
    a, rest = p.parse_known_args(argv)  # options meant for pytest or the tool pass through
    if not a.command:
        p.print_help()
        return 0
    if rest:
        if hasattr(a, "pytest_args"):
            a.pytest_args = list(a.pytest_args) + rest
        elif hasattr(a, "args"):
            a.args = list(a.args) + rest
        else:
            p.error(f"unrecognized arguments: {' '.join(rest)}")
    if hasattr(a, "pytest_args"):
        a.pytest_args = shlex.split(os.environ.get("PYTEST_ARGS", "")) + list(a.pytest_args)
    if a.command == "outputs" and not a.notebooks:
        a.notebooks = os.environ.get("NB", "").split()
    try:
        return COMMANDS[a.command][0](a)
    except subprocess.CalledProcessError as exc:
        say(f"failed: {' '.join(map(str, exc.cmd))} (exit {exc.returncode})")
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
