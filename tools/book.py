"""Build the static HTML edition of the course into site/ (`make book`).

Every lesson, every solutions notebook and the glossary become HTML pages that need no
kernel: the committed outputs and figures are shown, and the widget state saved by
`make outputs` is embedded, so widgets render at their saved positions.

Lesson widgets move with no kernel: tools/frames.py runs each lesson notebook and draws
every widget's figure and readout over a grid of its controls' values, with the widget's
own code. This module then, per page: sets each moving slider's range and step to its grid
in the embedded widget state, writes the frames to site/frames/<page>/ with a
manifest.json (the grid, and which frame and readout belong to each point), puts the
same manifest in the page, and adds under each widget a line saying what it shows here.
tools/static/static-widgets.js renders the widgets (the official HTML manager) and,
when a control changes, shows the frame and readout of its grid point. Frames are cached
in build/frames/ by a hash of what they are drawn from. A banner on each page says which
widgets move and which need the live course (JupyterLab or Binder).

Tool: nbconvert's HTML exporter (lab template), which already ships with JupyterLab and
embeds widget state. The three scripts a page loads (require.js, the widget HTML manager,
MathJax 2) are served from site/_static instead of a CDN, so the pages work offline; they
are fetched once from the npm registry at pinned versions, checked against their
published sha512, and cached in build/vendor/.
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures
import functools
import hashlib
import html
import json
import multiprocessing
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from tools import frames, nav, release

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
VENDOR_CACHE = ROOT / "build" / "vendor"
FRAMES_CACHE = ROOT / "build" / "frames"
STATIC = Path(__file__).resolve().parent / "static"  # the course's own scripts for the pages
SLOW_WIDGET_SECONDS = 60  # make book says so when drawing one widget's frames takes longer
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MODEL_KINDS = {"slider": ("FloatSliderModel", "IntSliderModel"), "log": ("FloatLogSliderModel",),
               "select": ("DropdownModel", "ToggleButtonsModel", "RadioButtonsModel", "SelectModel",
                          "SelectionSliderModel"),
               "bool": ("CheckboxModel", "ToggleButtonModel")}

# npm package -> (sha512 integrity published by the registry, folder under _static/)
VENDOR = {
    "requirejs@2.3.8": ("sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==", "requirejs"),
    "@jupyter-widgets/html-manager@1.0.15": ("sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==", "html-manager"),
    "mathjax@2.7.9": ("sha512-NOGEDTIM9+MrsqnjPEjVGNx4q0GQxqm61yQwSK+/5S59i26wId5IC5gNu9/bu8+CCVl5p9G2IHcAl/wJa+5+BQ==", "mathjax"),
}

# Not part of the pages: the accessibility engine tests/browser/test_book.py injects into each page.
AXE = {"axe-core@4.14.1": ("sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==", "axe-core")}

BANNER = """<div class="course-banner" style="background:#fff3cd;border-bottom:1px solid #e0c97f;
padding:10px 16px;font:14px/1.4 system-ui,sans-serif;color:#3d3200">
<b>Static edition</b>, course version {version}. You are reading saved outputs; no Python runs here. {widgets}
For the live course, clone the repository and run <code>make lab</code> (JupyterLab on your
machine), or open it on Binder; see the README.
<a href="{root}index.html">Course start</a> · <a href="{root}glossary.html">Glossary</a></div>"""
NOTE = '<div class="course-static-note" style="font-size:0.9em;color:#555;margin:4px 0">{}</div>'


# What makes every page pass axe-core with no serious or critical violation (tests/browser/test_book.py):
# - text and code colours with at least 4.5:1 contrast on the cells' background (the lab
#   template's prompts and several syntax colours are paler than that);
# - links in running text underlined, not told apart by colour alone;
# - each slider handle named after its widget's label (the widget manager renders a bare
#   role="slider" element), once the embedded widgets have been rendered.
A11Y_HEAD = """<style>
:root {
  --jp-mirror-editor-atom-color: #4747c9; --jp-mirror-editor-bracket-color: #6b6b50;
  --jp-mirror-editor-builtin-color: #006b00; --jp-mirror-editor-keyword-color: #006b00;
  --jp-mirror-editor-comment-color: #2f6464; --jp-mirror-editor-error-color: #c00000;
  --jp-mirror-editor-meta-color: #7a1fc4; --jp-mirror-editor-operator-color: #7a1fc4;
  --jp-mirror-editor-number-color: #006b00; --jp-mirror-editor-quote-color: #006b00;
  --jp-mirror-editor-hr-color: #595959;
  --jp-cell-inprompt-font-color: #22609a; --jp-cell-outprompt-font-color: #9c4221;
}
.jp-InputPrompt, .jp-OutputPrompt { opacity: 1 !important; }
.jp-InputArea-prompt { color: var(--jp-cell-inprompt-font-color) !important; }
.jp-OutputArea-prompt { color: var(--jp-cell-outprompt-font-color) !important; }
.jp-RenderedHTMLCommon a, .course-banner a { text-decoration: underline !important; }
</style>
<script>
(function () {
  function nameSliders() {
    document.querySelectorAll('[role="slider"]:not([aria-label]):not([aria-labelledby])').forEach(function (h) {
      var w = h.closest('.widget-slider, .widget-hslider, .widget-vslider, .jupyter-widgets');
      var label = w && w.querySelector('.widget-label');
      var text = label && label.textContent.trim();
      if (text) h.setAttribute('aria-label', text);
    });
  }
  new MutationObserver(nameSliders).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', nameSliders);
})();
</script>
"""


def fetch_vendor(cache: Path = VENDOR_CACHE, packages: dict | None = None) -> Path:
    """Download (once) and unpack the pinned front-end packages (default VENDOR); return the cache folder."""
    cache.mkdir(parents=True, exist_ok=True)
    for spec, (integrity, folder) in (VENDOR if packages is None else packages).items():
        target = cache / folder
        if (target / ".verified").exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                           check=True, capture_output=True, text=True)
            (tarball,) = Path(tmp).glob("*.tgz")
            digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
            if digest != integrity:
                raise SystemExit(f"{spec}: checksum mismatch ({digest[:20]}... != {integrity[:20]}...)")
            shutil.rmtree(target, ignore_errors=True)
            with tarfile.open(tarball) as tar:
                tar.extractall(tmp, filter="data")
            shutil.move(str(Path(tmp) / "package"), target)
        (target / ".verified").write_text(integrity + "\n")
    return cache


def _unused(folder: str, names: list[str]) -> set[str]:
    """MathJax parts the pages never load (other fonts and outputs, sources, tests): 92 MB -> ~20 MB."""
    path = Path(folder).as_posix()
    skip = {"unpacked", "test", "localization", "docs", "README.md"}
    if path.endswith("jax/output"):
        skip |= {n for n in names if n != "CommonHTML"}
    if path.endswith("mathjax/fonts"):
        skip |= {n for n in names if n != "HTML-CSS"}
    if path.endswith("fonts/HTML-CSS"):
        skip |= {n for n in names if n != "TeX"}
    return skip & set(names)


@functools.lru_cache(maxsize=None)
def exporter(depth: int) -> HTMLExporter:
    """An HTML exporter whose script URLs point at _static/, from a page `depth` folders down.

    One per depth for the whole build: a new exporter compiles its templates again.
    """
    up = "../" * depth
    ex = HTMLExporter(template_name="lab")
    ex.require_js_url = f"{up}_static/requirejs/require.js"
    # renders the widgets with the HTML manager (html-manager/dist/libembed-amd.js), then moves them
    ex.widget_renderer_url = f"{up}_static/course/static-widgets.js"
    ex.mathjax_url = f"{up}_static/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    return ex


def relink(html: str) -> str:
    """Point links at the HTML pages: x.ipynb -> x.html, glossary.md -> glossary.html."""
    html = re.sub(r'href="([^"#:]*?)\.ipynb(#[^"]*)?"', lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)
    return re.sub(r'href="([^"#:]*?)glossary\.md(#[^"]*)?"', lambda m: f'href="{m.group(1)}glossary.html{m.group(2) or ""}"', html)


def render(nb, depth: int, title: str, manifest: dict | None = None) -> str:
    nb.metadata["title"] = title
    body, _ = exporter(depth).from_notebook_node(nb)
    body = relink(body)
    # an empty icon: otherwise the browser asks every static server for /favicon.ico and logs a 404
    body = body.replace("</title>", '</title>\n<link rel="icon" href="data:,">', 1)
    body = body.replace("</head>", A11Y_HEAD + "</head>", 1)
    banner = BANNER.format(root="../" * depth, version=release.course_version(), widgets=banner_widgets(manifest))
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, body, count=1)
    if manifest and manifest["widgets"]:
        data = json.dumps(manifest, separators=(",", ":")).replace("</", "<\\/")
        body = body.replace("</body>", f'<script type="application/json" id="course-frames">{data}</script>\n</body>', 1)
    return body


def banner_widgets(manifest: dict | None) -> str:
    """The banner's sentence on this page's widgets: which move here, which need the live course."""
    if not manifest or not (manifest["widgets"] or manifest["frozen"]):
        return ""
    moving = [w["title"] for w in manifest["widgets"]]
    frozen = [w["title"] for w in manifest["frozen"]]
    parts = []
    if moving:
        parts.append(f"These widgets move here, from figures drawn ahead by the course's own code: "
                     f"<i>{'</i>, <i>'.join(map(html.escape, moving))}</i>.")
    if frozen:
        parts.append(f"These need the live course and stay as saved here: "
                     f"<i>{'</i>, <i>'.join(map(html.escape, frozen))}</i>.")
    return " ".join(parts)


# --- widgets that move: frames from tools/frames.py, fitted to the committed widget state -------

def frames_key(path: Path) -> str:
    """A hash of everything a notebook's frames are drawn from (its cells, helpers, data, pins)."""
    h = hashlib.sha256()
    inputs = [path, Path(frames.__file__), ROOT / "requirements.txt", ROOT / "constraints.txt"]
    inputs += sorted((ROOT / "helpers").rglob("*.py")) + sorted(p for p in (ROOT / "data").rglob("*") if p.is_file())
    for p in inputs:
        h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def _generate(path: Path, folder: Path) -> dict:
    """Draw into a private folder, then move it into place whole: a concurrent build never sees half."""
    work = Path(tempfile.mkdtemp(prefix=f".{path.stem}-", dir=folder.parent))
    try:
        made = frames.generate(path, work)
        (work / "made.json").write_text(json.dumps(made), encoding="utf-8")
        try:
            work.rename(folder)
        except OSError:  # another build finished the same frames first: theirs are the same
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return made


