"""Frames for the static edition: each lesson widget computed over a grid by its own code.

The static pages have no kernel, so `make book` computes ahead what a widget would show.
For one lesson notebook, `generate()`:

1. runs the notebook in a fresh kernel (nbclient), with `helpers.widgets.record_lessons()`
   on, up to the last cell that displays a widget;
2. in that same kernel, for every `helpers.widgets.Lesson` the notebook displays:
   - keeps it still when it has a `static_note` or buttons (its state then needs the
     kernel, such as the M&M games' draws), or a control with no finite grid;
   - otherwise picks a grid for each control (`grid_for`): a slider's own positions, or
     every k-th of them, always through its saved value; every option of a dropdown;
   - at every grid point: `Lesson.settle` (set the controls as a learner would; links such
     as notebook 02's k <= n apply), then `Lesson.frame` (compute -> view.update ->
     render, the code a slider move runs) for the values the controls took, once per
     point the controls land on; a view whose axes follow the controls (it redraws its
     background) is drawn grouped by axes limits, which changes the time, not the pictures;
   - stores each frame as a palette PNG named by its content hash (identical frames are
     stored once) and the readout text; the widget's figure keeps the view's alt text
     (`Lesson.alt`), which the description carries for the page;
3. returns one description per widget: the grid, which frame and readout belong to each
   point, and where the controls, figure and readout sit inside the widget, as child
   indices from its root (so tools/book.py can find them in the committed widget state,
   whose model ids differ from this run's).

Grid rule without a `Lesson.static_grid`: at most AXIS_MAX positions per slider (by how many
sliders the widget has) and MAX_FRAMES frames per widget; when a slider must be thinned,
prefer every k-th position such that both ends and the saved value stay on the grid.

Run one notebook by hand (for example to compare two runs):
    .venv/bin/python -m tools.frames notebooks/00_start_here.ipynb --out /tmp/frames
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import io
import itertools
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
AXIS_MAX = {1: 101, 2: 41, 3: 21}  # most positions per slider, by the number of sliders that move
MAX_FRAMES = 400                    # most grid points per widget (about 3 MB of frames)
REORDER_AFTER = 3                   # whole-figure redraws after which the points left are drawn grouped
DESCRIPTION = ".kernel-widgets.json"  # what the kernel writes next to the frames
PROFILE_ENV = "COURSE_FRAMES_PROFILE"  # a file: the kernel writes a cProfile of drawing the frames there


# --- in the kernel: grids and frames ------------------------------------------------------------

def _kind(control) -> str | None:
    import ipywidgets as widgets
    if isinstance(control, widgets.FloatLogSlider):
        return "log"
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider)):
        return "slider"
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons,
                            widgets.Select, widgets.SelectionSlider)):
        return "select"
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return "bool"
    return None


def _position(control, kind: str) -> float:
    """A slider's value on its own scale (the exponent for a log slider)."""
    return math.log(control.value, control.base) if kind == "log" else float(control.value)


def _positions(lo: float, hi: float, step: float) -> int:
    return int(math.floor((hi - lo) / step + 1e-9)) + 1


def _stride_count(n: int, i0: int, s: int) -> int:
    return i0 // s + (n - 1 - i0) // s + 1


def slider_strides(natives: list[tuple[int, int]], *, axis_max: int, budget: int) -> list[int]:
    """Every how many native positions each slider keeps. natives: (positions, saved index) per slider.

    `budget` is how many grid points the sliders may make together (MAX_FRAMES divided
    by the number of options of the other controls).
    """
    strides = [max(1, math.ceil((n - 1) / max(axis_max - 1, 1))) for n, _ in natives]

    def counts() -> list[int]:
        return [_stride_count(n, i0, s) for (n, i0), s in zip(natives, strides)]

    while math.prod(counts()) > budget:
        c = counts()
        biggest = max(range(len(c)), key=lambda j: c[j])
        if c[biggest] <= 2:
            break
        strides[biggest] += 1
    # a rounder grid: a slightly larger stride that keeps both ends and the saved value
    for j, ((n, i0), s) in enumerate(zip(natives, strides)):
        for better in range(s, math.ceil(1.25 * s) + 1):
            if n <= 1 or (i0 % better == 0 and (n - 1 - i0) % better == 0):
                strides[j] = better
                break
    return strides


