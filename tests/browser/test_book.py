"""The static HTML edition (`make book`) in a real browser, served from 127.0.0.1.

Every page must load with no console error and no failed request (the scripts are served
from the site itself, never a CDN), show its figures, and render its embedded widgets as
widgets, not as text. Every page must pass axe-core (pinned and checksummed like the
pages' own scripts, tools.book.AXE; injected here, never shipped) with no serious or
critical violation, and every figure must carry a text alternative written for it.

Every lesson widget that moves in the static edition must answer an arrow key on each of
its sliders within one animation frame, with the frame, readout, slider label and the
figure's alt text the build's manifest gives for the new grid point. A lesson page is
loaded once for both: the checks every page gets, then its widgets are moved.
"""
from __future__ import annotations

import functools
import hashlib
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from tools import book, frames, nav

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


LESSON_PAGES = [p.with_suffix(".html").name for p in nav.lesson_paths()]
OTHER_PAGES = [name for name in PAGES if name not in LESSON_PAGES]  # solutions and the glossary


def watch_problems(page) -> list[str]:
    """Console errors, page errors, failed requests and HTTP errors of `page` from now on."""
    problems = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return problems


@pytest.mark.parametrize("name", OTHER_PAGES)
def test_page_loads_cleanly_with_figures_and_widgets(site_url, page, name, artifacts_dir, axe_script):
    check_page_loads_cleanly(site_url, page, name, artifacts_dir, axe_script, watch_problems(page))


@pytest.mark.parametrize("name", LESSON_PAGES)
def test_lesson_page_loads_cleanly_and_its_widgets_move_without_a_kernel(site_url, page, name, artifacts_dir,
                                                                        axe_script):
    """A lesson page: every check of the other pages, then its widgets move, on the same page load."""
    problems = watch_problems(page)
    check_page_loads_cleanly(site_url, page, name, artifacts_dir, axe_script, problems)
    check_lesson_widgets_move(site_url, page, name)
    assert not problems, f"{name}: " + "; ".join(problems[:5])


def check_page_loads_cleanly(site_url, page, name: str, artifacts_dir, axe_script, problems: list[str]) -> None:
    url, out = site_url
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


# Installed before a key press: on the keydown (capture, so before the slider sees it) note
# what the widget shows, then in the next animation frame note what it shows then.
WATCH_ONE_FRAME = """root => {
  window.__courseMove = undefined;
  const img = root.querySelector('img.widget-image'), text = root.querySelector('.course-readout');
  document.addEventListener('keydown', () => {
    const before = {src: img.getAttribute('src'), readout: text.textContent};
    requestAnimationFrame(() => { window.__courseMove = {before, src: img.getAttribute('src'),
      readout: text.textContent, shown: img.complete && img.naturalWidth > 0, alt: img.getAttribute('alt'),
      point: Number(root.getAttribute('data-course-point'))}; });
  }, {capture: true, once: true});
}"""


def unflat(index: int, sizes: list[int]) -> list[int]:
    point = []
    for k in reversed(sizes):
        point.insert(0, index % k)
        index //= k
    return point


def flat(point: list[int], sizes: list[int]) -> int:
    index = 0
    for i, k in zip(point, sizes):
        index = index * k + i
    return index


def next_point(w: dict, now: int, axis: int) -> tuple[str, int]:
    """The arrow key to press on control `axis` and the grid point the widget should land on.

    Prefers the direction in which both the figure and the readout change.
    """
    sizes = [len(c["values"]) for c in w["controls"]]
    options = []
    for key, step in (("ArrowRight", 1), ("ArrowLeft", -1)):
        point = unflat(now, sizes)
        if 0 <= point[axis] + step < sizes[axis]:
            point[axis] += step
            target = w["snap"].get(str(flat(point, sizes)), flat(point, sizes))
            changes = (w["frame_of"][target] != w["frame_of"][now]) + (w["readout_of"][target] != w["readout_of"][now])
            options.append((changes, key, target))
    changes, key, target = max(options, key=lambda o: o[0])
    return key, target