def lesson_frames(paths: list[Path], cache: Path = FRAMES_CACHE, jobs: int = 2,
                  meanwhile=None) -> dict[Path, tuple[Path, dict]]:
    """{notebook: (folder of its frames, tools.frames.generate's result)}, drawing only what the cache lacks.

    `meanwhile()`, if given, runs in this process while the workers draw (the build writes
    the pages that have no frames then): this process would otherwise only wait.
    """
    cache.mkdir(parents=True, exist_ok=True)
    found, todo = {}, []
    for path in paths:
        folder = cache / f"{path.stem}-{frames_key(path)}"
        if (folder / "made.json").exists():
            found[path] = (folder, json.loads((folder / "made.json").read_text(encoding="utf-8")))
        else:
            todo.append((path, folder))
    current = {f.name for f, _ in found.values()} | {f.name for _, f in todo}
    for old in cache.glob("[0-9]*-*"):  # frames of notebooks as they were before: no longer needed
        if old.name not in current:
            shutil.rmtree(old, ignore_errors=True)
    if todo:
        # one kernel per notebook, `jobs` at a time; a process each, as nbclient wants its own event loop
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {path: (folder, pool.submit(_generate, path, folder)) for path, folder in todo}
            if meanwhile is not None:
                meanwhile()
            for path, (folder, future) in futures.items():
                found[path] = (folder, future.result())
    elif meanwhile is not None:
        meanwhile()
    return found


