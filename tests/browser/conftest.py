"""Fixtures for the real-browser tests: one JupyterLab server and one Chromium per worker.

Chromium comes from $CHROMIUM (default /usr/bin/chromium). Without it the browser tests
are skipped with the reason shown in pytest's summary, except under CI=true or
REQUIRE_BROWSER=1, where a missing browser is a failure: CI must not pass without
having looked at the notebooks in a browser.
"""
from __future__ import annotations

import os

import pytest

from tools.browser import ROOT, LabServer, chromium_problem, launch_chromium, stage_course

ARTIFACTS = ROOT / "artifacts" / "browser"


def browser_required() -> bool:
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    required = os.environ.get("REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")
    return ci or required


@pytest.fixture(scope="session")
def chromium_ok() -> None:
    """Skip (or, under CI=true / REQUIRE_BROWSER=1, fail) when Chromium cannot run."""
    problem = chromium_problem()
    if problem is None:
        return
    if browser_required():
        pytest.fail(f"the real-browser tests are required here (CI=true or REQUIRE_BROWSER=1) "
                    f"but cannot run: {problem}", pytrace=False)
    pytest.skip(f"real-browser test skipped: {problem}")


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab started with tools.lab.lab_command on a throwaway copy of notebooks/ and data/.

    The committed notebooks are never served, so nothing a test does can save over them.
    Session scope under xdist means one server per worker that needs one.
    """
    root = stage_course(tmp_path_factory.mktemp("course"))
    server = LabServer(root, state_dir=tmp_path_factory.mktemp("lab-state"))
    server.start(timeout=120)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_ok):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies, no storage) and page per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
