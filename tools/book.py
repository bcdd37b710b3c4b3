"""Build the static HTML edition of the course into site/ (`make book`).

Every lesson, every solutions notebook and the glossary become HTML pages that need no
kernel: the committed outputs and figures are shown, and the widget state saved by
`make outputs` is embedded, so sliders render at their saved positions. A banner on each
page says that live interaction needs JupyterLab or Binder.

Tool: nbconvert's HTML exporter (lab template), which already ships with JupyterLab and
embeds widget state. The three scripts a page loads (require.js, the widget HTML manager,
MathJax 2) are served from site/_static instead of a CDN, so the pages work offline; they
are fetched once from the npm registry at pinned versions, checked against their
published sha512, and cached in build/vendor/.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from tools import nav, release

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
VENDOR_CACHE = ROOT / "build" / "vendor"

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
<b>Static edition</b>, course version {version}. You are reading saved outputs: figures and sliders show their saved
state, but moving a slider computes nothing here. For the live course, clone the repository and
run <code>make lab</code> (JupyterLab on your machine), or open it on Binder; see the README.
<a href="{root}index.html">Course start</a> · <a href="{root}glossary.html">Glossary</a></div>"""


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


def exporter(depth: int) -> HTMLExporter:
    """An HTML exporter whose script URLs point at _static/, from a page `depth` folders down."""
    up = "../" * depth
    ex = HTMLExporter(template_name="lab")
    ex.require_js_url = f"{up}_static/requirejs/require.js"
    ex.widget_renderer_url = f"{up}_static/html-manager/dist/embed-amd.js"
    ex.mathjax_url = f"{up}_static/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    return ex


def relink(html: str) -> str:
    """Point links at the HTML pages: x.ipynb -> x.html, glossary.md -> glossary.html."""
    html = re.sub(r'href="([^"#:]*?)\.ipynb(#[^"]*)?"', lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)
    return re.sub(r'href="([^"#:]*?)glossary\.md(#[^"]*)?"', lambda m: f'href="{m.group(1)}glossary.html{m.group(2) or ""}"', html)


def render(nb, depth: int, title: str) -> str:
    nb.metadata["title"] = title
    body, _ = exporter(depth).from_notebook_node(nb)
    body = relink(body)
    # an empty icon: otherwise the browser asks every static server for /favicon.ico and logs a 404
    body = body.replace("</title>", '</title>\n<link rel="icon" href="data:,">', 1)
    body = body.replace("</head>", A11Y_HEAD + "</head>", 1)
    banner = BANNER.format(root="../" * depth, version=release.course_version())
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, body, count=1)


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


def build(out: Path, cache: Path = VENDOR_CACHE) -> list[Path]:
    """Write the whole static edition into `out`; return the pages written."""
    vendor = fetch_vendor(cache)
    shutil.rmtree(out, ignore_errors=True)
    (out / "solutions").mkdir(parents=True)
    for folder in ("requirejs", "html-manager", "mathjax"):
        shutil.copytree(vendor / folder, out / "_static" / folder, ignore=_unused)
    pages = []
    sources = [(p, 0) for p in nav.lesson_paths()] + [(p, 1) for p in nav.solution_paths()]
    for path, depth in sources:
        nb = nbformat.read(path, as_version=4)
        page = out / path.relative_to(NOTEBOOKS).with_suffix(".html")
        page.write_text(render(nb, depth, title_of(nb, path.stem)), encoding="utf-8")
        pages.append(page)
    glossary = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell((NOTEBOOKS / "glossary.md").read_text())])
    (out / "glossary.html").write_text(render(glossary, 0, "Glossary"), encoding="utf-8")
    pages.append(out / "glossary.html")
    (out / "index.html").write_text(index_page(release.course_version()), encoding="utf-8")
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    pages = build(args.out)
    print(f"wrote {len(pages)} pages to {args.out}/ (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