def _round(x: float, integer: bool):
    return int(round(x)) if integer else float(f"{x:.10g}")


def grid_for(lesson) -> dict:
    """{control name: {"kind", "values", "labels", "lo", "step"}}, or {"error": why} if it has none."""
    import ipywidgets as widgets
    kinds = {name: _kind(c) for name, c in lesson.controls.items()}
    bad = [name for name, k in kinds.items() if k is None]
    if bad:
        return {"error": f"control {bad[0]!r} ({type(lesson.controls[bad[0]]).__name__}) has no finite grid"}
    own = dict(lesson.static_grid or {})
    for name in own:
        if kinds.get(name) not in ("slider", "log"):
            raise ValueError(f"{lesson.title!r}: static_grid names {name!r}, which is not one of its sliders "
                             f"({', '.join(n for n, k in kinds.items() if k in ('slider', 'log'))})")
    grids, native = {}, {}
    for name, control in lesson.controls.items():
        kind = kinds[name]
        if kind == "select":
            grids[name] = {"kind": kind, "values": list(range(len(control.options))),
                           "labels": [str(label) for label in control._options_labels]}
        elif kind == "bool":
            grids[name] = {"kind": kind, "values": [False, True], "labels": ["off", "on"]}
        elif name in own:
            lo, hi, step = own[name]
            grids[name] = {"kind": kind, "lo": lo, "step": step, "n": _positions(lo, hi, step)}
        else:
            lo, hi = control.min, control.max  # a log slider's min and max are exponents already
            n = _positions(lo, hi, control.step)
            i0 = min(max(round((_position(control, kind) - lo) / control.step), 0), n - 1)
            native[name] = (n, i0, lo, control.step)
    others = math.prod(len(g["values"]) if "values" in g else g["n"] for g in grids.values())
    moving = len(native) + sum(1 for g in grids.values() if g["kind"] in ("slider", "log"))
    strides = slider_strides([(n, i0) for n, i0, _, _ in native.values()],
                             axis_max=AXIS_MAX.get(moving, min(AXIS_MAX.values())),
                             budget=max(MAX_FRAMES // others, 1))
    for (name, (n, i0, lo, step)), s in zip(native.items(), strides):
        first = i0 - (i0 // s) * s
        grids[name] = {"kind": kinds[name], "lo": _round(lo + first * step, False), "step": _round(s * step, False),
                       "n": _stride_count(n, i0, s)}
    out = {}
    for name in lesson.controls:  # in the controls' order
        g = grids[name]
        if "values" not in g:
            control = lesson.controls[name]
            integer = isinstance(control, widgets.IntSlider)
            scale = [_round(g["lo"] + i * g["step"], integer) for i in range(g["n"])]
            g["values"] = [_round(control.base ** x, False) for x in scale] if g["kind"] == "log" else scale
            fmt = "{:" + control.readout_format + "}" if hasattr(control, "readout_format") else "{}"
            # as the slider's own label writes them (d3-format: a true minus sign)
            g["labels"] = [fmt.format(v).replace("-", "\u2212") for v in g["values"]]
            g["lo"], g["step"] = scale[0], _round(g["step"], integer)
            del g["n"]
        out[name] = g
    total = math.prod(len(g["values"]) for g in out.values())
    if total > 4 * MAX_FRAMES:
        return {"error": f"{total} combinations of its controls are too many to draw ahead"}
    return out


def _widget_path(root, target) -> list[int] | None:
    """Child indices from `root` down to `target` (boxes' children), or None."""
    if root is target:
        return []
    for i, child in enumerate(getattr(root, "children", ())):
        found = _widget_path(child, target)
        if found is not None:
            return [i, *found]
    return None


def _has_buttons(widget) -> bool:
    import ipywidgets as widgets
    if isinstance(widget, widgets.Button):
        return True
    return any(_has_buttons(child) for child in getattr(widget, "children", ()))


def encode(image) -> bytes:
    """A palette PNG (256 colours, no dithering): about a third of the live widget's PNG, same look.

    zlib level 6: 5 ms a frame; level 9 or optimize=True save under 10 % for four times the time.
    """
    from PIL import Image
    quantized = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    quantized.save(buf, format="png", compress_level=6)
    return buf.getvalue()


def _nearest(values: list[float], value: float) -> int:
    return min(range(len(values)), key=lambda i: abs(values[i] - value))


def _control_value(grid: dict, control, i: int):
    """The value to set on the control for grid position i (an option's value for a dropdown)."""
    if grid["kind"] == "select":
        return control._options_values[i]
    return grid["values"][i]


def _grid_index(grid: dict, control) -> int | None:
    """The control's position on its grid (None if its value is not on the grid)."""
    if grid["kind"] == "select":
        return grid["values"].index(control.index)
    if grid["kind"] == "bool":
        return grid["values"].index(bool(control.value))
    i = _nearest(grid["values"], control.value)
    return i if math.isclose(grid["values"][i], control.value, rel_tol=1e-9, abs_tol=1e-9) else None


def describe_lesson(lesson, root, out: Path) -> dict:
    """Render every frame of one displayed Lesson into `out`; return its description."""
    paths = {"lesson": _widget_path(root, lesson),
             "image": _widget_path(root, lesson.live.image) if lesson.live is not None else None,
             "readout": _widget_path(root, lesson.readout)}
    # the figure's text alternative: the view's .alt (or the Lesson's alt), as the live widget's image carries it
    desc = {"title": lesson.title, "paths": paths, "alt": lesson.alt if lesson.live is not None else None,
            "frozen": None}
    if lesson.static_note:
        desc["frozen"] = lesson.static_note
    elif _has_buttons(lesson):
        desc["frozen"] = "Its buttons need the live course."
    if desc["frozen"]:
        return desc
    grids = grid_for(lesson)
    if "error" in grids:
        desc["frozen"] = f"Only the live course can move it: {grids['error']}."
        return desc
    names = list(lesson.controls)
    saved = lesson.values()
    saved_point = [_grid_index(grids[n], lesson.controls[n]) for n in names]
    if None in saved_point:
        raise ValueError(f"{lesson.title!r}: the saved value of {names[saved_point.index(None)]!r} "
                         f"is not on its static_grid")
    sizes = [len(grids[n]["values"]) for n in names]
    start = time.perf_counter()
    # 1. where each grid point lands (links may move a control: it snaps to where the live widget goes)
    landed_of, took_of, snap = [], {}, {}
    for point in itertools.product(*[range(k) for k in sizes]):
        took = lesson.settle({n: _control_value(grids[n], lesson.controls[n], i) for n, i in zip(names, point)})
        landed = tuple(_grid_index(grids[n], lesson.controls[n]) for n in names)
        if None in landed:  # a link moved a control off its grid: the grid cannot follow this widget
            lesson.settle(saved)
            lesson.update()
            off = names[landed.index(None)]
            desc["frozen"] = (f"Only the live course can move it: {off!r} is linked to another control in a "
                              f"way its grid cannot follow (give the Lesson a static_grid).")
            return desc
        if landed != point:
            snap[_flat(point, sizes)] = _flat(landed, sizes)
        landed_of.append(landed)
        took_of.setdefault(landed, took)
    # 2. draw each point it lands on once, in an order that redraws the figure's background rarely
    drawn = _draw(lesson, took_of, out)
    # 3. frames and readouts numbered in grid order (the drawing order does not show)
    frames, frame_of, readouts, readout_of = [], [], [], []
    for landed in landed_of:
        name, html = drawn[landed]
        frame_of.append(_index_of(frames, name))
        readout_of.append(_index_of(readouts, html))
    lesson.settle(saved)
    lesson.update()  # the widget shows its own values again
    controls = []
    for n in names:
        g = grids[n]
        c = {"name": n, "kind": g["kind"], "path": _widget_path(root, lesson.controls[n]),
             "description": lesson.controls[n].description, "values": g["values"], "labels": g["labels"]}
        if g["kind"] in ("slider", "log"):
            c["lo"], c["step"] = g["lo"], g["step"]
        controls.append(c)
    desc.update(controls=controls, frames=frames, frame_of=frame_of, readouts=readouts,
                readout_of=readout_of, snap=snap, saved=_flat(saved_point, sizes),
                saved_readout=lesson.readout.value, seconds=round(time.perf_counter() - start, 1))
    return desc


def _background_key(fig) -> tuple:
    """What the cached background of a LiveFigure mostly depends on: every axes' limits."""
    return tuple((tuple(ax.get_xlim()), tuple(ax.get_ylim())) for ax in fig.axes)


def _draw(lesson, took_of: dict, out: Path) -> dict:
    """{point: (frame file name or None, readout HTML)} for every point of `took_of` (point -> values).

    Draws with `Lesson.frame`, in grid order. A view whose limits follow the values calls
    `live.invalidate()`, and the next frame is then drawn whole (several times as long as a
    blitted one). Once that has happened REORDER_AFTER times, the points left are drawn
    grouped by the axes' limits their setting gives (probed by compute + view.update, no
    drawing), which leaves the pictures as they are: a LiveFigure's frame does not depend
    on the frame before it (tests/test_lesson_widgets.py checks blitted == drawn whole).
    """
    todo = list(took_of)
    drawn, written, redraws = {}, set(), 0
    live = lesson.live
    i = 0
    while i < len(todo):
        point = todo[i]
        took = took_of[point]
        background = live.background if live is not None else None
        try:
            image, html = lesson.frame(took)
        except Exception as exc:
            raise RuntimeError(f"{lesson.title!r} fails at {took}, a setting its controls allow: {exc!r}. "
                               f"Fix the controls' ranges, or give the Lesson a static_grid that avoids it") from exc
        name = None
        if image is not None:
            png = encode(image)
            name = hashlib.sha256(png).hexdigest()[:16] + ".png"
            if name not in written:
                (out / name).write_bytes(png)
                written.add(name)
            if background is not None and live.background is not background:
                redraws += 1
                if redraws == REORDER_AFTER:
                    todo[i + 1:] = _grouped(lesson, todo[i + 1:], took_of)
        drawn[point] = (name, html)
        i += 1
    return drawn


def _grouped(lesson, points: list, took_of: dict) -> list:
    """`points` grouped by the axes' limits their settings give (groups in order of first appearance)."""
    groups: dict[tuple, list] = {}
    for point in points:
        lesson.view.update(lesson.compute(**took_of[point]))
        groups.setdefault(_background_key(lesson.view.fig), []).append(point)
    return [point for group in groups.values() for point in group]


def _flat(point, sizes) -> int:
    flat = 0
    for i, k in zip(point, sizes):
        flat = flat * k + i
    return flat


def _index_of(items: list, item) -> int | None:
    if item is None:
        return None
    if item not in items:
        items.append(item)
    return items.index(item)


def kernel_dump(displayed: list[str], out: str) -> None:
    """Run in the notebook's kernel: describe (and render) every displayed Lesson; write DESCRIPTION."""
    from helpers import widgets
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    lessons = {lesson.model_id: lesson for lesson in widgets._recorded or []}
    result = {}
    profile = os.environ.get(PROFILE_ENV)  # `python -m tools.frames --profile`: where the time goes
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    for model_id in displayed:
        if model_id in lessons:  # a Lesson displayed as a cell's output
            result[model_id] = describe_lesson(lessons[model_id], lessons[model_id], folder)
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    (folder / DESCRIPTION).write_text(json.dumps(result), encoding="utf-8")


# --- in the build: run a notebook and collect its widgets --------------------------------------

def widget_views(nb) -> dict[str, list[str]]:
    """{cell id: model ids of the widgets it displays, in output order}."""
    views = {}
    for cell in nb.cells:
        ids = [out["data"][WIDGET_VIEW]["model_id"] for out in cell.get("outputs", [])
               if WIDGET_VIEW in out.get("data", {})]
        if ids:
            views[cell["id"]] = ids
    return views


def generate(path: Path, out: Path, timeout: int = 600) -> dict[str, dict]:
    """Run notebook `path` and write its widgets' frames into `out`.

    Returns {"widgets": {cell id: [description per widget it displays (None if not a
    Lesson)]}, "seconds": {"run": running the cells, "frames": drawing the frames}}. Raises
    if the notebook fails or does not display the widgets its committed outputs show.
    """
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    committed = nbformat.read(path, as_version=4)
    wanted = widget_views(committed)
    if not wanted:
        return {"widgets": {}, "seconds": {"run": 0.0, "frames": 0.0}}
    last = max(i for i, cell in enumerate(committed.cells) if cell["id"] in wanted)
    nb = nbformat.v4.new_notebook(metadata=committed.metadata)
    setup = nbformat.v4.new_code_cell("from helpers import widgets as _course_widgets\n"
                                      "_course_widgets.record_lessons();")
    nb.cells = [setup, *copy.deepcopy(committed.cells[:last + 1])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    with tempfile.TemporaryDirectory() as sockets:
        # the kernel talks over local sockets in a private folder, never TCP
        ipc = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}})
        client = NotebookClient(nb, config=ipc, timeout=timeout, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(path.parent)}})
        ran, seconds = _run(client, nb, path, wanted, out)
    described = json.loads((out / DESCRIPTION).read_text(encoding="utf-8"))
    (out / DESCRIPTION).unlink()
    return {"widgets": {cell_id: [described.get(m) for m in ran[cell_id]] for cell_id in wanted},
            "seconds": seconds}


