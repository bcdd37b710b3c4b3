"""Sliders wired to pure functions: the pattern every lesson widget follows.

    result = compute(**control_values)   # a pure function, tested directly
    view.update(result)                  # changes artists in place (helpers.plots)
    live.refresh()                       # one PNG render into an ipywidgets.Image

`Lesson` puts the controls, the figure and a text readout together and wires them with
`observe` (not `interact`, which re-creates the figure on every move and leaks output
into the notebook). Right after a lesson widget, a notebook calls the same compute
function with set values and prints the numbers, so a reader without a kernel sees a
result and nbval checks it.

The static edition (`make book`, tools/frames.py) reuses the same code with no kernel in
the page: it walks each Lesson's controls over a grid, and for every point `frame()` runs
compute -> view.update -> render, exactly as a slider move does, and saves the picture and
the readout. `record_lessons()` lets it find the Lessons a notebook makes.
"""
from __future__ import annotations

import io
from typing import Callable, Mapping, Sequence

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from traitlets import Unicode

from .plots import canvas_image

# Jupyter cuts a widget's text form at 110 characters: keep this short (titles <= 30 chars).
FALLBACK = "[interactive widget: {title} · if you see this text, see README Troubleshooting]"

_recorded: list | None = None


def record_lessons() -> list:
    """From now on, append every Lesson created to the returned list (used by tools/frames.py)."""
    global _recorded
    _recorded = []
    return _recorded


class DescribedImage(widgets.Image):
    """An `ipywidgets.Image` whose tooltip (its text alternative) renders.

    ipywidgets 8's DOMWidgetView.updateTooltip reads the model's `description`, which an
    Image does not have: with a tooltip set, the widget HTML manager of the static pages
    fails to create the view ("Could not create a view for model id ..."). An empty
    description, synced, lets it set the <img>'s title.
    """

    description = Unicode("").tag(sync=True)


class LiveFigure:
    """A matplotlib Figure shown as PNG bytes in an `ipywidgets.Image`, re-rendered on demand.

    Pass the artists that change (`animated`) and a refresh redraws only them over a
    cached background (blitting): about 10 ms a frame instead of about 50 ms for a full
    draw on the course's 2-core machine (see benchmarks/). The layout is computed once,
    on the first draw, then frozen, so axes do not jump between frames.
    """

    def __init__(self, fig: Figure, animated: Sequence = (), *, alt: str | None = None):
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)  # left out of the full draw; drawn per frame
        self.background = None
        # alt: what the figure shows, for a reader who cannot see it. ipywidgets' Image has no
        # alt; its tooltip becomes the <img>'s title, which is its text alternative when there
        # is no alt (in JupyterLab and in the static pages, which keep the widget's state).
        self.image = DescribedImage(format="png", tooltip=alt or None)
        self.renders = 0
        self.refresh()

    def invalidate(self) -> None:
        """Call after changing something static (limits, ticks, titles): the next refresh redraws all."""
        self.background = None

    def draw(self) -> Image.Image:
        """Draw the current state (blitting over the cached background) and return it as an RGBA image."""
        if self.background is None:
            self.canvas.draw()
            self.fig.set_layout_engine("none")  # freeze the layout computed by that draw
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self.background)
        for artist in self.animated:
            self.fig.draw_artist(artist)
        return canvas_image(self.canvas)

    def render(self) -> bytes:
        """Draw the current state and return it as PNG bytes."""
        buf = io.BytesIO()
        self.draw().save(buf, format="png", compress_level=1)  # fast to encode; PNGs stay small
        return buf.getvalue()

    def refresh(self) -> None:
        self.image.value = self.render()
        self.renders += 1


