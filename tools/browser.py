"""Drive the course's JupyterLab in a real Chromium: shared by tests/browser and benchmarks/.

Both import it as `tools.browser` (pytest and `python -m benchmarks.x` run from the
repository folder), with no sys.path edits.

- `LabServer` starts JupyterLab with `tools.lab.lab_command` (what `make lab` runs:
  127.0.0.1, a free port, a random token) on a throwaway copy of the course, so a test
  can never modify a committed notebook, and stops only the process group it started.
- `launch_chromium` starts Debian's Chromium (path from $CHROMIUM) with the course's flags.
- `NotebookPage` opens a notebook, runs all cells through the menus a learner uses, and
  finds the lesson widgets (`.course-lesson`), their sliders, buttons and figures.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LESSON_REPR = "[interactive widget:"  # helpers.widgets.FALLBACK, the Lesson's text/plain repr
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# Text that means a widget was shown as its Python repr instead of as a widget
# (jupyter-widgets/ipywidgets#3965: the widget manager is missing in the browser).
TEXT_REPR_PATTERNS = [r"(Int|Float)Slider\(", r"[HV]Box\(children", r"interactive\(children",
                      r"\[interactive widget:"]
# tqdm's notebook bar (text/plain like " 40%|####      | 120/300 [...]"): a widget that a
# live JupyterLab shows and committed outputs may leave out (helpers.lessons.initialization_and_loss_estimation.show_progress)
TQDM_REPR = r"\d+%\|"


def notebooks_dir() -> Path:
    """notebooks/, or $COURSE_NOTEBOOKS (a folder of scratch notebooks, for developing these tests)."""
    return Path(os.environ.get("COURSE_NOTEBOOKS") or ROOT / "notebooks")


def course_notebooks() -> list[Path]:
    """Every lesson notebook, in course order (new notebooks are picked up automatically)."""
    return sorted(notebooks_dir().glob(NOTEBOOK_GLOB))


def chromium_path() -> str:
    return os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM


def chromium_problem(path: str | None = None) -> str | None:
    """Why Chromium cannot be used (None if it can)."""
    path = path or chromium_path()
    found = shutil.which(path) if os.sep not in path else path
    if not found or not Path(found).is_file():
        return (f"no Chromium at {path!r} (set CHROMIUM=/path/to/chromium, or install Debian's "
                f"`chromium` package; .ci/run installs it)")
    if not os.access(found, os.X_OK):
        return f"Chromium at {found!r} is not executable"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (make setup installs it)"
    return None


def launch_chromium(playwright):
    """A headless Debian Chromium with the course's flags (a fresh profile every launch)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS,
                                      timeout=60_000)


def committed_counts(path: Path) -> dict:
    """What the committed outputs say the notebook displays and executes."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    widgets = lessons = code = total = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        total += 1
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if source.strip():
            code += 1
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data:
                text = data.get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else text
                if not re.search(TQDM_REPR, text):  # progress bars are counted apart (see below)
                    widgets += 1
                if text.startswith(LESSON_REPR):
                    lessons += 1
    return {"widgets": widgets, "lessons": lessons, "code_cells": code, "all_code_cells": total}


def stage_course(dest: Path) -> Path:
    """A throwaway copy of what the notebooks read (notebooks/, data/): the server's root.

    helpers is installed in .venv in editable mode, so the copies import the live code.
    """
    dest = Path(dest)
    for name, src in (("notebooks", notebooks_dir()), ("data", ROOT / "data")):
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (dest / "notebooks").mkdir(exist_ok=True)
    return dest


# JupyterLab user settings for the test server (a fresh settings dir, not the user's):
# no news pop-up over the widgets, and no autosave (the served copy is thrown away anyway).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


class LabServer:
    """JupyterLab started exactly as `make lab` starts it, on `root`; `stop()` ends only it."""

    def __init__(self, root: Path, *, log_path: Path | None = None, state_dir: Path | None = None):
        from tools.lab import UMASK, free_port, lab_command, new_token  # the same command as `make lab`

        self.root = Path(root)
        self.port = free_port(0)
        self.token = new_token()
        self.command = lab_command(self.port, self.token, root=self.root, open_browser=False)
        self.umask = UMASK
        self._own_state_dir = state_dir is None  # made here: removed by stop()
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="lab-state-"))
        self.log_path = Path(log_path or self.state_dir / "jupyterlab.log")
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> "LabServer":
        settings = self.state_dir / "user-settings"
        for rel, value in LAB_SETTINGS.items():
            f = settings / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(json.dumps(value))
        env = dict(os.environ,
                   JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.state_dir / "workspaces"),
                   BROWSER="true")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        # A new session: the server and its kernels form one process group that stop() ends.
        self.proc = subprocess.Popen(self.command, cwd=self.root, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, umask=self.umask)
        self.wait_ready(timeout)
        return self

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def api(self, path: str, *, token: bool = True, method: str = "GET", timeout: float = 10):
        """(HTTP status, body) of a request to the server, with or without the token."""
        headers = {"Authorization": f"token {self.token}"} if token else {}
        req = urllib.request.Request(self.base + path, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = self.api("/api/status", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"JupyterLab did not answer /api/status within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the process group this object started, and nothing else."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            self.proc = proc
            self.shutdown_kernels()
            self.proc = None
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # pgid == pid: start_new_session=True
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        try:  # anything left in the group the server led
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def shutdown_kernels(self) -> None:
        """Ask the server to shut down the kernels it started (each runs in its own session)."""
        try:
            status, body = self.api("/api/kernels", timeout=5)
            for kernel in json.loads(body) if status == 200 else []:
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=15)
        except (OSError, ValueError, KeyError):
            pass

    def lab_url(self, rel_path: str) -> str:
        # ?reset: start from an empty workspace, or JupyterLab reopens (and starts kernels
        # for) every notebook an earlier page had open
        return f"{self.base}/lab/tree/{rel_path}?reset&token={self.token}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --- the page -------------------------------------------------------------------------

JS_PROMPTS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
                       .map(e => e.textContent.trim())"""
