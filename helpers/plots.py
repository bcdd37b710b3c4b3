"""Figures that are built once and then updated in place.

Each class here draws its artists in `__init__` and changes only their data in
`update(...)`, which is what keeps a slider fast: no new figure, axes or bars per move.
Figures are plain `matplotlib.figure.Figure` objects (not pyplot), so they never pop
up by themselves; `helpers.widgets.LiveFigure` shows them.
"""
from __future__ import annotations

import base64
import html
import io
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

DPI = 80  # small PNGs render and travel fast; text stays readable
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"
# Lines are never told apart by colour alone: each series also gets its own style (and a label).
LINESTYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D"]


def readable(color: str, background: str = "#ffffff", ratio: float = 4.5) -> str:
    """`color` darkened just enough for text on `background` to reach `ratio`:1 contrast (WCAG AA)."""
    def luminance(rgb):
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    def rgb(h):
        h = h.lstrip("#")
        return [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]

    bg = luminance(rgb(background))
    c = rgb(color)
    for _ in range(100):
        lum = luminance(c)
        if (max(lum, bg) + 0.05) / (min(lum, bg) + 0.05) >= ratio:
            break
        c = [x * 0.95 for x in c]
    return "#" + "".join(f"{round(x * 255):02x}" for x in c)


class Picture:
    """A finished figure as a PNG with its text alternative: what `show` displays.

    Jupyter shows it as `<img alt="...">` (text/html): JupyterLab 4 and nbconvert's lab
    template both ignore an `alt` in image/png metadata, but both keep the alt of an HTML
    image (JupyterLab's sanitizer keeps data: images). Its text/plain form is the alt text
    itself, so a reader without images, and nbval, read what the figure shows.
    """

    def __init__(self, png: bytes, alt: str, width: int, height: int):
        self.png, self.alt, self.width, self.height = png, alt, width, height

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = base64.b64encode(self.png).decode("ascii")
        img = (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt, quote=True)}" '
               f'width="{self.width}" height="{self.height}">')
        return {"text/html": img, "text/plain": f"[figure: {self.alt}]"}

    def __repr__(self) -> str:
        return f"[figure: {self.alt}]"


def picture(fig, alt: str) -> Picture:
    """Render a matplotlib figure (pyplot's or a `Figure`) to a `Picture` with its text alternative."""
    if not isinstance(alt, str) or len(alt.strip()) < 20:
        raise ValueError("a figure needs a text alternative that says what it shows "
                         f"(a sentence or two, at least 20 characters), got {alt!r}")
    from PIL import Image

    buf = io.BytesIO()  # in memory: nothing is written to disk
    if _lays_itself_out(fig):
        # One draw: the layout engine fits the axes inside the figure during it, so there is
        # nothing to crop. (print_figure would lay the figure out twice, and a tight bounding
        # box adds a third pass.)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        canvas.draw()
        canvas_image(canvas).save(buf, format="png")
    else:  # fixed margins: crop to what was drawn, as plt.show() does inline
        fig.canvas.print_figure(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
    png = buf.getvalue()
    width, height = Image.open(io.BytesIO(png)).size
    return Picture(png, " ".join(alt.split()), width, height)


def canvas_image(canvas):
    """What an Agg canvas last drew, as an RGBA PIL image (a view of its buffer: copy it to keep it)."""
    from PIL import Image

    return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)


def _lays_itself_out(fig) -> bool:
    """True when the figure has a constrained or tight layout engine (not none, not a placeholder)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine

    return isinstance(fig.get_layout_engine(), (ConstrainedLayoutEngine, TightLayoutEngine))


def show(fig=None, *, alt: str) -> None:
    """Display a finished figure with its text alternative (instead of `plt.show()`), then close it.

    alt says what the figure shows (its axes, what each line or bar is, the pattern to see),
    for a reader who cannot see it; JupyterLab and the static pages both carry it.
    """
    from IPython.display import display

    import matplotlib.pyplot as plt

    fig = fig if fig is not None else plt.gcf()
    display(picture(fig, alt))
    plt.close(fig)  # or the inline backend would show it a second time, without its alt


def new_figure(ncols: int = 1, width: float = 7.5, height: float = 3.0):
    """A figure with `ncols` axes side by side, in the course's style."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)  # grid under the bars, in full draws and blitted frames alike
    return fig, list(axes)


class Bars:
    """A labelled bar chart whose heights (and value labels) change in place."""

    def __init__(self, ax, labels: Sequence[str], *, ylim=(0, 1), color=BLUE,
                 title: str = "", ylabel: str = "", fmt: str = "{:.2f}"):
        self.ax, self.fmt = ax, fmt
        x = np.arange(len(labels))
        self.bars = ax.bar(x, np.zeros(len(labels)), color=color)
        ax.set_xticks(x, labels)
        ax.set_ylim(*ylim)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        if ylim[0] < 0 < ylim[1]:
            ax.axhline(0, color="black", lw=0.8)
        self.texts = [ax.text(xi, 0, "", ha="center", va="bottom", fontsize=9) for xi in x]
        self.artists = [*self.bars, *self.texts]  # what update() changes (for blitting)

    def update(self, heights) -> None:
        lo, hi = self.ax.get_ylim()
        for bar, text, h in zip(self.bars, self.texts, np.asarray(heights, dtype=float)):
            shown = min(max(h, lo), hi)  # keep off-scale bars (e.g. -inf) on the chart
            bar.set_height(shown)
            text.set_text(self.fmt.format(h))
            text.set_y(shown)
            text.set_va("bottom" if shown >= 0 else "top")