class Lesson(widgets.VBox):
    """Controls + a pure compute function + a view updated in place + a readout.

    controls: name -> a value widget (slider, dropdown, ...); its value is passed to
        compute under that name.
    compute: pure function of the control values; returns whatever the view needs.
    view: an object with `.fig` (a Figure), `.update(result)` and optionally `.artists`
        (the artists that update changes, redrawn by blitting) and `.alt` (what the figure
        shows, in words: its text alternative); may be None.
    alt: the figure's text alternative, if the view has none (or to say more for this lesson).
    readout: result -> short HTML text shown under the figure; may be None.
    header: rows (widgets) above the controls, such as an introduction.
    footer: rows under the controls and above the figure, such as buttons or a second row
        of controls. A control placed in a header or footer row is not repeated in the
        controls row, so a widget arranges its controls without rewriting `children`.

    Top to bottom: header, the controls row, footer, the figure, the readout.

    For the static edition (tools/frames.py), two optional attributes:
    static_note: set it when the widget's state needs the kernel (random draws, buttons):
        one line saying what the live course adds. The widget then stays at its saved
        state in the static pages. A Lesson with buttons and no note is kept still too.
    static_grid: {control name: (lo, hi, step)} to choose a control's positions in the
        static pages yourself (in the control's own units; the exponent for a log slider).
        Without it, tools/frames.py picks a grid from the sliders' range and step.
    """

    static_note: str | None = None
    static_grid: dict | None = None

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], compute: Callable,
                 view=None, readout: Callable | None = None, *, title: str = "lesson widget",
                 header: Sequence[widgets.Widget] = (), footer: Sequence[widgets.Widget] = (),
                 alt: str | None = None):
        self.controls = dict(controls)
        self.compute = compute
        self.view = view
        self.readout_fn = readout
        self.title = title
        self.alt = alt or getattr(view, "alt", None)
        self.live = LiveFigure(view.fig, getattr(view, "artists", ()), alt=self.alt) if view is not None else None
        self.readout = widgets.HTML()
        self.result = None
        self.updates = 0
        placed = _ids_inside([*header, *footer])
        row = [c for c in self.controls.values() if id(c) not in placed]
        children = list(header)
        if row:
            children.append(widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap")))
        children += list(footer)
        if self.live is not None:
            children.append(self.live.image)
        children.append(self.readout)
        super().__init__(children=children)
        self.add_class("course-lesson")  # the browser tests find lesson widgets by this class
        self.readout.add_class("course-readout")
        self._quiet = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()
        if _recorded is not None:
            _recorded.append(self)

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> None:
        """Recompute from the current control values and redraw in place."""
        self.result = self.compute(**self.values())
        if self.view is not None:
            self.view.update(self.result)
            self.live.refresh()
        if self.readout_fn is not None:
            self.readout.value = self.readout_fn(self.result)
        self.updates += 1

    def _on_change(self, change) -> None:
        if not self._quiet:
            self.update()

    def settle(self, values: Mapping) -> dict:
        """Set the controls to `values` without redrawing; return the values they then hold.

        Validators and links apply as in the live widget (a slider clamps to its range; in
        notebook 02, k's maximum follows n), so the result can differ from `values`.
        """
        self._quiet = True
        try:
            for _ in range(2):  # twice, so a link that depends on a later control has settled too
                for name, value in values.items():
                    self.controls[name].value = value
        finally:
            self._quiet = False
        return self.values()

    def frame(self, values: Mapping) -> tuple[Image.Image | None, str]:
        """(figure, readout HTML) the widget shows at these control values; the controls are not moved.

        The same compute -> view.update -> render as a slider move. The view keeps that
        state afterwards: call `update()` to show the controls' own values again.
        """
        result = self.compute(**values)
        image = None
        if self.view is not None:
            self.view.update(result)
            image = self.live.draw().copy()
        return image, (self.readout_fn(result) if self.readout_fn is not None else "")

    def __repr__(self) -> str:  # what a reader without the widget manager sees
        return FALLBACK.format(title=self.title)


def _ids_inside(rows) -> set[int]:
    """The ids of these widgets and of every widget inside them (boxes, recursively)."""
    found, todo = set(), list(rows)
    while todo:
        w = todo.pop()
        found.add(id(w))
        todo.extend(getattr(w, "children", ()))
    return found


def slider(value: float, lo: float, hi: float, step: float, description: str, *,
           integer: bool = False, readout_format: str = ".2f") -> widgets.ValueWidget:
    """A slider in the course's style (wide label, continuous updates)."""
    style = {"description_width": "initial"}
    layout = widgets.Layout(width="320px")
    if integer:
        return widgets.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                                 style=style, layout=layout)
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=readout_format, style=style, layout=layout)
