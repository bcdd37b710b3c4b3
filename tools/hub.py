"""A trial JupyterHub for a class, on this machine: `make hub` (python -m tools.hub).

- JupyterHub and nbgitpuller (hub/requirements.txt) are installed into .venv next to the
  course; configurable-http-proxy (hub/package.json, pinned by its lock file) into
  build/hub/proxy. `python -m tools.hub install` does both (the Makefile calls it once).
- The hub, its proxy and every learner's server listen on 127.0.0.1 only; a few learner
  accounts log in with one shared trial password, printed at start.
- Each learner gets the course through an nbgitpuller link from the course's own git
  repository (here a bare clone of this checkout's HEAD in the state folder): their own
  copy in their home folder; a later click on the link merges updates and keeps their edits.

The configuration itself is hub/jupyterhub_config.py; `Hub` passes it this trial's ports,
users, password and folders. tests/browser/test_hub.py and benchmarks/hub_sizing.py start
the same `Hub`.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUB_FILES = ROOT / "hub"
CONFIG = HUB_FILES / "jupyterhub_config.py"
BUILD = ROOT / "build" / "hub"
PROXY_DIR = BUILD / "proxy"
PROXY = PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
HOST = "127.0.0.1"
COURSE_DIR = "loss-course"  # the folder nbgitpuller makes in each learner's home
FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"
PIP_QUIET = ["--quiet", "--disable-pip-version-check"]


# --- installation -------------------------------------------------------------------------------

def install() -> None:
    """JupyterHub and nbgitpuller into this environment; the pinned proxy into build/hub/proxy."""
    subprocess.run([sys.executable, "-m", "pip", "install", *PIP_QUIET, "-r", str(HUB_FILES / "requirements.txt"),
                    "-c", str(ROOT / "constraints.txt")], check=True)
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("make hub needs npm for configurable-http-proxy (Debian: apt-get install npm)")
    PROXY_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HUB_FILES / name, PROXY_DIR / name)
    # npm ci: exactly the versions and checksums in the lock file; no install scripts run
    subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=PROXY_DIR, check=True)
    problem = install_problem()
    if problem:
        raise SystemExit(problem)


def install_problem() -> str | None:
    """Why the hub cannot start here (None if it can)."""
    try:
        import jupyterhub  # noqa: F401
        import nbgitpuller  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed: run `make hub` (or `.venv/bin/python -m tools.hub install`)"
    if not PROXY.exists():
        return f"configurable-http-proxy is missing at {PROXY}: run `.venv/bin/python -m tools.hub install`"
    if shutil.which("git") is None:
        return "git is not installed (nbgitpuller runs git to give each learner the course)"
    return None


# --- the course's repository and the link learners click ----------------------------------------

def current_branch(repo: Path = ROOT) -> str:
    out = subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], cwd=repo, capture_output=True, text=True)
    return out.stdout.strip() or "main"


def publish_course(dest: Path, source: Path = ROOT) -> tuple[str, str]:
    """A bare clone of `source` at `dest` (what learners pull from); returns (repo URL, branch)."""
    dest = Path(dest)
    if not dest.exists():
        subprocess.run(["git", "clone", "--bare", "--quiet", str(source), str(dest)], check=True)
    else:  # bring the published copy up to date with this checkout
        branch = current_branch(source)
        subprocess.run(["git", "fetch", "--quiet", str(source), f"+{branch}:{branch}"], cwd=dest, check=True)
    return str(dest), current_branch(source)


def pull_link(base: str, repo: str, branch: str, notebook: str = FIRST_NOTEBOOK,
              target: str = COURSE_DIR, lab_query: str = "") -> str:
    """The nbgitpuller link: log in, get (or update) your copy of the course, open `notebook`.

    lab_query: appended to the JupyterLab URL the link opens (e.g. "reset": an empty workspace).
    """
    query = urllib.parse.urlencode({
        "repo": repo, "branch": branch, "targetpath": target,
        "urlpath": f"lab/tree/{target}/{notebook}" + (f"?{lab_query}" if lab_query else ""),
    })
    return f"{base}/hub/user-redirect/git-pull?{query}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- the hub ------------------------------------------------------------------------------------

class Hub:
    """JupyterHub with hub/jupyterhub_config.py on loopback; `stop()` ends all it started.

    state: folder for the database, cookie secret, log and learners' homes (made if missing;
    removed by stop() when `remove_state`).
    """

    def __init__(self, state: Path, users: list[str], *, password: str | None = None, port: int = 0,
                 threads: int = 1, remove_state: bool = False):
        self.state = Path(state).resolve()
        self.users = list(users)
        self.password = password or secrets.token_urlsafe(9)  # 12 characters (the minimum is 8)
        self.port = port or free_port()
        self.threads = threads
        self.remove_state = remove_state
        self.runtime = None  # short folder for learners' kernel sockets (see the config)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state / "jupyterhub.log"
        self._log = None
        self.started: dict = {}  # pid -> psutil.Process: signalled only while it is that same process

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def home(self, user: str) -> Path:
        return self.state / "homes" / user

    def course_root(self, user: str) -> Path:
        return self.home(user) / COURSE_DIR

    def start(self, timeout: float = 90) -> "Hub":
        problem = install_problem()
        if problem:
            raise RuntimeError(problem)
        self.state.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state, 0o700)  # the database and cookie secret are the hub's alone
        self.runtime = tempfile.mkdtemp(prefix="course-hub-run-")  # 0700
        env = dict(os.environ,
                   COURSE_HUB_STATE=str(self.state), COURSE_HUB_USERS=",".join(self.users),
                   COURSE_HUB_PASSWORD=self.password, COURSE_HUB_PORT=str(self.port),
                   COURSE_HUB_INTERNAL_PORT=str(free_port()), COURSE_HUB_PROXY_API_PORT=str(free_port()),
                   COURSE_HUB_PROXY=str(PROXY), COURSE_HUB_COURSE_DIR=COURSE_DIR,
                   COURSE_HUB_THREADS=str(self.threads), COURSE_HUB_RUNTIME=self.runtime,
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], cwd=self.state, env=env,
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self._remember([self.proc.pid])
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/hub/api", timeout=2) as r:
                    if r.status == 200 and "version" in json.loads(r.read()):
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"JupyterHub did not answer on {self.base} within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def processes(self) -> dict[str, list[int]]:
        """{"hub": [pid], "proxy": [pid], "<user>": [server pid, its kernels' pids...]} now running."""
        import psutil

        found: dict[str, list[int]] = {}
        if self.proc is not None and self.proc.poll() is None:
            found["hub"] = [self.proc.pid]
        proxy = _read_pid(self.state / "proxy.pid")
        if proxy and _alive(proxy, "configurable-http-proxy"):
            found["proxy"] = [proxy]
        for user, pid in self._server_pids().items():
            if _alive(pid, "jupyterhub.singleuser"):  # not a reused pid from an earlier run
                try:
                    kids = [p.pid for p in psutil.Process(pid).children(recursive=True)]
                except psutil.Error:
                    kids = []
                found[user] = [pid, *kids]
        for pids in found.values():
            self._remember(pids)
        return found

    def _remember(self, pids) -> None:
        import psutil

        for pid in pids:
            if pid not in self.started:
                try:
                    self.started[pid] = psutil.Process(pid)  # keeps its start time: no pid reuse
                except psutil.Error:
                    pass

    @property
    def started_pids(self) -> set[int]:
        return set(self.started)

    def running(self) -> list[int]:
        """The processes this hub started that still run."""
        import psutil

        out = []
        for pid, proc in self.started.items():
            try:
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    out.append(pid)
            except psutil.Error:
                pass
        return out

    def _server_pids(self) -> dict[str, int]:
        """Learners' server pids, from the hub's database (LocalProcessSpawner keeps them there)."""
        db = self.state / "jupyterhub.sqlite"
        if not db.exists():
            return {}
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
                rows = con.execute("SELECT users.name, spawners.state FROM spawners "
                                   "JOIN users ON users.id = spawners.user_id").fetchall()
        except sqlite3.Error:
            return {}
        pids = {}
        for name, state in rows:
            try:
                pid = json.loads(state or "{}").get("pid")
            except ValueError:
                pid = None
            if pid:
                pids[name] = int(pid)
        return pids

    def stop(self) -> list[int]:
        """Stop the hub (which stops the proxy and every learner's server), then anything it left.

        Only processes this hub started are signalled: its own process group and the pids it
        recorded (hub database, proxy pid file, their children). Returns the pids still alive
        afterwards (none, normally).
        """
        if self.proc is None:
            return []
        self.processes()  # record learners' servers and kernels before they go
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # JupyterHub stops the servers and the proxy itself
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.running():
            _signal(self.started[pid], signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.running():
            time.sleep(0.2)
        for pid in self.running():
            _signal(self.started[pid], signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if self._log:
            self._log.close()
        if self.runtime:
            shutil.rmtree(self.runtime, ignore_errors=True)
        if self.remove_state:
            shutil.rmtree(self.state, ignore_errors=True)
        return self.running()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int, command: str | None = None) -> bool:
    """pid runs (and, if `command` is given, its command line contains it)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if command is not None and command not in " ".join(proc.cmdline()):
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal(proc, sig: int) -> None:
    """Signal a psutil.Process (psutil refuses if its pid now belongs to another process)."""
    import psutil

    try:
        proc.send_signal(sig)
    except psutil.Error:
        pass


# --- make hub -------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["run", "install"], default="run")
    parser.add_argument("--users", type=int, default=3, help="how many learner accounts (learner1, learner2, ...)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--state", type=Path, default=BUILD / "state", help="database, log and learners' homes")
    parser.add_argument("--repo", help="the course's git URL for the link (default: a bare clone of this checkout)")
    args = parser.parse_args(argv)
    if args.command == "install":
        install()
        return 0

    args.state.mkdir(parents=True, exist_ok=True)
    if args.repo:
        repo, branch = args.repo, current_branch()
    else:
        repo, branch = publish_course(args.state / "course.git")
    users = [f"learner{i}" for i in range(1, args.users + 1)]
    port = args.port
    try:  # the preferred port if free, else any
        with socket.socket() as s:
            s.bind((HOST, port))
    except OSError:
        port = free_port()
    hub = Hub(args.state, users, password=os.environ.get("COURSE_HUB_PASSWORD"), port=port)
    hub.start()
    bar = "=" * 78
    print(f"{bar}\nA trial JupyterHub for the course is running on this machine only.\n\n"
          f"  1. Open            {hub.base}/hub/login\n"
          f"  2. Log in as       {', '.join(users)}\n"
          f"     trial password  {hub.password}\n"
          f"  3. Get the course  {pull_link(hub.base, repo, branch)}\n\n"
          f"The link gives each learner their own copy in ~/{COURSE_DIR} (homes: {args.state / 'homes'});\n"
          f"clicking it again later merges updates and keeps the learner's edits.\n"
          f"Course repository: {repo} (branch {branch}). Log: {hub.log_path}\n"
          f"Stop with Ctrl-C.\n{bar}", flush=True)
    try:
        while hub.proc is not None and hub.proc.poll() is None:
            time.sleep(1)
        print(f"JupyterHub stopped by itself:\n{hub.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping the hub, the proxy and every learner's server ...", flush=True)
        return 0
    finally:
        left = hub.stop()
        if left:
            print(f"still running after stop: {left}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
