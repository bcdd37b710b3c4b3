"""Every lesson notebook in a real JupyterLab and Chromium, driven the way a learner does.

For each notebook in notebooks/ (new ones are picked up automatically):
- open it, Edit > Clear Outputs of All Cells, Run > Run All Cells, wait for every cell;
- no error output;
- every widget the committed outputs display renders as a widget (as many widget roots
  and `.course-lesson` boxes as the committed outputs have), and no widget shows up as
  text (`FloatSlider(...)`, `interactive(children=...)`, the Lesson fallback text);
- every slider of every lesson, moved with the keyboard, changes the lesson's figure
  (its image; for a lesson without an image, its readout); every button too;
- in lesson 04's game, Tab moves through every control in reading order, and a button
  pressed with the keyboard acts (TAB_ORDER_NOTEBOOK);
- a screenshot goes to artifacts/browser/<notebook>.png.
"""
from __future__ import annotations

import re
import time

import pytest

from tools.browser import (TEXT_REPR_PATTERNS, NotebookPage, committed_counts, course_notebooks,
                        slider_label)

NOTEBOOKS = course_notebooks()
RUN_TIMEOUT = 300  # seconds for Run All Cells (a notebook takes well under 30 s alone)
MOVE_TIMEOUT = 15  # seconds for a figure to change after a key press or a click
FIRST_TRY = 3  # seconds: a button's first press; one with nothing to do yet (a reset before any
               # draw) gets a second chance below, after the others, with the full MOVE_TIMEOUT
TAB_ORDER_NOTEBOOK = "04_"  # the lesson whose first widget's Tab order is checked (many kinds of control)
# a lesson widget's keyboard-focusable controls (slider handles, menus, buttons), in DOM order
FOCUSABLE = """(lesson) => [...lesson.querySelectorAll('.noUi-handle, select, button, input, [tabindex], [contenteditable="true"]')]
  .filter(e => (e.tabIndex >= 0 || e.isContentEditable) && !e.disabled && e.offsetParent !== null)"""
ROW_GAP = 12  # px: controls whose tops differ by more start a new row (rows here are about 30 px apart)
JS_CONTROLS = f"""(lesson) => ({FOCUSABLE})(lesson).map(e => {{
  const w = e.closest('.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-inline-hbox');
  const l = w && w.querySelector('.widget-label'); const r = e.getBoundingClientRect();
  const own = e.tagName === 'SELECT' ? '' : (e.textContent || '').trim();
  const name = e.isContentEditable ? `${{l ? l.textContent.trim() : ''}} (typed value)` : own || (l ? l.textContent.trim() : e.tagName);
  return {{name, x: r.left, y: r.top}}; }})"""
JS_FOCUSED = f"""(lesson) => {{ const e = document.activeElement;
  return {{i: ({FOCUSABLE})(lesson).indexOf(e), html: e ? e.outerHTML.slice(0, 120) : ''}}; }}"""


def _figure_changes(nb: NotebookPage, lesson, action, timeout=MOVE_TIMEOUT) -> bool:
    before = lesson.figure_state()
    action()
    return nb.wait_figure_change(lesson, before, timeout) is not None


def _check_sliders(nb: NotebookPage, lesson, name: str) -> list[str]:
    problems = []
    for handle in lesson.sliders():
        label = slider_label(handle)
        for direction in (+1, -1):  # one step each way: both directions must redraw
            keys = []
            def press(keys=keys, handle=handle, direction=direction):
                keys.append(nb.press_slider(handle, direction))
            if not _figure_changes(nb, lesson, press):
                problems.append(f"{name}: slider {label!r}, key {keys[-1] if keys else '?'} "
                                f"(value now {handle.get_attribute('aria-valuenow')}): "
                                f"the figure did not change within {MOVE_TIMEOUT} s")
    return problems


def _check_buttons(nb: NotebookPage, lesson, name: str) -> list[str]:
    problems = []
    buttons = lesson.buttons()
    for i, button in enumerate(buttons):
        text = (button.text_content() or button.get_attribute("title") or "").strip() or f"button {i}"
        selected = "mod-active" in (button.get_attribute("class") or "")  # a toggle already chosen
        if not selected and _figure_changes(nb, lesson, button.click, FIRST_TRY):
            continue
        # A button may have nothing to do yet (e.g. "reset" before any draw, or the
        # toggle already selected): press the others once, then it must act.
        for other in buttons:
            if other is not button:
                before = lesson.figure_state()
                other.click()
                nb.wait_figure_change(lesson, before, 3)
        if not _figure_changes(nb, lesson, button.click):
            problems.append(f"{name}: button {text!r}: the figure did not change within {MOVE_TIMEOUT} s")
    return problems