def _run(client, nb, path: Path, wanted: dict, out: Path) -> dict:
    """Execute the cells, check they display the saved widgets, then describe them in the kernel."""
    import nbformat
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        executed = time.perf_counter()
        ran = widget_views(nb)
        for cell_id, ids in wanted.items():
            if len(ran.get(cell_id, [])) != len(ids):
                raise RuntimeError(f"{path.name}: cell {cell_id} displays {len(ran.get(cell_id, []))} widgets "
                                   f"when run, {len(ids)} in its saved outputs: run `make outputs NB={path}`")
        displayed = [m for ids in ran.values() for m in ids]
        dump = nbformat.v4.new_code_cell(
            f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom tools import frames as _course_frames\n"
            f"_course_frames.kernel_dump({displayed!r}, {str(out)!r})")
        nb.cells.append(dump)
        client.execute_cell(dump, len(nb.cells) - 1)
    return ran, {"run": executed - start, "frames": time.perf_counter() - executed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--profile", type=Path, help="write a cProfile of drawing the frames (pstats format) here")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.profile:
        os.environ[PROFILE_ENV] = str(args.profile.resolve())  # the kernel inherits it
    made = generate(args.notebook.resolve(), args.out.resolve())
    (args.out / "widgets.json").write_text(json.dumps(made["widgets"], indent=1), encoding="utf-8")
    print(f"ran the cells in {made['seconds']['run']:.1f} s, drew the frames in {made['seconds']['frames']:.1f} s")
    for cell_id, descs in made["widgets"].items():
        for d in descs:
            if d is None:
                continue
            grid = " × ".join(f"{c['name']} {len(c['values'])}" for c in d.get("controls", []))
            print(f"{cell_id}: {d['title']}: " + (f"frozen ({d['frozen']})" if d["frozen"] else
                                                 f"{grid} = {len(d['frame_of'])} points, {len(d['frames'])} frames "
                                                 f"in {d['seconds']} s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