JS_STATUS = """() => { const e = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
                       return e ? e.getAttribute('data-status') : null; }"""
JS_ERRORS = """() => {
  const out = [];
  for (const e of document.querySelectorAll('.jp-OutputArea-output')) {
    const mime = e.getAttribute('data-mime-type') || '';
    const text = e.textContent || '';
    if (mime === 'application/vnd.jupyter.stderr' && /Traceback|Error/.test(text)) out.push(text);
    else if (e.classList.contains('jp-mod-error') || e.closest('.jp-OutputArea-child.jp-mod-error')) out.push(text);
    else if (/Traceback \\(most recent call last\\)/.test(text)) out.push(text);
  }
  return out.map(t => t.slice(0, 1500));
}"""
JS_OUTPUT_TEXT = """() => [...document.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent).join('\\n')"""
# The figure a lesson drives: its image (src changes on every new PNG) or, without one, its readout.
JS_FIGURE_STATE = """(lesson) => {
  const img = lesson.querySelector('img');
  if (img) return 'img:' + img.getAttribute('src');
  const r = lesson.querySelector('.course-readout');
  return 'readout:' + (r ? r.textContent : '');
}"""


@dataclass
class Lesson:
    index: int
    locator: object  # playwright Locator of the .course-lesson element

    def figure_state(self) -> str:
        return self.locator.evaluate(JS_FIGURE_STATE)

    def sliders(self):
        h = self.locator.locator(".noUi-handle")
        return [h.nth(i) for i in range(h.count())]

    def buttons(self):
        b = self.locator.locator("button")
        return [b.nth(i) for i in range(b.count())]

    def title(self) -> str:
        labels = self.locator.locator("label.widget-label")
        names = [t.strip() for t in labels.all_text_contents() if t.strip()]
        return ", ".join(names[:4]) or f"lesson {self.index}"


def slider_label(handle) -> str:
    return handle.evaluate("""(h) => { const w = h.closest('.widget-slider');
        const l = w && w.querySelector('label.widget-label'); return l ? l.textContent.trim() : '?'; }""")


