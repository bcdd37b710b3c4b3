"""Slider latency in the static edition: from the key press to the drawn-ahead frame on screen.

No kernel: `make book` drew every frame ahead (tools/frames.py); the page swaps the
figure's src when a slider moves (tools/static/static-widgets.js). This serves site/ on
127.0.0.1 and, in Chromium, for every moving widget of every lesson page: moves the pointer
into the widget (which fetches all its frames) and waits until they are decoded, then
presses an arrow key on its slider handles, `--moves` times (cycling through the sliders,
reversing at the ends). Each move is timed as in latency.py (window.__bench.arm): t_key in
a capture-phase keydown listener, t_src when the <img> gets its new src, t_paint when that
image is decoded and two animation frames have begun. A move onto a frame the previous
setting shares (the figure does not change) counts as "no change".

Run: make book, then .venv/bin/python -m benchmarks.static_latency [--moves 30] [--site site]
"""
from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.latency import JS_INSTALL, percentile, step_sliders
from tools import nav
from tools.browser import launch_chromium

ROOT = Path(__file__).resolve().parent.parent

NO_CHANGE_MS = 1_000  # a swap is synchronous: a frame that has not changed by then never will


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def measure(site: Path, moves: int, log=print) -> list[dict]:
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    rows = []
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            for path in nav.lesson_paths():
                manifest_path = site / "frames" / path.stem / "manifest.json"
                if not manifest_path.exists():
                    continue
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
                if not manifest["widgets"]:
                    continue
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(f"{url}{path.stem}.html")
                page.wait_for_selector("body[data-course-widgets=ready]", state="attached", timeout=60_000)
                page.evaluate(JS_INSTALL)
                for number, w in enumerate(manifest["widgets"]):
                    root = page.locator(f'[data-course-widget="{number}"]')
                    if root.locator(".noUi-handle").count() == 0:
                        continue
                    root.scroll_into_view_if_needed()
                    root.hover()
                    page.wait_for_selector(f'[data-course-widget="{number}"][data-course-frames="ready"]',
                                           timeout=120_000)
                    records = step_sliders(page, root, moves, NO_CHANGE_MS)
                    ok = [r for r in records if r and r["tPaint"] is not None]
                    total = [r["tPaint"] - r["tKey"] for r in ok]
                    row = {"notebook": path.stem[:2], "widget": w["title"], "n": len(ok),
                           "no_change": len(records) - len(ok),
                           "median": statistics.median(total) if total else float("nan"),
                           "p95": percentile(total, 95) if total else float("nan"),
                           "key_to_src": statistics.median(r["tSrc"] - r["tKey"] for r in ok) if ok else float("nan")}
                    rows.append(row)
                    log(f"  {row['notebook']} {row['widget']}: median {row['median']:.0f} ms")
                page.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return rows


def table(rows: list[dict]) -> str:
    out = ["| notebook | widget | moves | median ms | p95 ms | key→src ms |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        moves = f"{r['n']}" + (f" ({r['no_change']} no change)" if r["no_change"] else "")
        out.append(f"| {r['notebook']} | {r['widget']} | {moves} | {r['median']:.0f} | {r['p95']:.0f} "
                   f"| {r['key_to_src']:.1f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="slider latency in the static edition")
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    if not (args.site / "frames").is_dir():
        print(f"no frames in {args.site}: run `make book` first", file=sys.stderr)
        return 1
    print(table(measure(args.site, args.moves, log=lambda m: print(m, file=sys.stderr))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
