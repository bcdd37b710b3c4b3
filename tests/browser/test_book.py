"""The static HTML edition (`make book`) in a real browser, served from 127.0.0.1.

Every page must load with no console error and no failed request (the scripts are served
from the site itself, never a CDN), show its figures, and render its embedded widgets as
widgets, not as text.
"""
from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from tools import book, nav

NOTEBOOKS = book.NOTEBOOKS
SOURCES = nav.lesson_paths() + nav.solution_paths()
PAGES = [str(p.relative_to(NOTEBOOKS).with_suffix(".html")) for p in SOURCES] + ["glossary.html"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def output_counts(page: str) -> tuple[int, int]:
    """(figures, widgets) among the committed outputs of the page's notebook."""
    path = NOTEBOOKS / Path(page).with_suffix(".ipynb")
    if not path.exists():
        return 0, 0
    images = widgets = 0
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            images += "image/png" in data
            widgets += WIDGET_VIEW in data
    return images, widgets


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory, chromium_ok):
    out = tmp_path_factory.mktemp("site")
    book.build(out)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", out
    server.shutdown()
    server.server_close()


def test_index_leads_to_the_first_lesson(site_url, page):
    url, _ = site_url
    page.goto(url)
    page.wait_for_url("**/00_start_here.html")
    assert page.locator(".course-banner").count() == 1


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_with_figures_and_widgets(site_url, page, name, artifacts_dir):
    url, out = site_url
    problems = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    response = page.goto(url + name)
    assert response is not None and response.ok, f"{name}: HTTP {response.status if response else '?'}"
    page.wait_for_load_state("networkidle")

    images, widgets = output_counts(name)
    if widgets:
        # the embedded widget manager replaces each widget-view script with live DOM
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-OutputArea-output .jupyter-widgets.widget-vbox, "
            ".jp-OutputArea-output .jupyter-widgets.widget-box').length >= n", arg=widgets, timeout=30_000)
        assert page.locator(".widget-slider, .widget-hslider, .widget-button, .widget-dropdown").count() > 0
        lesson_images = page.locator(".course-lesson img")
        for i in range(lesson_images.count()):
            assert lesson_images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), \
                f"{name}: lesson figure {i} did not load"
    if images:
        shown = page.locator(".jp-OutputArea-output img").evaluate_all(
            "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")
        assert shown >= images, f"{name}: {shown} figures shown, {images} in the notebook"
    text = page.inner_text("body")
    for leak in ("[interactive widget:", "FloatSlider(", "IntSlider(", "VBox(children"):
        assert leak not in text, f"{name}: a widget shows as text: {leak}"
    assert page.locator(".course-banner").count() == 1
    for href in page.locator("a[href]").evaluate_all("as => as.map(a => a.getAttribute('href'))"):
        target = urlparse(urljoin(url + name, href))
        if target.netloc == urlparse(url).netloc and target.path:
            assert (out / target.path.lstrip("/")).exists(), f"{name}: broken link {href}"
    page.screenshot(path=str(artifacts_dir / f"book-{name.replace('/', '-')}.png"), full_page=False)
    assert not problems, f"{name}: " + "; ".join(problems[:5])
