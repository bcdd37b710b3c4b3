"""Every lesson widget, built with its defaults: the checks each one must pass, in one place.

The widgets are found, not listed: every function named `*_widget` defined in a module of
`helpers.lessons`. A new widget gets these checks by being named that way. For each:

- it is a `helpers.widgets.Lesson` that reads as a short text without the widget manager;
- moving a control redraws in place: the same figure and axes, a new image;
- after every control move, the blitted frame (the background cached before the move plus
  the artists the view lists in `.artists`) equals a full redraw (`LiveFigure.invalidate`,
  then a render), pixel for pixel: a view that changes an artist it does not list, or
  something static (limits, labels) without invalidating, fails here.

Lesson-specific behaviour (what each figure shows) is tested in tests/lessons/.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import ipywidgets
import numpy as np
import pytest

import helpers.lessons
from helpers import widgets

LESSONS = Path(helpers.lessons.__file__).parent


def lesson_modules():
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(helpers.lessons.__path__, "helpers.lessons.")]


def widget_factories() -> list:
    found = []
    for module in lesson_modules():
        for name, obj in vars(module).items():
            if name.endswith("_widget") and inspect.isfunction(obj) and obj.__module__ == module.__name__:
                found.append(pytest.param(obj, id=f"{module.__name__.removeprefix('helpers.lessons.')}.{name}"))
    return found


FACTORIES = widget_factories()


def test_every_module_that_builds_a_lesson_widget_has_a_factory_the_test_finds():
    builds = {m.__name__ for m in lesson_modules() if "Lesson(" in inspect.getsource(m)}
    named = {p.id.rsplit(".", 1)[0] for p in FACTORIES}
    assert builds and {b.removeprefix("helpers.lessons.") for b in builds} <= named, \
        "a module builds widgets.Lesson in a function not named *_widget"


def moved(control):
    """Set a control to another valid value (the other end of a slider, the next option)."""
    if isinstance(control, ipywidgets.ToggleButton):
        control.value = not control.value
    elif hasattr(control, "index") and getattr(control, "options", None):
        control.index = (control.index + 1) % len(control.options)
    elif isinstance(control, ipywidgets.FloatLogSlider):
        top = control.base ** control.max
        control.value = control.base ** control.min if np.isclose(control.value, top) else top
    else:
        control.value = control.min if control.value == control.max else control.max


def full_redraw(live: widgets.LiveFigure) -> np.ndarray:
    """The figure drawn from scratch: a fresh background, then the moving artists."""
    live.invalidate()
    live.render()
    return np.asarray(live.canvas.buffer_rgba()).copy()


def blitted_frame(live: widgets.LiveFigure) -> np.ndarray:
    live.render()  # restores the cached background and draws only the listed artists
    return np.asarray(live.canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("factory", FACTORIES)
def test_widget_redraws_in_place_and_blitting_matches_a_full_redraw(factory):
    w = factory()
    assert isinstance(w, widgets.Lesson) and w.view is not None and w.live is not None
    assert "interactive widget" in repr(w) and len(repr(w)) <= 110  # Jupyter cuts text/plain beyond that
    assert "course-lesson" in w._dom_classes
    fig, axes = w.view.fig, list(w.view.fig.axes)
    assert w.live.fig is fig

    for i, (name, control) in enumerate(w.controls.items()):
        image, renders = bytes(w.live.image.value), w.live.renders
        blitted_frame(w.live)  # the background is cached from the state before the move
        moved(control)
        assert w.live.renders == renders + 1, f"moving {name} did not redraw"
        if i == 0:
            assert bytes(w.live.image.value) != image, f"moving {name} left the image unchanged"
        assert w.view.fig is fig and list(fig.axes) == axes, f"moving {name} made a new figure or axes"
        blit, full = blitted_frame(w.live), full_redraw(w.live)
        assert blit.shape == full.shape
        differ = np.mean(np.any(blit != full, axis=-1))
        assert differ == 0, f"after moving {name}, {differ:.2%} of the pixels differ from a full redraw"
