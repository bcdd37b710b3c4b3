"""The static edition's frames (tools/frames.py): grids, frames from the widget's own code, determinism."""
from __future__ import annotations

import copy
import io
import json

import ipywidgets
import nbformat
import numpy as np
import pytest
from PIL import Image

from helpers import plots, widgets
from helpers.lessons import likelihood_vs_probability as likelihood
from helpers.lessons.likelihood_vs_probability import views as likelihood_views
from helpers.lessons import log_softmax_and_shapes as softmax
from helpers.lessons import mm_surprise_game as mm
from helpers.lessons import start_here
from tools import book, frames, nav

START = nav.lesson_paths()[0]  # 00_start_here: one light notebook with one widget


def describe(lesson, tmp_path):
    out = tmp_path / "frames"
    out.mkdir(exist_ok=True)
    return frames.describe_lesson(lesson, lesson, out), out


def pixels(png) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"), dtype=int)


# --- Lesson.settle and Lesson.frame: what the generator calls ----------------------------------

def test_frame_draws_a_setting_without_moving_the_controls():
    lesson = start_here.surprise_widget()
    before = lesson.values(), lesson.readout.value, lesson.live.image.value
    image, readout = lesson.frame({"q": 0.5})
    assert (lesson.values(), lesson.readout.value, lesson.live.image.value) == before
    assert readout == start_here.describe_surprise(start_here.surprise_of(0.5))
    lesson.controls["q"].value = 0.5  # the live widget at the same setting draws the same picture
    assert np.abs(np.asarray(image.convert("RGB"), dtype=int) - pixels(lesson.live.image.value)).max() == 0


def test_settle_applies_the_widgets_own_links_and_clamps():
    lesson = likelihood.two_views_widget()  # k's maximum follows n
    updates = lesson.updates
    assert lesson.settle({"theta": 0.5, "n": 4, "k": 9}) == {"theta": 0.5, "n": 4, "k": 4}
    assert lesson.settle({"theta": 2.0, "n": 10, "k": 3})["theta"] == 1.0  # the slider's range
    assert lesson.updates == updates  # nothing was recomputed or redrawn


def test_record_lessons_collects_every_lesson_made():
    seen = widgets.record_lessons()
    try:
        a, b = start_here.surprise_widget(), softmax.softmax_temperature_widget()
        assert seen == [a, b]
    finally:
        widgets._recorded = None


# --- grids ----------------------------------------------------------------------------------------

def test_one_slider_keeps_all_its_positions_up_to_axis_max():
    grid = frames.grid_for(start_here.surprise_widget())
    q = grid["q"]
    assert len(q["values"]) == 100 <= frames.AXIS_MAX[1]
    assert q["values"][0] == 0.01 and q["values"][-1] == 1.0 and 0.25 in q["values"]
    assert q["labels"][:2] == ["0.01", "0.02"]  # the slider's own readout format


def test_two_sliders_are_thinned_through_the_saved_value_within_the_budget():
    lesson = softmax.softmax_temperature_widget()  # 50 x 25 native positions
    grid = frames.grid_for(lesson)
    sizes = [len(g["values"]) for g in grid.values()]
    assert all(n <= frames.AXIS_MAX[2] for n in sizes) and np.prod(sizes) <= frames.MAX_FRAMES
    sliders = {name: g for name, g in grid.items() if not hasattr(lesson.controls[name], "options")}  # buttons: every option
    assert len(sliders) == 2
    for name, g in sliders.items():
        assert lesson.controls[name].value in g["values"]  # the saved setting is a grid point
        assert np.allclose(np.diff(g["values"]), g["step"])  # evenly spaced: the slider steps through it


def test_a_dropdown_contributes_every_option_and_a_log_slider_a_log_grid():
    lesson = widgets.Lesson({"p": ipywidgets.FloatLogSlider(value=0.01, base=10, min=-4, max=0, step=0.5),
                             "c": ipywidgets.Dropdown(options=[("one", 1), ("two", 2), ("three", 3)], value=2)},
                            compute=lambda p, c: {"text": f"{p:.4f} {c}"}, readout=lambda r: r["text"])
    grid = frames.grid_for(lesson)
    assert grid["c"]["values"] == [0, 1, 2] and grid["c"]["labels"] == ["one", "two", "three"]
    assert grid["p"]["kind"] == "log" and grid["p"]["values"][0] == pytest.approx(1e-4)
    assert np.allclose(np.diff(np.log10(grid["p"]["values"])), 0.5) and 0.01 in grid["p"]["values"]


def test_static_grid_overrides_the_rule_and_an_unknown_control_has_no_grid():
    lesson = likelihood.two_views_widget()
    grid = frames.grid_for(lesson)
    assert grid["n"]["values"] == [10, 20, 30] and grid["k"]["values"] == list(range(31))
    text = widgets.Lesson({"t": ipywidgets.Text("a")}, compute=lambda t: t)
    assert "no finite grid" in frames.grid_for(text)["error"]
    lesson.static_grid = {"theta": (0.0, 1.0, 0.1), "m": (0, 3, 1)}
    with pytest.raises(ValueError, match="'m', which is not one of its sliders"):
        frames.grid_for(lesson)


