"""What a teacher must size for a class on JupyterHub: memory per learner, and login to a ready lesson.

Starts the course's trial hub (tools.hub.Hub, what `make hub` runs) on a temporary folder and
drives one learner in Chromium (tools/hub_browser.py, tools/browser.py):

1. **login to ready**: from submitting the login form to lesson 00 open through the
   nbgitpuller link with its kernel connected and idle. The first time includes starting
   the learner's server and cloning the course; `--repeats` more learners do the same, one
   after the other, and the median is reported.
2. **memory per lesson**: for every lesson, open it through the link, Run All Cells, and
   read the kernel's memory (RSS; USS, its private part; PSS, its fair share of what it
   shares) and the learner's server's, then shut the kernel down before the next lesson.

Run: `.venv/bin/python -m benchmarks.hub_sizing`;
`--json PATH` also writes the numbers. Needs `make hub`'s packages (`python -m tools.hub install`)
and Chromium. Takes about 4 minutes on the course's 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tools import hub as hubtool
from tools.browser import NotebookPage, committed_counts, course_notebooks, launch_chromium
from tools.hub_browser import LearnerServer, log_in, prepare_home

ROOT = hubtool.ROOT

MiB = 1024 * 1024


def kernel_pid(hub: hubtool.Hub, server: LearnerServer, rel_path: str) -> int | None:
    """The pid of the kernel of the notebook at rel_path (its connection file names the kernel's id)."""
    import psutil

    status, body = server.api("/api/sessions")
    ids = [s["kernel"]["id"] for s in json.loads(body) if s.get("path") == rel_path and s.get("kernel")]
    if status != 200 or not ids:
        return None
    for pid in hub.processes().get(server.user, [])[1:]:
        try:
            if f"kernel-{ids[0]}.json" in " ".join(psutil.Process(pid).cmdline()):
                return pid
        except psutil.Error:
            continue
    return None


def memory(pid: int) -> dict:
    import psutil

    info = psutil.Process(pid).memory_full_info()
    return {"rss": info.rss / MiB, "uss": info.uss / MiB, "pss": getattr(info, "pss", info.uss) / MiB}


def login_to_ready(hub, browser, user: str, repo: str, branch: str) -> tuple[float, NotebookPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    start = time.monotonic()
    log_in(page, hub, user)
    server = LearnerServer(hub, user, repo, branch)
    nb = NotebookPage(page, server)
    first = f"{hubtool.COURSE_DIR}/{hubtool.FIRST_NOTEBOOK}"
    nb.open(first, committed_counts(ROOT / hubtool.FIRST_NOTEBOOK)["all_code_cells"], timeout=300)
    return time.monotonic() - start, nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="learners who log in, one after another")
    parser.add_argument("--lessons", nargs="*", default=[], help="lesson numbers to measure (default: all)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    problem = hubtool.install_problem()
    if problem:
        print(f"hub sizing not measured: {problem}")
        return 1
    from playwright.sync_api import sync_playwright

    users = [f"learner{i}" for i in range(1, args.repeats + 1)]
    results = {"machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
                          f"Python {platform.python_version()}", "logins": [], "lessons": []}
    with tempfile.TemporaryDirectory(prefix="hub-sizing-") as tmp, sync_playwright() as pw:
        repo, branch = hubtool.publish_course(Path(tmp) / "course.git")
        hub = hubtool.Hub(Path(tmp) / "hub", users, remove_state=True)
        for user in users:
            prepare_home(hub, user)
        browser = launch_chromium(pw)
        hub.start()
        try:
            nbs = {}
            for user in users:
                seconds, nbs[user] = login_to_ready(hub, browser, user, repo, branch)
                results["logins"].append(round(seconds, 1))
                print(f"{user}: login to lesson 00 ready in {seconds:.1f} s", flush=True)
                if user != users[0]:  # keep one learner's server; the others go
                    nbs[user].server.shutdown_kernels()
                    nbs[user].page.context.close()
            nb = nbs[users[0]]
            nb.server.shutdown_kernels()
            nb.server.reset_workspace = True  # each lesson in a clean workspace: one kernel at a time
            for notebook in [n for n in course_notebooks() if not args.lessons or n.name[:2] in args.lessons]:
                nb.page.context.close()
                page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
                page.set_default_timeout(120_000)
                log_in(page, hub, users[0])  # a new browser context has no login cookie
                nb = NotebookPage(page, nb.server)
                rel = f"{hubtool.COURSE_DIR}/notebooks/{notebook.name}"
                counts = committed_counts(notebook)
                start = time.monotonic()
                nb.open(rel, counts["all_code_cells"], timeout=300)
                opened = time.monotonic() - start
                ran = nb.run_all(counts["code_cells"], timeout=600)
                time.sleep(1.0)
                pid = kernel_pid(hub, nb.server, rel)
                row = {"lesson": notebook.stem, "open_s": round(opened, 1), "run_s": round(ran, 1),
                       "kernel": {k: round(v) for k, v in memory(pid).items()} if pid else None,
                       "server": {k: round(v) for k, v in memory(hub.processes()[users[0]][0]).items()}}
                results["lessons"].append(row)
                print(json.dumps(row), flush=True)
                nb.server.shutdown_kernels()
        finally:
            browser.close()
            left = hub.stop()
            if left:
                print(f"still running after stop: {left}", file=sys.stderr)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def report(results: dict) -> str:
    lines = [f"Machine: {results['machine']}", "",
             f"Login to lesson 00 ready (server start + clone + kernel), {len(results['logins'])} learners "
             f"one after another: {', '.join(f'{s} s' for s in results['logins'])} "
             f"(median {statistics.median(results['logins']):.1f} s)", "",
             "| lesson | open s | run all s | kernel RSS MiB | kernel USS MiB | kernel PSS MiB | server RSS MiB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results["lessons"]:
        k = r["kernel"] or {"rss": "?", "uss": "?", "pss": "?"}
        lines.append(f"| {r['lesson'][:2]} | {r['open_s']} | {r['run_s']} | {k['rss']} | {k['uss']} | {k['pss']} "
                     f"| {r['server']['rss']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
