"""A class on the course's trial JupyterHub (tools.hub, `make hub`), end to end in Chromium.

One hub for the module, on 127.0.0.1, with two learners who work at the same time:
- both log in through the hub's form and open lesson 04 through the nbgitpuller link,
  which gives each their own copy of the course from its git repository;
- both run all cells, move a slider and see the figure change;
- each kernel imports the `helpers` of that learner's own copy (not the editable install),
  runs with one torch thread, and talks to its server over Unix sockets only its owner can use;
- learner A's saved edit stays in A's copy; a later update of the course reaches A by the
  same link and is merged without overwriting A's edit, and A's kernel then imports the
  updated helpers;
- requests without a login are refused; hub, proxy, servers and kernels listen on loopback only;
- stopping the hub stops every process it started and removes its folders.

The tests run in order and share the hub (pytest runs a module's tests in file order).
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tools import hub as hubtool
from tools.browser import NotebookPage, committed_counts
from tools.hub_browser import LearnerServer, log_in, prepare_home, request, run_in_kernel

LESSON = "notebooks/04_mm_surprise_game.ipynb"
USERS = ["learner1", "learner2"]
A, B = USERS
RUN_TIMEOUT = 300
EDIT_MARK = "learner1's own note: keep me"
UPDATE_MARK = "COURSE_UPDATE = 'a fix the teacher pushed after class started'"


def hub_required() -> bool:
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return ci or os.environ.get("REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def hub(tmp_path_factory, chromium_ok):
    problem = hubtool.install_problem()
    if problem:
        if hub_required():
            pytest.fail(f"the hub test is required here (CI=true) but cannot run: {problem}", pytrace=False)
        pytest.skip(f"hub test skipped: {problem}")
    state = tmp_path_factory.mktemp("hub")
    repo, branch = hubtool.publish_course(state / "course.git")
    h = hubtool.Hub(state / "hub", USERS, remove_state=True)
    for user in USERS:
        prepare_home(h, user)
    h.start()
    h.repo, h.branch, h.upstream_state = repo, branch, state
    yield h
    h.stop()


@pytest.fixture(scope="module")
def shared():
    """What the tests hand on to the ones after them (pages, servers, kernel ids)."""
    return {}


def _lesson_path() -> str:
    return f"{hubtool.COURSE_DIR}/{LESSON}"


def _wait_all_ran(nbs: list[NotebookPage], n_code: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        pending = []
        for nb in nbs:
            prompts = nb.prompts()
            numbers = [int(p[1:-2]) for p in prompts if p[1:-2].isdigit()]
            if not ("[*]:" not in prompts and len(numbers) >= n_code and max(numbers, default=0) >= n_code
                    and nb.status() == "idle"):
                pending.append(nb)
            nb.accept_dialog()
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Run All not finished after {timeout:.0f} s for "
                               f"{[nb.server.user for nb in pending]}; errors: {[nb.errors() for nb in pending]}")
        time.sleep(0.3)


def test_requests_without_login_are_refused(hub):
    # the hub's API, a learner's server API and a learner's JupyterLab page, with no login
    status, body, _ = request(f"{hub.base}/hub/api/users")
    assert status == 403, f"hub API without a token answered {status}: {body[:200]}"
    status, _, headers = request(f"{hub.base}/user/{A}/api/contents", follow=False)
    assert status in (302, 403), status
    if status == 302:
        assert "/hub/" in headers.get("Location", ""), headers
    status, _, headers = request(f"{hub.base}/user/{A}/lab", follow=False)
    assert status == 302 and "/hub/" in headers.get("Location", ""), (status, headers)
    # a wrong password does not get a token
    body = json.dumps({"auth": {"username": A, "password": "not-the-password"}}).encode()
    status, _, _ = request(f"{hub.base}/hub/api/users/{A}/tokens", method="POST", body=body)
    assert status == 403, status
    # and an unknown learner cannot log in even with the right password
    body = json.dumps({"auth": {"username": "intruder", "password": hub.password}}).encode()
    status, _, _ = request(f"{hub.base}/hub/api/users/intruder/tokens", method="POST", body=body)
    assert status == 403, status


def test_two_learners_run_lesson_04_through_the_link(hub, browser, shared, artifacts_dir):
    expected = committed_counts(Path(__file__).resolve().parents[2] / LESSON)
    pages, nbs = {}, {}
    for user in USERS:  # both logged in at once, each in their own browser context
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        log_in(page, hub, user)
        assert "/hub/login" not in page.url, f"{user} was not logged in: {page.url}"
        pages[user] = page
    for user in USERS:  # tokens need a logged-in user record; the link starts the server
        server = LearnerServer(hub, user, hub.repo, hub.branch)
        nbs[user] = NotebookPage(pages[user], server)
    try:
        for user in USERS:
            nbs[user].open(_lesson_path(), expected["all_code_cells"], timeout=240)
        for user in USERS:  # each learner has a copy of their own, cloned by the link
            course = hub.course_root(user)
            assert (course / LESSON).exists() and (course / "helpers" / "__init__.py").exists(), \
                f"{user}: the link did not put the course in {course}"
            assert (course / ".git").is_dir()
        for user in USERS:  # both run at the same time
            nbs[user].menu("Run", "Run All Cells")
        _wait_all_ran(list(nbs.values()), expected["code_cells"], RUN_TIMEOUT)
        for user in USERS:
            nb = nbs[user]
            assert not nb.errors(), f"{user}: errors after Run All: {nb.errors()}"
            lessons = nb.lessons()
            assert len(lessons) == expected["lessons"], f"{user}: {len(lessons)} lesson widgets"
            lesson = lessons[0]
            handle = lesson.sliders()[0]
            before = lesson.figure_state()
            nb.press_slider(handle, +1)
            assert nb.wait_figure_change(lesson, before, 20) is not None, \
                f"{user}: moving a slider did not change the figure"
            pages[user].screenshot(path=str(artifacts_dir / f"hub-{user}-lesson04.png"))
        for user in USERS:
            kernels = nbs[user].server.kernels()
            assert len(kernels) == 1, f"{user}: kernels {kernels}"
            shared[user] = {"server": nbs[user].server, "kernel": kernels[0]["id"], "page": pages[user]}
    except Exception:
        for user, page in pages.items():
            try:
                page.screenshot(path=str(artifacts_dir / f"hub-{user}-failure.png"))
            except Exception:  # noqa: BLE001 - the screenshot must not hide the failure
                pass
        raise


def _need(shared):
    if set(USERS) - set(shared):
        pytest.fail("needs the learners from test_two_learners_run_lesson_04_through_the_link", pytrace=False)


def test_each_kernel_imports_its_learners_own_helpers_with_one_thread(hub, shared):
    _need(shared)
    root = Path(__file__).resolve().parents[2]
    for user in USERS:
        server = shared[user]["server"]
        out = run_in_kernel(server.connection_file(shared[user]["kernel"]), (
            "import sys, os, torch\n"
            "print(sys.modules['helpers'].__file__)\n"  # the helpers lesson 04 really used
            "print(os.environ.get('OMP_NUM_THREADS'), torch.get_num_threads())\n"))
        helpers_file, threads = out.strip().splitlines()
        expected = hub.course_root(user) / "helpers" / "__init__.py"
        assert Path(helpers_file) == expected, f"{user}'s kernel imported {helpers_file}, not {expected}"
        assert not Path(helpers_file).is_relative_to(root), "the editable install's helpers leaked in"
        assert threads == "1 1", f"{user}: OMP_NUM_THREADS and torch threads: {threads}"


def test_kernels_talk_over_unix_sockets_only_their_owner_can_use(hub, shared):
    _need(shared)
    for user in USERS:
        server = shared[user]["server"]
        runtime = server.runtime_dir()
        assert stat.S_IMODE(runtime.stat().st_mode) & 0o077 == 0, f"{runtime} is open to others"
        info = json.loads(server.connection_file(shared[user]["kernel"]).read_text())
        assert info["transport"] == "ipc", info
        for channel in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            sock = Path(f"{info['ip']}-{info[channel]}")
            st = sock.stat()
            assert stat.S_ISSOCK(st.st_mode), f"{sock} is not a Unix socket"
            assert st.st_uid == os.getuid()
            assert stat.S_IMODE(st.st_mode) & 0o077 == 0, f"{sock}: mode {oct(st.st_mode)}"
            assert sock.parent == runtime


def test_hub_proxy_servers_and_kernels_listen_on_loopback_only(hub, shared):
    _need(shared)
    import psutil

    procs = hub.processes()
    assert {"hub", "proxy", *USERS} <= set(procs), procs
    listening = {}
    for name, pids in procs.items():
        for pid in pids:
            try:
                conns = psutil.Process(pid).net_connections(kind="inet")
            except psutil.Error:
                continue
            for c in conns:
                if c.status == psutil.CONN_LISTEN:
                    listening.setdefault(name, []).append((pid, c.laddr.ip, c.laddr.port))
    assert any(port == hub.port for _, _, port in listening.get("proxy", [])), listening
    for user in USERS:
        assert listening.get(user), f"{user}'s server listens nowhere? {listening}"
    wide = {n: [x for x in socks if x[1] not in ("127.0.0.1", "::1")] for n, socks in listening.items()}
    wide = {n: s for n, s in wide.items() if s}
    assert not wide, f"listening beyond loopback: {wide}"
    # each kernel: one internal loopback socket at most (ipykernel's subprocess-output forwarder)
    for user in USERS:
        kernel_pids = procs[user][1:]
        kernel_tcp = [x for x in listening.get(user, []) if x[0] in kernel_pids]
        assert len(kernel_tcp) <= 1, f"{user}'s kernel listens on TCP: {kernel_tcp}"


def test_an_edit_stays_with_its_learner_and_survives_a_course_update(hub, shared):
    _need(shared)
    a, b = shared[A]["server"], shared[B]["server"]
    path = f"/api/contents/{hubtool.COURSE_DIR}/{LESSON}"
    status, body = a.api(path, timeout=30)
    assert status == 200, body[:300]
    model = json.loads(body)
    nb = model["content"]
    nb["cells"].insert(1, {"cell_type": "markdown", "metadata": {}, "source": EDIT_MARK})
    status, body = a.api(path, method="PUT", timeout=30,
                         body=json.dumps({"type": "notebook", "format": "json", "content": nb}).encode())
    assert status == 200, body[:300]
    a_file, b_file = hub.course_root(A) / LESSON, hub.course_root(B) / LESSON
    assert EDIT_MARK in a_file.read_text()
    assert EDIT_MARK not in b_file.read_text(), "learner1's edit appeared in learner2's copy"
    assert EDIT_MARK not in b.api(path, timeout=30)[1]

    # the teacher pushes a fix to helpers and a change to the lesson's last cell
    work = hub.upstream_state / "teacher"
    git = ["git", "-c", "user.name=Teacher", "-c", "user.email=teacher@example.invalid"]
    subprocess.run(["git", "clone", "--quiet", "--branch", hub.branch, hub.repo, str(work)], check=True)
    init = work / "helpers" / "__init__.py"
    init.write_text(init.read_text() + f"\n{UPDATE_MARK}\n")
    lesson = json.loads((work / LESSON).read_text())
    lesson["cells"][-1]["source"] = ["Updated by the teacher.\n\n", *lesson["cells"][-1]["source"]]
    (work / LESSON).write_text(json.dumps(lesson, indent=1, ensure_ascii=False) + "\n")
    subprocess.run([*git, "commit", "--quiet", "-am", "A fix after class started"], cwd=work, check=True)
    subprocess.run(["git", "push", "--quiet", "origin", hub.branch], cwd=work, check=True)

    # learner A clicks the same link again: nbgitpuller merges and keeps A's edit
    page = shared[A]["page"]
    page.goto(a.lab_url(_lesson_path()))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    deadline = time.monotonic() + 60
    while UPDATE_MARK not in (hub.course_root(A) / "helpers" / "__init__.py").read_text():
        assert time.monotonic() < deadline, f"the update did not reach learner1:\n{hub.log_tail()}"
        time.sleep(0.5)
    text = a_file.read_text()
    assert EDIT_MARK in text, "the pull overwrote learner1's edit"
    assert "Updated by the teacher." in text, "the pull did not merge the teacher's change to the lesson"
    assert UPDATE_MARK not in (hub.course_root(B) / "helpers" / "__init__.py").read_text()

    # a kernel A starts now imports the updated helpers: a fix reaches learners by a pull
    status, body = a.api("/api/kernels", method="POST", timeout=60)
    assert status == 201, body[:300]
    out = run_in_kernel(a.connection_file(json.loads(body)["id"]), "import helpers\nprint(helpers.COURSE_UPDATE)")
    assert "a fix the teacher pushed" in out, out


def test_stopping_the_hub_stops_and_removes_everything(hub, shared):
    import psutil

    for user in shared:
        try:
            shared[user]["page"].context.close()
        except Exception:  # noqa: BLE001 - already closed
            pass
    hub.processes()
    started = set(hub.started_pids)
    assert len(started) >= 2 + 2 * len(USERS) - 2, started  # hub, proxy, servers (and kernels)
    runtime, state = Path(hub.runtime), hub.state
    left = hub.stop()
    assert not left, f"still running after stop: {left}"
    alive = [p for p in started if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not alive, alive
    assert not runtime.exists() and not state.exists(), "the hub's folders were not removed"
    status = None
    try:
        status = request(f"{hub.base}/hub/api", timeout=5)[0]
    except OSError:
        pass
    assert status is None, f"something still answers on {hub.base}: {status}"