class NotebookPage:
    """One notebook open in JupyterLab in a Playwright page."""

    def __init__(self, page, server: LabServer):
        self.page = page
        self.server = server

    def open(self, rel_path: str, n_code_cells: int, timeout: float = 180) -> float:
        """Open a notebook; wait until its cells are on the page and its kernel is connected and idle.

        On a loaded machine the kernel's websocket sometimes fails to connect on the first try
        (jupyter_server answers 500 and the page stays 'disconnected'); a learner would reload
        the page, and so does this, once, before giving up.
        """
        start = time.monotonic()
        try:
            self._open_once(rel_path, n_code_cells, timeout / 2, reload=False)
        except TimeoutError:
            self._open_once(rel_path, n_code_cells, timeout, reload=True)
        return time.monotonic() - start

    def _open_once(self, rel_path: str, n_code_cells: int, timeout: float, reload: bool) -> None:
        start = time.monotonic()
        if reload:
            self.page.reload(timeout=timeout * 1000)
        else:
            self.page.goto(self.server.lab_url(rel_path), timeout=timeout * 1000)
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout * 1000)
        deadline = start + timeout
        ready_since = None
        while True:
            self.accept_dialog()
            ready = len(self.prompts()) >= n_code_cells and self.kernel_state(rel_path) == "idle" \
                and self.status() == "idle"
            now = time.monotonic()
            if ready:
                ready_since = ready_since or now
                if now - ready_since > 0.5:  # idle and staying idle: the kernel is connected
                    return
            else:
                ready_since = None
            if now > deadline:
                raise TimeoutError(f"{rel_path}: not ready after {timeout:.0f} s{' (after a reload)' if reload else ''}: "
                                   f"{len(self.prompts())} of {n_code_cells} code cells shown, kernel "
                                   f"{self.kernel_state(rel_path)!r}, page status {self.status()!r}\n"
                                   f"{self.server.log_tail(1500)}")
            time.sleep(0.2)

    def kernel_state(self, rel_path: str):
        """The execution state of this notebook's kernel as the server sees it (None: no session yet)."""
        status, body = self.server.api("/api/sessions")
        for session in json.loads(body) if status == 200 else []:
            if session.get("path") == rel_path and session.get("kernel"):
                k = session["kernel"]
                return k.get("execution_state") if k.get("connections", 0) >= 1 else "not connected"
        return None

    def accept_dialog(self) -> None:
        """Accept a dialog that would block the menus (e.g. Select Kernel: keep Python 3)."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            accept = dialog.locator(".jp-mod-accept")
            if accept.count():
                accept.first.click()

    def status(self):
        return self.page.evaluate(JS_STATUS)

    def prompts(self) -> list[str]:
        return self.page.evaluate(JS_PROMPTS)

    def wait_idle(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.status() != "idle":
            if time.monotonic() > deadline:
                raise TimeoutError(f"kernel not idle after {timeout:.0f} s (status {self.status()!r})")
            time.sleep(0.2)

    def menu(self, menu: str, item: str) -> None:
        self.page.keyboard.press("Escape")
        self.page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')", timeout=15_000)
        self.page.click(f".lm-Menu-itemLabel:text-is('{item}')", timeout=15_000)

    def run_all(self, n_code_cells: int, timeout: float = 180) -> float:
        """Clear every output, Run > Run All Cells, wait until cells 1..n ran and the kernel is idle.

        n_code_cells counts the non-empty code cells (an empty cell gets no execution count).
        """
        self.menu("Edit", "Clear Outputs of All Cells")
        deadline = time.monotonic() + 30
        while any(p not in ("[ ]:", "") for p in self.prompts()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"outputs not cleared: prompts {self.prompts()}")
            time.sleep(0.1)
        start = time.monotonic()
        self.menu("Run", "Run All Cells")
        deadline = start + timeout
        while True:
            prompts = self.prompts()
            numbers = [int(p[1:-2]) for p in prompts if p[1:-2].isdigit()]
            done = ("[*]:" not in prompts and len(numbers) >= n_code_cells
                    and (max(numbers, default=0) >= n_code_cells) and self.status() == "idle")
            if done:
                return time.monotonic() - start
            self.accept_dialog()
            if time.monotonic() > deadline:
                raise TimeoutError(f"Run All not finished after {timeout:.0f} s; prompts {prompts}, "
                                   f"status {self.status()!r}; errors so far: {self.errors()}")
            time.sleep(0.25)

    def errors(self) -> list[str]:
        return self.page.evaluate(JS_ERRORS)

    def output_text(self) -> str:
        return self.page.evaluate(JS_OUTPUT_TEXT)

    def widget_roots(self) -> dict:
        """Rendered widget roots: {"widgets": n, "progress_bars": m} (tqdm bars counted apart)."""
        return self.page.evaluate("""() => {
          let widgets = 0, bars = 0;
          for (const w of document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets')) {
            const bar = w.querySelector('.widget-hprogress, .widget-vprogress, .progress-bar') && !w.querySelector('.course-lesson, img, .noUi-handle');
            if (bar) bars++; else widgets++;
          }
          return {widgets, progress_bars: bars};
        }""")

    def lessons(self) -> list[Lesson]:
        loc = self.page.locator(".jp-OutputArea-output .course-lesson")
        return [Lesson(i, loc.nth(i)) for i in range(loc.count())]

    def wait_figure_change(self, lesson: Lesson, before: str, timeout: float = 10) -> str | None:
        """The lesson's new figure state, or None if it did not change within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = lesson.figure_state()
            if now != before:
                return now
            time.sleep(0.05)
        return None

    def press_slider(self, handle, direction: int = +1) -> str:
        """Focus a slider handle and press an arrow key (reversing at the end); returns the key."""
        handle.scroll_into_view_if_needed(timeout=10_000)
        handle.focus(timeout=10_000)
        now = handle.get_attribute("aria-valuenow")
        hi = handle.get_attribute("aria-valuemax")
        lo = handle.get_attribute("aria-valuemin")
        try:
            if direction > 0 and float(now) >= float(hi):
                direction = -1
            elif direction < 0 and float(now) <= float(lo):
                direction = +1
        except (TypeError, ValueError):
            pass
        key = "ArrowRight" if direction > 0 else "ArrowLeft"
        handle.press(key, timeout=10_000)
        return key
