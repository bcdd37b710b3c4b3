"""The static HTML edition (`make book`) in a real browser, served from 127.0.0.1.

Every page must load with no console error and no failed request (the scripts are served
from the site itself, never a CDN), show its figures, and render its embedded widgets as
widgets, not as text. Every page must pass axe-core (pinned and checksummed like the
pages' own scripts, tools.book.AXE; injected here, never shipped) with no serious or
critical violation, and every figure must carry a text alternative written for it.
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
NBCONVERT_PLACEHOLDER = "No description has been provided for this image"  # nbconvert's alt for an image without one
AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 200) + ' -- ' + (n.failureSummary || '').slice(0, 300))}));
}"""
# every image in the outputs, with the text a screen reader would give for it
JS_FIGURE_NAMES = """() => [...document.querySelectorAll('.jp-OutputArea-output img')].map(
  i => ({alt: (i.getAttribute('alt') || '').trim(), title: (i.getAttribute('title') || '').trim(),
         widget: i.classList.contains('widget-image')}))"""


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
def axe_script():
    """axe-core's script, fetched once from npm at its pinned version and checked against its sha512."""
    return book.fetch_vendor(packages=book.AXE) / "axe-core" / "axe.min.js"


def axe_violations(page, script: Path) -> list[dict]:
    page.add_script_tag(path=str(script))
    return page.evaluate(AXE_RUN)


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
def test_page_loads_cleanly_with_figures_and_widgets(site_url, page, name, artifacts_dir, axe_script):
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

    # accessibility: every figure says what it shows; axe finds nothing serious or critical
    unnamed = [f for f in page.evaluate(JS_FIGURE_NAMES)
               if not (f["alt"] or f["title"]) or f["alt"] == NBCONVERT_PLACEHOLDER]
    assert not unnamed, (f"{name}: {len(unnamed)} figure(s) without a text alternative of their own "
                         f"(helpers.plots.show(fig, alt=...) for a figure, a view's .alt for a lesson widget): {unnamed}")
    unnamed_sliders = page.locator('[role="slider"]:not([aria-label]):not([aria-labelledby])').count()
    assert unnamed_sliders == 0, f"{name}: {unnamed_sliders} slider(s) without an accessible name"
    violations = axe_violations(page, axe_script)
    assert not violations, f"{name}: axe-core found serious or critical violations:\n" + "\n".join(
        f"- {v['impact']} {v['id']} ({v['help']}): " + " | ".join(v["nodes"]) for v in violations)


def test_axe_reports_what_the_pages_must_not_have(page, axe_script):
    """The control: the injected axe-core does find a missing alt, low contrast and an unnamed slider."""
    page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                     '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                     '<p style="color:#bbb;background:#fff">pale text</p>'
                     '<div role="slider" tabindex="0" aria-valuenow="1" aria-valuemin="0" aria-valuemax="2"></div>'
                     '</main></body></html>')
    found = {v["id"] for v in axe_violations(page, axe_script)}
    assert {"image-alt", "color-contrast", "aria-input-field-name"} <= found, found
