"""Drive learners on the course's trial JupyterHub (tools.hub.Hub): shared by tests/browser/test_hub.py
and benchmarks/hub_sizing.py, next to tools.browser (which drives `make lab`'s JupyterLab).

- `log_in(page, hub, user)` logs a learner in through the hub's login form, as a person does.
- `LearnerServer` is a learner's single-user server seen through the hub: the same `api()`,
  `lab_url()` and `log_tail()` as tools.browser.LabServer, so tools.browser.NotebookPage drives a
  learner's JupyterLab unchanged; its `lab_url` is the nbgitpuller link, so opening a lesson
  pulls (or updates) the learner's copy of the course first.
- `kernel_client(...)` connects to a learner's running kernel through its connection file
  (the test runs as the same Unix user as the trial hub's learners), to ask it which
  `helpers` it imported.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools.browser import LAB_SETTINGS
from tools.hub import COURSE_DIR, Hub, pull_link


def prepare_home(hub: Hub, user: str) -> Path:
    """The test server's JupyterLab settings (no news pop-up, no autosave) in a learner's home, before login."""
    settings = hub.home(user) / ".jupyter" / "lab" / "user-settings"
    for rel, value in LAB_SETTINGS.items():
        f = settings / rel
        f.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        f.write_text(json.dumps(value))
    return hub.home(user)


def log_in(page, hub: Hub, user: str, password: str | None = None, timeout: float = 60) -> None:
    """Log in through the hub's form; raise if the hub does not accept it."""
    page.goto(f"{hub.base}/hub/login", timeout=timeout * 1000)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password if password is not None else hub.password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("domcontentloaded", timeout=timeout * 1000)


def learner_token(hub: Hub, user: str, note: str = "course test") -> str:
    """An API token for `user`, asked for with the learner's own name and password."""
    body = json.dumps({"auth": {"username": user, "password": hub.password}, "note": note,
                       "expires_in": 3600}).encode()
    req = urllib.request.Request(f"{hub.base}/hub/api/users/{user}/tokens", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["token"]


def request(url: str, *, token: str | None = None, method: str = "GET", body: bytes | None = None,
            follow: bool = True, timeout: float = 30) -> tuple[int, str, object]:
    """(status, body, headers) of one request, without raising on HTTP errors (headers: case-blind)."""
    headers = {"Authorization": f"token {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=body, method=method, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), e.headers


class LearnerServer:
    """A learner's server behind the hub, shaped like tools.browser.LabServer for NotebookPage."""

    def __init__(self, hub: Hub, user: str, repo: str, branch: str):
        self.hub, self.user, self.repo, self.branch = hub, user, repo, branch
        self.base = f"{hub.base}/user/{user}"
        self.token = learner_token(hub, user)
        self.reset_workspace = False  # True: each link opens JupyterLab with an empty workspace

    def api(self, path: str, *, token: bool = True, method: str = "GET", timeout: float = 10,
            body: bytes | None = None):
        status, text, _ = request(self.base + path, token=self.token if token else None, method=method,
                                  body=body, timeout=timeout)
        return status, text

    def lab_url(self, rel_path: str) -> str:
        """The nbgitpuller link that pulls the course and opens `rel_path` (a path under the server root)."""
        prefix = COURSE_DIR + "/"
        if not rel_path.startswith(prefix):
            raise ValueError(f"{rel_path!r} is not inside the pulled course folder {prefix!r}")
        return pull_link(self.hub.base, self.repo, self.branch, rel_path[len(prefix):],
                         lab_query="reset" if self.reset_workspace else "")

    def log_tail(self, n: int = 3000) -> str:
        return self.hub.log_tail(n)

    def wait_running(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.api("/api/status", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.user}'s server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def kernels(self) -> list[dict]:
        status, body = self.api("/api/kernels")
        return json.loads(body) if status == 200 else []

    def shutdown_kernels(self) -> None:
        for kernel in self.kernels():
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=30)

    def runtime_dir(self) -> Path:
        return Path(self.hub.runtime) / self.user

    def connection_file(self, kernel_id: str) -> Path:
        return self.runtime_dir() / f"kernel-{kernel_id}.json"


def run_in_kernel(connection_file: Path, code: str, timeout: float = 90) -> str:
    """Run `code` in a running kernel (over its own connection file) and return what it printed.

    Waits for the connection file and its channels first: a kernel just started through the
    server's API takes a few seconds to bind them.
    """
    from jupyter_client import BlockingKernelClient

    deadline = time.monotonic() + timeout
    while True:
        try:
            info = json.loads(Path(connection_file).read_text())
            ready = info.get("transport") != "ipc" or all(
                Path(f"{info['ip']}-{info[c]}").exists() for c in ("shell_port", "iopub_port", "hb_port"))
        except (OSError, ValueError):
            ready = False
        if ready:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"no kernel behind {connection_file} after {timeout:.0f} s")
        time.sleep(0.25)
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=max(10.0, deadline - time.monotonic()))
        out = []
        reply = client.execute_interactive(
            code, timeout=timeout, store_history=False,
            output_hook=lambda msg: out.append(msg["content"].get("text", ""))
            if msg["msg_type"] == "stream" else None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel error: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
        return "".join(out)
    finally:
        client.stop_channels()