def _check_tab_order(nb: NotebookPage, lesson, name: str) -> list[str]:
    """Tab from the lesson's first control visits every control, in DOM and reading order; Enter acts."""
    page = nb.page
    controls = lesson.locator.evaluate(JS_CONTROLS)
    if len(controls) < 3:
        return [f"{name}: only {len(controls)} keyboard-focusable controls found: {controls}"]
    first = lesson.sliders()[0] if lesson.sliders() else lesson.buttons()[0]
    first.scroll_into_view_if_needed()
    first.focus()
    focused = [lesson.locator.evaluate(JS_FOCUSED)]
    for _ in range(len(controls) - 1):
        page.keyboard.press("Tab")
        focused.append(lesson.locator.evaluate(JS_FOCUSED))
    visited = [f["i"] for f in focused]
    problems = []
    if visited != list(range(len(controls))):
        names = [controls[f["i"]]["name"] if f["i"] >= 0 else f"(not a control: {f['html']})" for f in focused]
        problems.append(f"{name}: Tab visits {names}, expected every control in order: {[c['name'] for c in controls]}")
    # reading order: row by row, left to right. A row is a run of tops less than ROW_GAP px apart
    # (a slider's handle and its typed value sit a few px apart; rounding y would split them at a boundary)
    tops = sorted(c["y"] for c in controls)
    starts = [y for i, y in enumerate(tops) if i == 0 or y - tops[i - 1] > ROW_GAP]
    rows = [(sum(c["y"] >= s for s in starts), c["x"]) for c in controls]
    if rows != sorted(rows):
        problems.append(f"{name}: the controls' DOM (Tab) order is not their reading order on screen: "
                        f"{[(c['name'], round(c['x']), round(c['y'])) for c in controls]}")
    # a button pressed from the keyboard does what a click does
    for button in sorted(lesson.buttons(), key=lambda b: "draw" not in (b.text_content() or "")):  # a draw acts at once
        button.focus()
        before = lesson.figure_state()
        page.keyboard.press("Enter")
        if nb.wait_figure_change(lesson, before, MOVE_TIMEOUT) is not None:
            break
    else:
        problems.append(f"{name}: no button changed the figure when pressed with Enter")
    return problems


def test_chromium_starts(page):
    """Runs (and skips, or fails under CI) even when notebooks/ is still empty."""
    page.set_content("<p id=x>ok</p>")
    assert page.evaluate("document.getElementById('x').textContent") == "ok"
    assert "Chrom" in page.context.browser.version or page.context.browser.version[0].isdigit()


def check_notebook(notebook, lab_server, page, artifacts_dir, record_property):
    served = lab_server.root / "notebooks" / notebook.name  # the copy JupyterLab serves
    if not served.exists():
        pytest.skip(f"{notebook.name} appeared after the server's copy of notebooks/ was made")
    expected = committed_counts(served)
    clock = {"start": time.monotonic()}
    nb = NotebookPage(page, lab_server)
    where = f"notebooks/{notebook.name}"
    problems: list[str] = []
    try:
        nb.open(where, expected["all_code_cells"])
        clock["opened"] = time.monotonic()
        nb.run_all(expected["code_cells"], timeout=RUN_TIMEOUT)
        clock["ran"] = time.monotonic()

        errors = nb.errors()
        assert not errors, f"{where}: error output after Run All Cells:\n" + "\n---\n".join(errors)

        text = nb.output_text()
        for pattern in TEXT_REPR_PATTERNS:
            m = re.search(pattern, text)
            if m:
                problems.append(f"a widget is shown as text ({pattern!r} matched: "
                                f"{text[max(0, m.start() - 60):m.end() + 60]!r}); is the widget "
                                f"manager (jupyterlab_widgets) installed where JupyterLab runs?")
        roots = nb.widget_roots()  # progress bars (tqdm) are left out: committed outputs may omit them
        record_property("progress_bars", roots["progress_bars"])
        if roots["widgets"] != expected["widgets"]:
            problems.append(f"{roots['widgets']} widgets rendered (besides {roots['progress_bars']} progress "
                            f"bars), but the committed outputs display {expected['widgets']}")
        lessons = nb.lessons()
        if len(lessons) != expected["lessons"]:
            problems.append(f"{len(lessons)} .course-lesson widgets rendered, "
                            f"but the committed outputs display {expected['lessons']}")

        for lesson in lessons:
            name = f"lesson {lesson.index + 1} ({lesson.title()})"
            lesson_problems = _check_sliders(nb, lesson, name) + _check_buttons(nb, lesson, name)
            if notebook.name.startswith(TAB_ORDER_NOTEBOOK) and lesson.index == 0:
                lesson_problems += _check_tab_order(nb, lesson, name)
            if lesson_problems:
                lesson.locator.screenshot(path=str(artifacts_dir / f"{notebook.stem}-lesson{lesson.index + 1}.png"))
            problems += lesson_problems
        clock["moved"] = time.monotonic()
        errors = nb.errors()  # a callback that raised shows up as an error output too
        if errors:
            problems.append("error output after moving the widgets:\n" + "\n---\n".join(errors))
    finally:
        try:
            page.screenshot(path=str(artifacts_dir / f"{notebook.stem}.png"))
        except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
            pass
        lab_server.shutdown_kernels()  # free the CPU and memory for the next notebook
        steps = list(clock.items())
        timing = ", ".join(f"{b[0]} +{b[1] - a[1]:.1f} s" for a, b in zip(steps, steps[1:]))
        record_property("timing", timing)
    assert not problems, (f"{where} in JupyterLab (screenshot in artifacts/browser/; {timing}):\n- "
                          + "\n- ".join(problems))


# Two classes, so that `pytest -n 2 --dist loadscope` (make test) can give each worker half
# of the notebooks (a scope is a module or a class); each worker starts its own JupyterLab.
class TestEvenNotebooks:
    @pytest.mark.parametrize("notebook", NOTEBOOKS[0::2], ids=[p.stem for p in NOTEBOOKS[0::2]])
    def test_notebook_in_lab(self, notebook, chromium_ok, lab_server, page, artifacts_dir, record_property):
        check_notebook(notebook, lab_server, page, artifacts_dir, record_property)


class TestOddNotebooks:
    @pytest.mark.parametrize("notebook", NOTEBOOKS[1::2], ids=[p.stem for p in NOTEBOOKS[1::2]])
    def test_notebook_in_lab(self, notebook, chromium_ok, lab_server, page, artifacts_dir, record_property):
        check_notebook(notebook, lab_server, page, artifacts_dir, record_property)