def test_slider_strides_keep_ends_and_saved_value_when_they_can():
    assert frames.slider_strides([(101, 100)], axis_max=41, budget=600) == [4]  # 0, 0.04, ..., 1.00
    (s,) = frames.slider_strides([(61, 50)], axis_max=21, budget=600)
    assert frames._stride_count(61, 50, s) <= 21


# --- frames: the widget's own code, shared when identical, links snapped ------------------------

def test_every_frame_and_readout_is_what_the_widget_shows_at_that_setting(tmp_path):
    lesson = start_here.surprise_widget()
    desc, out = describe(lesson, tmp_path)
    q = desc["controls"][0]
    assert not desc["frozen"] and len(desc["frame_of"]) == len(q["values"])
    for i in (0, 24, 50, len(q["values"]) - 1):
        value = q["values"][i]
        assert desc["readouts"][desc["readout_of"][i]] == start_here.describe_surprise(start_here.surprise_of(value))
        lesson.controls["q"].value = value  # the live widget, moved by hand
        frame = pixels((out / desc["frames"][desc["frame_of"][i]]).read_bytes())
        live = pixels(lesson.live.image.value)
        assert frame.shape == live.shape and np.abs(frame - live).mean() < 3  # a 256-colour palette of it
    assert desc["saved"] == q["values"].index(0.25) and desc["saved_readout"].startswith("An outcome")


def test_identical_frames_are_stored_once(tmp_path):
    lesson = widgets.Lesson({"a": widgets.slider(1, 0, 3, 1, "a", integer=True)},
                            compute=lambda a: {"a": a}, readout=lambda r: f"a = {r['a']}")  # no figure
    sticky = widgets.Lesson({"a": widgets.slider(1, 0, 3, 1, "a", integer=True)},
                            compute=lambda a: min(a, 1), view=_Flat(), readout=lambda r: f"{r}")
    desc, out = describe(sticky, tmp_path)
    assert len(desc["frame_of"]) == 4 and len(desc["frames"]) == 2 == len(list(out.glob("*.png")))
    assert desc["readouts"] == ["0", "1"] and desc["readout_of"] == [0, 1, 1, 1]
    assert describe(lesson, tmp_path)[0]["frames"] == []


class _Flat:
    """A figure whose bar only moves between two heights."""

    def __init__(self):
        self.fig, (ax,) = plots.new_figure(1, width=2, height=1)
        self.bars = plots.Bars(ax, ["x"])
        self.artists = self.bars.artists

    def update(self, r):
        self.bars.update([r])


def test_a_setting_the_links_forbid_snaps_to_where_the_live_widget_goes(tmp_path):
    lesson = likelihood.two_views_widget()
    lesson.static_grid = {"theta": (0.3, 0.5, 0.1), "n": (10, 20, 10), "k": (0, 14, 1)}  # fewer frames
    desc, _ = describe(lesson, tmp_path)
    sizes = [len(c["values"]) for c in desc["controls"]]
    theta, n, k = [c["values"] for c in desc["controls"]]
    assert sizes == [3, 2, 15]

    def flat(i, j, m):
        return (i * sizes[1] + j) * sizes[2] + m

    asked, landed = flat(2, 0, 12), flat(2, 0, 10)  # θ 0.5, n 10, k 12 -> k clamps to n = 10
    assert desc["snap"][asked] == landed and desc["frame_of"][asked] == desc["frame_of"][landed]
    assert len(desc["snap"]) == 3 * 4 and len(desc["frames"]) == 3 * (11 + 15)  # k = 11..14 when n = 10
    r = likelihood.two_views(theta=theta[2], n=n[0], k=k[10])
    assert desc["readouts"][desc["readout_of"][asked]] == likelihood_views.describe_two_views(r)


def test_drawing_grouped_by_axes_limits_gives_the_same_frames_with_fewer_whole_redraws(tmp_path, monkeypatch):
    """Lesson 02's axes follow θ, n and k: drawn grouped by limits, the frames are the same bytes."""
    default = frames.REORDER_AFTER

    def run(reorder_after: int, folder: str):
        monkeypatch.setattr(frames, "REORDER_AFTER", reorder_after)
        lesson = likelihood.two_views_widget()
        lesson.static_grid = {"theta": (0.4, 0.5, 0.1), "n": (10, 20, 10), "k": (0, 14, 1)}  # 60 points
        whole = []
        draw = lesson.live.canvas.draw
        lesson.live.canvas.draw = lambda *a, **k: (whole.append(1), draw(*a, **k))[1]
        out = tmp_path / folder
        out.mkdir()
        desc = frames.describe_lesson(lesson, lesson, out)
        return desc, {p.name: p.read_bytes() for p in out.glob("*.png")}, len(whole)

    plain, plain_files, plain_redraws = run(10 ** 9, "grid-order")  # never regrouped
    grouped, grouped_files, grouped_redraws = run(default, "grouped")
    keys = ("frames", "frame_of", "readouts", "readout_of", "snap", "saved", "saved_readout")
    assert {k: grouped[k] for k in keys} == {k: plain[k] for k in keys}
    assert grouped_files == plain_files and len(plain_files) == len(plain["frames"])
    assert grouped_redraws < 0.6 * plain_redraws, (grouped_redraws, plain_redraws)  # 11 and 20 whole draws