class StaleOutputs(RuntimeError):
    pass


def _model_at(state: dict, root: str, path: list[int]) -> str:
    model = root
    for i in path:
        model = state[model]["state"]["children"][i].removeprefix("IPY_MODEL_")
    return model


def _grid_text(control: dict) -> str:
    """One control's grid in words, e.g. 'belief q 0.01 to 1.00 in steps of 0.01 (100 positions)'."""
    labels, name = control["labels"], control["description"] or control["name"]
    if control["kind"] in ("select", "bool"):
        return f"{name}: each of its {len(labels)} choices"
    spacing = f"in steps of {control['step']:g}" if control["kind"] == "slider" else "evenly on a log scale"
    return f"{name} {labels[0]} to {labels[-1]} {spacing} ({len(labels)} positions)"


def fit_frames(nb, made: dict, folder: Path, url: str, page: str = "this notebook") -> dict:
    """Fit the drawn frames to the committed notebook `nb` (changed in place); return the page's manifest.

    For each widget the notebook displays: find its controls, figure and readout in the
    committed widget state (by their place in the widget tree), set each slider's range
    and step to its grid, check the saved readout is the one the frames' code gives, and
    add a line under the widget saying what moves here. `url`: the frames' folder as the
    page links to it; `page`: the notebook's name, for error messages.
    """
    manifest = {"widgets": [], "frozen": []}
    meta = nb.metadata.get("widgets", {}).get(WIDGET_STATE)
    if meta is None:
        return manifest
    state = meta["state"]
    views = frames.widget_views(nb)
    for cell in nb.cells:
        for root, desc in zip(views.get(cell.get("id"), []), made["widgets"].get(cell.get("id"), [])):
            if desc is None:
                continue
            at = cell.outputs.index(next(o for o in cell.outputs
                                         if o.get("data", {}).get(frames.WIDGET_VIEW, {}).get("model_id") == root))
            if desc["frozen"]:
                manifest["frozen"].append({"title": desc["title"], "root": root, "note": desc["frozen"]})
                note = f"Static edition: this widget stays as saved. {desc['frozen']}"
            else:
                manifest["widgets"].append(_fit_widget(state, root, desc, url, page))
                grid = " × ".join(_grid_text(c) for c in desc["controls"])
                note = (f"Static edition: no Python runs here, so this widget shows figures drawn ahead "
                        f"by its own code at {grid}. The live course computes any setting.")
            cell.outputs.insert(at + 1, nbformat.v4.new_output(
                "display_data", data={"text/html": NOTE.format(html.escape(note, quote=False))}))
    return manifest


