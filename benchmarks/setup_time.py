"""Setup time: a newcomer's first `make setup`, and a second `make lab` that finds everything.

    fresh setup   (only with --setup, it takes minutes): `git clone` of this repository into
                  a temporary folder, then `make setup` there (creates .venv, installs the
                  pins, checks the widget manager). The clone is deleted afterwards.
    no-op setup   `make setup` in a set-up tree (the stamp matches the pins: nothing to do).
    second lab    `make lab` in a set-up tree until its JupyterLab answers /api/status with the
                  token; then the process group that `make lab` started is stopped.

The second two run in the fresh clone when --setup is given, otherwise in this work tree,
and only if `make -q setup` says it is up to date (so this script never installs into
the work tree's .venv).

Run alone: .venv/bin/python -m benchmarks.setup_time [--setup]
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.lab import free_port, new_token  # noqa: E402


def _env() -> dict:
    env = dict(os.environ)
    for var in ("VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(var, None)
    venv_bin = str(ROOT / ".venv" / "bin")  # do not let this script's venv leak into make's PATH
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def timed_make(tree: Path, target: str, timeout: float) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["make", target], cwd=tree, env=_env(), capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"make {target} failed in {tree}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return seconds


def up_to_date(tree: Path) -> bool:
    return subprocess.run(["python3", "-m", "tools.course", "setup", "--check"], cwd=tree, env=_env(),
                          capture_output=True).returncode == 0


def time_make_lab(tree: Path, timeout: float = 180) -> float:
    """Seconds from `make lab` to a JupyterLab that answers /api/status with the token."""
    port, token = free_port(0), new_token()
    env = dict(_env(), PORT=str(port), JUPYTER_TOKEN=token, BROWSER="true")  # BROWSER=true: open nothing
    start = time.perf_counter()
    proc = subprocess.Popen(["make", "lab"], cwd=tree, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"make lab exited with {proc.returncode}")
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/status",
                                         headers={"Authorization": f"token {token}"})
            try:
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, OSError):
                pass
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"make lab did not answer within {timeout:.0f} s")
            time.sleep(0.1)
    finally:
        stop_group(proc)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def stop_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """End the process group `proc` leads (make, tools/lab.py, jupyterlab) and wait until it is gone."""
    if _group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        proc.poll()  # reap make itself
        time.sleep(0.1)
    if _group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def measure(fresh: bool = False, log=print) -> dict:
    result = {}
    tmp = None
    tree = ROOT
    try:
        if fresh:
            tmp = Path(tempfile.mkdtemp(prefix="bench-setup-"))
            tree = tmp / "course"
            start = time.perf_counter()
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(tree)], check=True, env=_env())
            result["clone"] = time.perf_counter() - start
            log(f"  git clone: {result['clone']:.1f} s; make setup (minutes) ...")
            result["fresh_setup"] = timed_make(tree, "setup", timeout=1800)
            log(f"  fresh make setup: {result['fresh_setup']:.1f} s")
        result["where"] = "fresh clone" if fresh else "this work tree"
        if not up_to_date(tree):
            result["skipped"] = f"`make -q setup` says {tree} is not set up; not installing anything here"
            return result
        result["noop_setup"] = timed_make(tree, "setup", timeout=120)
        result["second_lab"] = time_make_lab(tree)
        log(f"  no-op make setup: {result['noop_setup']:.2f} s; make lab until /api/status: "
            f"{result['second_lab']:.1f} s")
        return result
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def table(result: dict) -> str:
    rows = ["| step | seconds |", "|---|---:|"]
    if "fresh_setup" in result:
        rows.append(f"| `git clone` + first `make setup` (new .venv, install the pins) "
                    f"| {result['clone'] + result['fresh_setup']:.0f} |")
    else:
        rows.append("| first `make setup` from a fresh clone | not run (pass `--setup`) |")
    if "skipped" in result:
        rows.append(f"| second `make setup` / `make lab` | skipped: {result['skipped']} |")
    else:
        rows.append(f"| `make setup` when everything is installed ({result['where']}) | {result['noop_setup']:.2f} |")
        rows.append(f"| second `make lab`: until JupyterLab answers ({result['where']}) | {result['second_lab']:.1f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="setup and start-up times")
    parser.add_argument("--setup", action="store_true", help="also time a fresh clone's make setup (minutes)")
    args = parser.parse_args()
    print(table(measure(args.setup, log=lambda m: print(m, file=sys.stderr))))
