"""The widget pattern, without a browser: pure compute, figure built once, updated in place."""
import ipywidgets


from helpers import plots, widgets


def test_live_figure_renders_png_and_redraws_only_on_refresh():
    fig, (ax,) = plots.new_figure(1)
    bars = plots.Bars(ax, ["a", "b"])
    live = widgets.LiveFigure(fig, bars.artists)
    first = live.image.value
    assert bytes(first).startswith(b"\x89PNG") and live.renders == 1
    bars.update([0.2, 0.8])
    live.refresh()
    assert live.image.value != first and live.renders == 2
    assert fig.get_layout_engine() is None or fig.get_layout_engine().__class__.__name__ == "PlaceHolderLayoutEngine"


class BarsView:
    """The smallest view: two bars whose heights are the result."""

    def __init__(self):
        self.fig, (ax,) = plots.new_figure(1)
        self.bars = plots.Bars(ax, ["a", "b"])
        self.artists = self.bars.artists

    def update(self, result):
        self.bars.update(result)


def two_bars(a=0.2, b=0.5):
    return [a, b]


def test_lesson_lays_out_controls_figure_readout_and_its_text_form_is_short():
    a, b = widgets.slider(0.2, 0, 1, 0.1, "a"), widgets.slider(0.5, 0, 1, 0.1, "b")
    w = widgets.Lesson({"a": a, "b": b}, two_bars, BarsView(), lambda r: f"sum {sum(r):.1f}", title="two bars")
    row, image, readout = w.children
    assert list(row.children) == [a, b] and image is w.live.image and readout is w.readout
    assert readout.value == "sum 0.7" and "course-lesson" in w._dom_classes
    assert repr(w).startswith("[interactive widget: two bars") and len(repr(w)) <= 110
    b.value = 0.9
    assert w.result == [0.2, 0.9] and readout.value == "sum 1.1" and w.updates == 2


def test_lesson_header_and_footer_rows_hold_extra_widgets_and_controls():
    a, b = widgets.slider(0.2, 0, 1, 0.1, "a"), widgets.slider(0.5, 0, 1, 0.1, "b")
    intro, button = ipywidgets.HTML("intro"), ipywidgets.Button(description="go")
    second_row = ipywidgets.HBox([b, button])
    w = widgets.Lesson({"a": a, "b": b}, two_bars, BarsView(), header=[intro], footer=[second_row])
    assert list(w.children) == [intro, w.children[1], second_row, w.live.image, w.readout]
    assert list(w.children[1].children) == [a]  # b sits in the footer row, so not again in the controls row
    b.value = 0.1
    assert w.result == [0.2, 0.1]  # a control in the footer still drives the compute function


def test_slider_factory():
    s = widgets.slider(1.0, 0.0, 2.0, 0.5, "x")
    i = widgets.slider(3, 1, 9, 1, "n", integer=True)
    assert s.value == 1.0 and s.max == 2.0 and type(i).__name__ == "IntSlider"


def test_a_lesson_figure_carries_its_text_alternative():
    class View(BarsView):
        alt = "Two bars, a and b, whose heights are the probabilities."

    lesson = widgets.Lesson({"p": widgets.slider(0.5, 0, 1, 0.1, "p")}, compute=lambda p: [p, 1 - p], view=View())
    assert lesson.live.image.tooltip == View.alt  # becomes the <img>'s title: its accessible name
    other = widgets.Lesson({"p": widgets.slider(0.5, 0, 1, 0.1, "p")}, compute=lambda p: [p, 1 - p], view=View(),
                           alt="The same bars, said for this lesson.")
    assert other.live.image.tooltip == "The same bars, said for this lesson."