def _fit_widget(state: dict, root: str, desc: dict, url: str, page: str) -> dict:
    paths = desc["paths"]
    image = _model_at(state, root, paths["image"]) if paths["image"] is not None else None
    readout = _model_at(state, root, paths["readout"])
    saved_html = state[readout]["state"].get("value")
    drawn = desc["readouts"][desc["readout_of"][desc["saved"]]]
    if saved_html != drawn or saved_html != desc["saved_readout"]:
        raise StaleOutputs(f"{page}: the widget {desc['title']!r} reads {saved_html!r} in the saved outputs "
                           f"but {drawn!r} when its code runs now: run `make outputs` for it")
    saved_alt = state[image]["state"].get("tooltip") if image is not None else None
    if saved_alt != desc["alt"]:
        raise StaleOutputs(f"{page}: the figure of {desc['title']!r} has the alt text {saved_alt!r} in the saved "
                           f"outputs but {desc['alt']!r} when its code runs now: run `make outputs` for it")
    controls = []
    for c in desc["controls"]:
        model = _model_at(state, root, c["path"])
        name = state[model]["model_name"]
        if name not in MODEL_KINDS[c["kind"]]:
            raise StaleOutputs(f"{page}: {desc['title']!r}: control {c['name']!r} is a {name} in the saved "
                               f"widget state, not a {c['kind']}: run `make outputs` for it")
        if c["kind"] in ("slider", "log"):  # the slider steps through exactly the grid
            top = c["lo"] + (len(c["values"]) - 1) * c["step"]
            state[model]["state"].update(min=c["lo"], max=float(f"{top:.10g}") if isinstance(top, float) else top,
                                         step=c["step"])
        controls.append({"name": c["name"], "description": c["description"], "model": model, "kind": c["kind"],
                         "values": c["values"], "labels": c["labels"]})
    return {"title": desc["title"], "root": root, "image": image, "alt": desc["alt"], "readout": readout,
            "controls": controls,
            "frames": [f"{url}{name}" for name in desc["frames"]], "frame_of": desc["frame_of"],
            "readouts": desc["readouts"], "readout_of": desc["readout_of"],
            "snap": desc["snap"], "saved": desc["saved"]}  # no timings: two builds give the same manifest


def title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def index_page(version: str) -> str:
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<title>Loss functions, interactively {version}</title>'
            '<link rel="icon" href="data:,"><meta http-equiv="refresh" content="0; url=00_start_here.html"></head>'
            f'<body><a href="00_start_here.html">Start the course</a> (version {version})</body></html>\n')