def test_a_setting_the_code_rejects_is_a_clear_build_error(tmp_path):
    lesson = widgets.Lesson({"q": widgets.slider(0.5, 0.0, 1.0, 0.25, "q")},
                            compute=start_here.surprise_of, readout=start_here.describe_surprise)
    with pytest.raises(RuntimeError, match=r"fails at \{'q': 0.0\}.*static_grid"):
        describe(lesson, tmp_path)


def test_widgets_whose_state_needs_the_kernel_stay_still(tmp_path):
    game = mm.belief_widget()
    desc, out = describe(game, tmp_path)
    assert desc["frozen"] == game.static_note and "draw" in desc["frozen"] and not list(out.glob("*.png"))
    button = ipywidgets.Button(description="go")
    lesson = start_here.surprise_widget()
    lesson.children = [*lesson.children, button]  # a button and no note: kept still too
    assert describe(lesson, tmp_path)[0]["frozen"] == "Its buttons need the live course."


# --- fitted to the committed widget state of notebook 00 ---------------------------------------

@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """What tools.frames.generate gives for notebook 00, drawn here without a kernel."""
    folder = tmp_path_factory.mktemp("frames")
    nb = nbformat.read(START, as_version=4)
    (cell_id,) = frames.widget_views(nb)
    lesson = start_here.surprise_widget()  # what that cell runs
    return folder, {"widgets": {cell_id: [frames.describe_lesson(lesson, lesson, folder)]}}


def test_fitting_sets_the_sliders_to_the_grid_and_notes_the_widget(drawn):
    folder, made = drawn
    nb = nbformat.read(START, as_version=4)
    manifest = book.fit_frames(nb, made, folder, "frames/x/")
    (w,) = manifest["widgets"]
    state = nb.metadata.widgets[book.WIDGET_STATE]["state"]
    slider = state[w["controls"][0]["model"]]["state"]
    values = w["controls"][0]["values"]
    assert (slider["min"], slider["max"], slider["step"], slider["value"]) == (values[0], values[-1], 0.01, 0.25)
    assert w["frames"][0].startswith("frames/x/") and len(w["frame_of"]) == len(values)
    notes = [o for c in nb.cells for o in c.get("outputs", []) if "course-static-note" in str(o.get("data", {}))]
    assert len(notes) == 1 and "belief q 0.01 to 1.00 in steps of 0.01 (100 positions)" in notes[0]["data"]["text/html"]
    json.dumps(manifest)  # the page reads it as JSON
    assert {"title", "root", "image", "alt", "readout", "controls", "frames", "frame_of", "readouts",
            "readout_of", "snap", "saved"} <= set(w)
    assert "seconds" not in w  # no timings in what the page gets: two builds give the same manifest
    # the frames carry the view's text alternative, the one the saved widget's image has
    assert w["alt"] == start_here.SurpriseView.alt == state[w["image"]]["state"]["tooltip"]
    assert "surprise of an outcome" in book.banner_widgets(manifest)


def test_a_saved_readout_the_code_no_longer_gives_is_reported(drawn):
    folder, made = drawn
    stale = copy.deepcopy(made)
    for descs in stale["widgets"].values():
        for d in descs:
            d["readouts"] = [r.replace("nats", "bits") for r in d["readouts"]]
    with pytest.raises(book.StaleOutputs, match="make outputs"):
        book.fit_frames(nbformat.read(START, as_version=4), stale, folder, "frames/x/")


def test_a_saved_alt_text_the_view_no_longer_has_is_reported(drawn):
    folder, made = drawn
    stale = copy.deepcopy(made)
    for descs in stale["widgets"].values():
        for d in descs:
            d["alt"] = "A different description of the surprise curve than the saved one."
    with pytest.raises(book.StaleOutputs, match="alt text.*make outputs"):
        book.fit_frames(nbformat.read(START, as_version=4), stale, folder, "frames/x/")


def test_the_size_table_goes_between_the_readme_marks_only(tmp_path):
    readme = tmp_path / "README.md"
    start, end = book.README_MARKS
    readme.write_text(f"before\n{start}| old |\n{end}\nafter\n", encoding="utf-8")
    book.write_readme_table("| new |", readme)
    book.write_readme_table("| newer |", readme)  # again: the marks stay, one table between them
    assert readme.read_text(encoding="utf-8") == f"before\n{start}| newer |\n{end}\nafter\n"
    assert start in book.README.read_text(encoding="utf-8")  # the real README has the marks
