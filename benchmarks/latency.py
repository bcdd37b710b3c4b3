"""Slider latency in a real browser: from the key press to the lesson's new figure on screen.

For every `.course-lesson` with a slider in every notebook, the course's JupyterLab (started
with tools.lab.lab_command on a throwaway copy of the course) runs the notebook in
Chromium, then a slider handle is focused and an arrow key pressed, at least 30 times per
lesson (cycling through its sliders, reversing at the ends). In the page:

    t_key   = performance.now() in a capture-phase keydown listener on the document
    t_src   = a MutationObserver sees the lesson's <img> get a new src (or a new <img>)
    t_paint = that image is decoded (img.decode()) and two animation frames have begun,
              i.e. a frame containing the new image has been produced

latency = t_paint - t_key; key→src is the kernel round trip (comm message, compute, draw,
PNG encode, message back), src→paint is decode and paint in the browser.

Baseline, in the same run and browser: a scratch notebook with the naive version of
notebook 01's softmax-temperature plot, `ipywidgets.interact` re-creating an inline
matplotlib figure (two pyplot bar panels) on every move, measured the same way (before
and after the course's lessons, pooled).

The kernel-side share is measured separately (`PROBE`, run in a fresh nbclient kernel
after the notebook): every Lesson's slider set from Python, timing Lesson.update (compute,
view update, blit, PNG encode) and LiveFigure.render alone.

Run alone: .venv/bin/python -m benchmarks.latency [--moves 30] [--notebooks 01 04]
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tools.browser import (LabServer, NotebookPage, committed_counts, course_notebooks, launch_chromium,
                           stage_course)

ROOT = Path(__file__).resolve().parent.parent

BASELINE_NAME = "bench_baseline_interact.ipynb"
MOVE_TIMEOUT_MS = 10_000

BASELINE_CELLS = [
    "%matplotlib inline\n"
    "import numpy as np\n"
    "import matplotlib.pyplot as plt\n"
    "from ipywidgets import interact, FloatSlider\n"
    "from helpers.lessons.log_softmax_and_shapes import softmax_at_temperature, CLASSES, LOG_FLOOR",

    "# The naive widget: interact re-creates the whole figure on every move.\n"
    "def plot(temperature=1.0, first_logit=2.0):\n"
    "    r = softmax_at_temperature(temperature, first_logit)\n"
    "    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 2.8), dpi=80, layout='constrained')\n"
    "    bars = left.bar(CLASSES, r['probs'])\n"
    "    left.bar_label(bars, fmt='%.3f')\n"
    "    left.set_ylim(0, 1)\n"
    "    left.set_title('softmax: probabilities')\n"
    "    bars = right.bar(CLASSES, np.maximum(r['log_probs'], LOG_FLOOR), color='#ff7f0e')\n"
    "    right.bar_label(bars, fmt='%.2f')\n"
    "    right.set_ylim(LOG_FLOOR, 0)\n"
    "    right.set_title('log_softmax: nats (≤ 0)')\n"
    "    plt.show()\n\n"
    "interact(plot,\n"
    "         temperature=FloatSlider(value=1.0, min=0.1, max=5.0, step=0.1, description='temperature T'),\n"
    "         first_logit=FloatSlider(value=2.0, min=-4.0, max=8.0, step=0.5, description='logit of a'));",
]

# In the page: arm(container) resolves with {tKey, tSrc, tPaint} once the container shows a
# new image (another src, or another <img> element), decoded, with two frames begun.
JS_INSTALL = """() => {
  if (window.__bench) return;
  window.__bench = {
    arm(container, timeoutMs) {
      const before = container.querySelector('img');
      const beforeSrc = before ? before.getAttribute('src') : null;
      const rec = {tKey: null, tSrc: null, tPaint: null};
      const onKey = () => { if (rec.tKey === null) rec.tKey = performance.now(); };
      document.addEventListener('keydown', onKey, true);
      window.__benchPending = new Promise((resolve) => {
        let done = false;
        const finish = (r) => { if (done) return; done = true; obs.disconnect();
                                document.removeEventListener('keydown', onKey, true); resolve(r); };
        const check = () => {
          if (rec.tSrc !== null) return;
          const img = container.querySelector('img');
          if (!img || !img.getAttribute('src')) return;
          if (img === before && img.getAttribute('src') === beforeSrc) return;
          rec.tSrc = performance.now();
          const paint = () => requestAnimationFrame(() => requestAnimationFrame(() => {
            rec.tPaint = performance.now(); finish(rec); }));
          img.decode().then(paint, paint);
        };
        const obs = new MutationObserver(check);
        obs.observe(container, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
        setTimeout(() => finish(null), timeoutMs);
      });
    },
  };
}"""

JS_SLIDER_LABELS = """(el) => [...el.querySelectorAll('.widget-slider label.widget-label')]
                         .map(l => l.textContent.trim())"""

# Run in a kernel after the notebook: time every Lesson's update when a slider moves.
PROBE = r'''
import json as _json, statistics as _st, time as _time
from ipywidgets.widgets.widget import _instances as _inst
from helpers.widgets import Lesson as _Lesson
_report = []
for _w in list(_inst.values()):
    if not isinstance(_w, _Lesson) or _w.live is None:
        continue
    _sliders = [c for c in _w.controls.values() if type(c).__name__.endswith("Slider")]
    if not _sliders:
        continue
    _dirs = {id(c): 1 for c in _sliders}
    _update, _render, _size = [], [], []
    for _k in range(30):
        _c = _sliders[_k % len(_sliders)]
        _v = _c.value + _dirs[id(_c)] * _c.step
        if _v > _c.max or _v < _c.min:
            _dirs[id(_c)] *= -1
            _v = _c.value + _dirs[id(_c)] * _c.step
        _t = _time.perf_counter(); _c.value = _v; _update.append(_time.perf_counter() - _t)
        _t = _time.perf_counter(); _png = _w.live.render(); _render.append(_time.perf_counter() - _t)
        _size.append(len(_png))
    _report.append({"sliders": [c.description for c in _sliders], "title": _w.title,
                    "update_ms": 1000 * _st.median(_update), "render_ms": 1000 * _st.median(_render),
                    "png_kb": _st.median(_size) / 1024})
print("PROBE" + _json.dumps(_report))
'''


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def write_baseline(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in BASELINE_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / BASELINE_NAME
    nbformat.write(nb, path)
    return path


def step_sliders(page, container, moves: int, arm_timeout_ms: int, after_move=None) -> list:
    """Press arrow keys on the container's slider handles, `moves` times; one record per move.

    Cycles through the handles, reversing each at its ends; a record is None when the figure
    did not change within `arm_timeout_ms` (window.__bench.arm). `after_move` runs after each.
    Used for live widgets (below) and the static edition's pages (static_latency.py).
    """
    handles = container.locator(".noUi-handle")
    n = handles.count()
    direction = [1] * n
    records = []
    for k in range(moves):
        i = k % n
        handle = handles.nth(i)
        handle.scroll_into_view_if_needed()
        handle.focus()
        now, lo, hi = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
        if (direction[i] > 0 and now >= hi) or (direction[i] < 0 and now <= lo):
            direction[i] *= -1
        container.evaluate("(el, t) => window.__bench.arm(el, t)", arm_timeout_ms)
        handle.press("ArrowRight" if direction[i] > 0 else "ArrowLeft")
        records.append(page.evaluate("() => window.__benchPending"))
        if after_move is not None:
            after_move()
    return records


def measure_container(page, nbp: NotebookPage, container, moves: int) -> list[dict]:
    """Slider moves on a live widget; each waits for the kernel to finish before the next."""
    def settle():
        nbp.wait_idle(30)
        time.sleep(0.05)

    return step_sliders(page, container, moves, MOVE_TIMEOUT_MS, after_move=settle)


def summarize(records: list) -> dict:
    ok = [r for r in records if r and r["tKey"] is not None and r["tPaint"] is not None]
    total = [r["tPaint"] - r["tKey"] for r in ok]
    to_src = [r["tSrc"] - r["tKey"] for r in ok]
    to_paint = [r["tPaint"] - r["tSrc"] for r in ok]
    if not ok:
        return {"n": 0, "misses": len(records)}
    return {"n": len(ok), "misses": len(records) - len(ok),
            "median": statistics.median(total), "p95": percentile(total, 95),
            "key_to_src": statistics.median(to_src), "src_to_paint": statistics.median(to_paint)}


def measure(notebooks: list[Path] | None = None, moves: int = 30, log=print) -> dict:
    """Browser latency rows for every lesson with a slider, and the interact baseline."""
    from playwright.sync_api import sync_playwright

    notebooks = notebooks if notebooks is not None else course_notebooks()
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    root = stage_course(tmp / "course")
    write_baseline(root / "notebooks")
    rows, baseline = [], []
    server = LabServer(root, state_dir=tmp / "lab-state")
    try:
        server.start()
        with sync_playwright() as pw:
            browser = launch_chromium(pw)

            def open_and_run(name: str, counts: dict):
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(30_000)
                nbp = NotebookPage(page, server)
                try:
                    nbp.open(f"notebooks/{name}", counts["all_code_cells"])
                    nbp.run_all(counts["code_cells"], timeout=300)
                except Exception:
                    context.close()
                    raise
                page.evaluate(JS_INSTALL)
                return context, page, nbp

            def run_baseline():
                n = len(BASELINE_CELLS)
                context, page, nbp = open_and_run(BASELINE_NAME, {"all_code_cells": n, "code_cells": n})
                try:
                    box = page.locator(".jp-OutputArea-output .widget-interact").first
                    baseline.extend(measure_container(page, nbp, box, moves))
                finally:
                    context.close()
                    server.shutdown_kernels()

            log("  baseline (interact, inline matplotlib) ...")
            run_baseline()
            for path in notebooks:
                served = root / "notebooks" / path.name  # the copy being served, not the work tree's
                counts = committed_counts(served)
                if not counts["lessons"]:
                    continue
                try:
                    context, page, nbp = open_and_run(path.name, counts)
                except Exception as exc:  # report it and measure the other notebooks
                    rows.append({"notebook": path.stem, "lesson": "–", "sliders": [], "n": 0, "misses": 0,
                                 "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"})
                    log(f"  {path.stem}: {rows[-1]['error']}")
                    server.shutdown_kernels()
                    continue
                try:
                    lessons = page.locator(".jp-OutputArea-output .course-lesson")
                    for i in range(lessons.count()):
                        lesson = lessons.nth(i)
                        if lesson.locator(".noUi-handle").count() == 0 or lesson.locator("img").count() == 0:
                            continue
                        labels = lesson.evaluate(JS_SLIDER_LABELS)
                        summary = summarize(measure_container(page, nbp, lesson, moves))
                        rows.append({"notebook": path.stem, "lesson": i + 1, "sliders": labels, **summary})
                        log(f"  {path.stem} lesson {i + 1} ({', '.join(labels)}): "
                            f"median {summary.get('median', float('nan')):.0f} ms")
                finally:
                    context.close()
                    server.shutdown_kernels()
            log("  baseline again ...")
            run_baseline()
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"rows": rows, "baseline": summarize(baseline), "moves": moves}


def parse_probe(text: str | None) -> list[dict]:
    for line in (text or "").splitlines():
        if line.startswith("PROBE"):
            return json.loads(line[5:])
    return []


def kernel_side(notebooks: list[Path] | None = None) -> dict:
    """{notebook stem: probe rows}, each notebook executed in a fresh kernel first."""
    from benchmarks.execution import time_notebook

    out = {}
    for path in notebooks if notebooks is not None else course_notebooks():
        if committed_counts(path)["lessons"]:
            out[path.stem] = parse_probe(time_notebook(path, PROBE)[1])
    return out


def table(result: dict, probes: dict | None = None) -> str:
    probes = probes or {}
    base = result["baseline"]
    bmed = base.get("median", float("nan"))
    head = ("| notebook | lesson (sliders) | moves | median ms | p95 ms | key→src ms | src→paint ms "
            "| kernel update ms | PNG KB | median / baseline |")
    rows = [head, "|" + "---|" * 2 + "---:|" * 8]
    for r in result["rows"]:
        k = next((p for p in probes.get(r["notebook"], []) if p["sliders"] == r["sliders"]), None)
        kern = f"{k['update_ms']:.0f}" if k else "–"
        png = f"{k['png_kb']:.0f}" if k else "–"
        if r.get("error"):
            rows.append(f"| {r['notebook']} | not measured: {r['error']} | | | | | | | | |")
            continue
        if not r.get("n"):
            rows.append(f"| {r['notebook']} | {r['lesson']} ({', '.join(r['sliders'])}) | 0 of {r['misses']} "
                        f"| – | – | – | – | {kern} | {png} | – |")
            continue
        ok = r["median"] <= 100 and r["median"] <= 0.5 * bmed
        moves = f"{r['n']}" + (f" ({r['misses']} no change)" if r["misses"] else "")
        rows.append(f"| {r['notebook']} | {r['lesson']} ({', '.join(r['sliders'])}) | {moves} "
                    f"| {r['median']:.0f} | {r['p95']:.0f} | {r['key_to_src']:.0f} | {r['src_to_paint']:.0f} "
                    f"| {kern} | {png} | {r['median'] / bmed:.2f}{'' if ok else ' ✗'} |")
    if base.get("n"):
        rows.append(f"| baseline | `interact` + inline pyplot, notebook 01's softmax plot | {base['n']} "
                    f"| {bmed:.0f} | {base['p95']:.0f} | {base['key_to_src']:.0f} | {base['src_to_paint']:.0f} "
                    f"| – | – | 1.00 |")
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="slider latency in a real browser")
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--notebooks", nargs="*", help="notebook number prefixes, e.g. 01 04 (default: all)")
    parser.add_argument("--no-kernel-side", action="store_true")
    args = parser.parse_args(argv)
    nbs = course_notebooks()
    if args.notebooks:
        nbs = [p for p in nbs if any(p.name.startswith(n) for n in args.notebooks)]
    res = measure(nbs, args.moves, log=lambda m: print(m, file=sys.stderr))
    probes = {} if args.no_kernel_side else kernel_side(nbs)
    print(table(res, probes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