def build(out: Path, cache: Path = VENDOR_CACHE, *, frames_cache: Path = FRAMES_CACHE, jobs: int = 2) -> list[Path]:
    """Write the whole static edition into `out`; return the pages written."""
    vendor = fetch_vendor(cache)
    shutil.rmtree(out, ignore_errors=True)
    (out / "solutions").mkdir(parents=True)
    for folder in ("requirejs", "html-manager", "mathjax"):
        shutil.copytree(vendor / folder, out / "_static" / folder, ignore=_unused)
    shutil.copytree(STATIC, out / "_static" / "course")

    def write(path: Path, depth: int, drawn: tuple[Path, dict] | None) -> Path:
        nb = nbformat.read(path, as_version=4)
        page = out / path.relative_to(NOTEBOOKS).with_suffix(".html")
        manifest = None
        if drawn is not None:
            folder, made = drawn
            target = out / "frames" / path.stem
            manifest = fit_frames(nb, made, folder, f"frames/{path.stem}/", page=path.name)
            target.mkdir(parents=True)
            for w in manifest["widgets"]:
                for url in w["frames"]:
                    shutil.copyfile(folder / Path(url).name, target / Path(url).name)
            (target / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        page.write_text(render(nb, depth, title_of(nb, path.stem), manifest), encoding="utf-8")
        return page

    others = []

    def pages_without_frames() -> None:  # written while the lessons' frames are drawn
        others.extend(write(path, 1, None) for path in nav.solution_paths())
        glossary = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
            (NOTEBOOKS / "glossary.md").read_text(), id="glossary")])  # a fixed id: the same page each build
        (out / "glossary.html").write_text(render(glossary, 0, "Glossary"), encoding="utf-8")
        others.append(out / "glossary.html")

    drawn = lesson_frames(nav.lesson_paths(), frames_cache, jobs, meanwhile=pages_without_frames)
    pages = [write(path, 0, drawn.get(path)) for path in nav.lesson_paths()] + others
    (out / "index.html").write_text(index_page(release.course_version()), encoding="utf-8")
    return pages


README = ROOT / "README.md"
README_MARKS = ("<!-- static-sizes:start -->\n", "<!-- static-sizes:end -->")


def size_table(out: Path) -> str:
    """Markdown: each lesson's widgets (grid, or kept still), frames and page size (the README's table)."""
    def mb(n: int) -> str:
        return f"{n / 1e6:.1f}"

    def size(p: Path) -> int:
        if not p.exists():
            return 0
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else p.stat().st_size

    rows = ["| lesson | widget: grid (positions per control) | frames MB | page MB |", "|---|---|---:|---:|"]
    for path in nav.lesson_paths():
        page, folder = out / f"{path.stem}.html", out / "frames" / path.stem
        manifest = json.loads((folder / "manifest.json").read_text()) if (folder / "manifest.json").exists() \
            else {"widgets": [], "frozen": []}
        parts = [f"{w['title']}: " + " × ".join(
            f"{c.get('description') or c['name']} {len(c['values'])}" + (" (log scale)" if c["kind"] == "log" else "")
            for c in w["controls"]) for w in manifest["widgets"]]
        parts += [f"{w['title']}: **stays as saved** (needs the live course)" for w in manifest["frozen"]]
        rows.append(f"| {path.stem[:2]} | {'; '.join(parts) or 'no lesson widget'} | {mb(size(folder))} | "
                    f"{mb(size(page))} |")
    lessons = sum(size(out / f"{p.stem}.html") for p in nav.lesson_paths())
    rows.append(f"| | solutions, glossary, the scripts and MathJax in `_static/` | | "
                f"{mb(size(out) - lessons - size(out / 'frames'))} |")
    rows.append(f"| | **all of `site/`** (budget: 100 MB) | **{mb(size(out / 'frames'))}** | **{mb(size(out))}** |")
    return "\n".join(rows)


def write_readme_table(table: str, readme: Path = README) -> None:
    """Put `table` between the README's static-sizes marks."""
    text = readme.read_text(encoding="utf-8")
    start, end = README_MARKS
    a, b = text.index(start) + len(start), text.index(end)
    readme.write_text(text[:a] + table + "\n" + text[b:], encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks drawn at once (default 2)")
    parser.add_argument("--readme", action="store_true", help="also write the size table into README.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pages = build(args.out, jobs=args.jobs)
    # widgets that make the build slow (make test builds the site too): their timings, from the cache
    for path, (_, made) in lesson_frames(nav.lesson_paths(), jobs=args.jobs).items():
        for w in (d for descs in made["widgets"].values() for d in descs if d and not d["frozen"]):
            if w["seconds"] > SLOW_WIDGET_SECONDS:
                print(f"note: {path.stem}: drawing {w['title']!r} ahead took {w['seconds']:.0f} s; "
                      f"a coarser Lesson.static_grid would make `make book` and `make test` faster")
    print(f"wrote {len(pages)} pages to {args.out}/ in {time.perf_counter() - start:.0f} s "
          f"(open {args.out / 'index.html'})")
    table = size_table(args.out)
    print(table)
    if args.readme:
        write_readme_table(table)
        print(f"updated the table in {README.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