def check_lesson_widgets_move(site_url, page, name: str) -> None:
    """On the loaded lesson page `name`: each moving widget answers its controls with the manifest's frames."""
    url, out = site_url
    manifest = json.loads((out / "frames" / Path(name).stem / "manifest.json").read_text(encoding="utf-8"))
    page.wait_for_selector("body[data-course-widgets=ready]", state="attached", timeout=60_000)
    # every lesson widget on the page is either in the manifest or listed as kept still
    assert page.locator(".course-lesson").count() == len(manifest["widgets"]) + len(manifest["frozen"])
    banner = page.locator(".course-banner").inner_text()
    notes = page.locator(".course-static-note").all_inner_texts()
    for w in manifest["frozen"]:
        assert w["title"] in banner and "live course" in banner
        assert any("stays as saved" in n and w["note"] in n for n in notes), f"{name}: no note for {w['title']}"
    for number, w in enumerate(manifest["widgets"]):
        assert w["title"] in banner, f"{name}: the banner does not say {w['title']!r} moves"
        root = page.locator(f'[data-course-widget="{number}"]')
        root.hover()  # a pointer entering the widget fetches all its frames
        page.wait_for_selector(f'[data-course-widget="{number}"][data-course-frames="ready"]', timeout=60_000)
        sizes = [len(c["values"]) for c in w["controls"]]
        for axis, c in enumerate(w["controls"]):
            control = root.locator(f'[data-course-control="{axis}"]')
            now = int(root.get_attribute("data-course-point"))
            if c["kind"] in ("slider", "log"):
                key, target = next_point(w, now, axis)
                control.locator(".noUi-handle").focus()
                root.evaluate(WATCH_ONE_FRAME)
                page.keyboard.press(key)
                page.wait_for_function("window.__courseMove !== undefined", timeout=20_000)
                seen = page.evaluate("window.__courseMove")
            elif c["kind"] == "select":
                point = unflat(now, sizes)
                point[axis] = (point[axis] + 1) % sizes[axis]
                target = w["snap"].get(str(flat(point, sizes)), flat(point, sizes))
                choose = control.locator("select")
                if choose.count():  # a dropdown
                    choose.select_option(index=c["values"][point[axis]])
                else:  # toggle or radio buttons: one button per option
                    control.locator("button, input[type=radio]").nth(c["values"][point[axis]]).click()
                seen = root.evaluate("""root => ({src: root.querySelector('img.widget-image').getAttribute('src'),
                    readout: root.querySelector('.course-readout').textContent,
                    alt: root.querySelector('img.widget-image').getAttribute('alt'),
                    point: Number(root.getAttribute('data-course-point'))})""")
            else:
                continue
            what = f"{name}: {w['title']!r}, {c['name']} from point {now}"
            expected_text = page.evaluate("h => { const d = document.createElement('div'); d.innerHTML = h; "
                                          "return d.textContent; }", w["readouts"][w["readout_of"][target]])
            assert seen["point"] == target, what
            assert seen["src"] == w["frames"][w["frame_of"][target]], f"{what}: wrong figure"
            assert seen["readout"] == expected_text, f"{what}: the readout is not the manifest's"
            assert w["alt"] and seen["alt"] == w["alt"], f"{what}: the figure lost its view's alt text"
            if c["kind"] in ("slider", "log"):  # all of this within one animation frame of the key press
                assert seen["shown"], f"{what}: the new frame was not ready to paint"
                if w["frame_of"][target] != w["frame_of"][now]:
                    assert seen["src"] != seen["before"]["src"], f"{what}: the figure did not change"
                if w["readout_of"][target] != w["readout_of"][now]:
                    assert seen["readout"] != seen["before"]["readout"], f"{what}: the readout did not change"
                assert w["frame_of"][target] != w["frame_of"][now] or w["readout_of"][target] != w["readout_of"][now]
                label = control.locator(".widget-readout").inner_text().strip()
                assert label == c["labels"][unflat(target, sizes)[axis]], f"{what}: the slider shows {label}"


def test_the_frame_generator_is_deterministic(site_url, tmp_path):
    """A second run of tools/frames.py on lesson 00 gives the very frames the site holds (by hash)."""
    _, out = site_url
    path = nav.lesson_paths()[0]
    site = out / "frames" / path.stem
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    again = frames.generate(path, tmp_path)
    digests = {folder: {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.png")}
               for folder in (site, tmp_path)}
    assert digests[site] and digests[site] == digests[tmp_path]
    for name, digest in digests[site].items():
        assert name == digest[:16] + ".png"  # a frame's name is the hash of its bytes
    (w,) = manifest["widgets"]
    ((d,),) = again["widgets"].values()
    assert [Path(f).name for f in w["frames"]] == d["frames"]
    assert (w["frame_of"], w["readouts"], w["readout_of"]) == (d["frame_of"], d["readouts"], d["readout_of"])
