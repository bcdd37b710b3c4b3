"""Run the course's performance benchmarks and print the results as markdown.

`make bench` runs this. Three benchmarks (see benchmarks/README.md):
  1. slider latency in a real browser, with the naive `interact` baseline side by side;
  2. course execution: every notebook in a fresh kernel vs fresh kernels that only import;
  3. setup: a second `make lab` (and, with --setup, a fresh clone's first `make setup`).
No benchmark is a test and nothing here fails on a missed target: it reports.

    .venv/bin/python -m benchmarks.run_all [--setup] [--moves 30] [--only latency execution setup]
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import execution, latency, setup_time
from tools.browser import chromium_path, chromium_problem


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> str:
    try:
        chromium = subprocess.run([chromium_path(), "--version"], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
    except OSError:
        chromium = "no Chromium"
    load = "%.1f %.1f %.1f" % os.getloadavg()
    return (f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {chromium}; "
            f"load average {load} (1, 5, 15 min) when the run started")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true",
                        help="also time `make setup` in a fresh clone (a few minutes)")
    parser.add_argument("--moves", type=int, default=30, help="slider moves per lesson widget (default 30)")
    parser.add_argument("--only", nargs="*", choices=["latency", "execution", "setup"],
                        default=["latency", "execution", "setup"])
    args = parser.parse_args(argv)

    started = time.time()
    out = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}.", ""]

    probes = {}

    def attempt(title, fn):
        try:
            fn()
        except Exception as exc:  # report the failure and run the other benchmarks
            out.extend([f"### {title}", "", f"failed: {type(exc).__name__}: {str(exc)[:500]}", ""])
            log(f"{title} failed: {exc!r}")

    def run_execution():
        nonlocal probes
        log("course execution: every notebook in a fresh kernel, then the import-only floor ...")
        probe = latency.PROBE if "latency" in args.only else None
        res = execution.measure(probe=probe, log=log)
        probes = {Path(name).stem: latency.parse_probe(text) for name, text in res["probes"].items()}
        out.extend(["### Course execution", "", execution.table(res), ""])

    def run_latency():
        nonlocal probes
        problem = chromium_problem()
        if problem:
            out.extend(["### Slider latency", "", f"not measured: {problem}", ""])
            return
        log(f"slider latency in Chromium, {args.moves} moves per lesson ...")
        res = latency.measure(moves=args.moves, log=log)
        if not probes:
            log("kernel-side update times ...")
            probes = latency.kernel_side()
        out.extend(["### Slider latency (key press → new figure on screen)", "",
                    latency.table(res, probes), "",
                    "Targets: median ≤ 100 ms and ≤ 0.5 × the baseline's median (✗ marks a miss). "
                    "key→src: kernel round trip (comm, compute, draw, PNG); src→paint: decode and "
                    "two animation frames in the browser; kernel update: Lesson.update alone, in a "
                    "kernel without a browser.", ""])

    def run_setup():
        log("setup times ...")
        res = setup_time.measure(fresh=args.setup, log=log)
        out.extend(["### Setup", "", setup_time.table(res), ""])

    if "execution" in args.only:
        attempt("Course execution", run_execution)
    if "latency" in args.only:
        attempt("Slider latency", run_latency)
    if "setup" in args.only:
        attempt("Setup", run_setup)

    load = "%.1f %.1f %.1f" % os.getloadavg()
    out.append(f"Total benchmark time {time.time() - started:.0f} s; load average at the end {load}.")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
