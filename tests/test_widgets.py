"""The widget pattern, without a browser: pure compute, figure built once, updated in place."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import plots, softmax_demo, widgets


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


def test_blitted_frame_equals_a_full_redraw():
    """Blitting must not change what the learner sees: compare with a fresh full draw."""
    def frame(blit):
        view = softmax_demo.SoftmaxView()
        live = widgets.LiveFigure(view.fig, view.artists if blit else ())
        view.update(softmax_demo.softmax_at_temperature(2.0, 3.0))
        if not blit:
            live.invalidate()
        return live.render()

    from io import BytesIO
    from PIL import Image
    a = np.asarray(Image.open(BytesIO(frame(True))))
    b = np.asarray(Image.open(BytesIO(frame(False))))
    assert a.shape == b.shape
    assert np.mean(a != b) < 0.001  # identical up to antialiasing of a few pixels


def test_bars_update_in_place_and_clip_off_scale_values():
    fig, (ax,) = plots.new_figure(1)
    bars = plots.Bars(ax, ["a", "b", "c"], ylim=(-12, 0))
    before = list(bars.bars)
    bars.update([-1.0, -float("inf"), -3.0])
    assert list(bars.bars) == before  # same artists, new heights
    assert [b.get_height() for b in bars.bars] == [-1.0, -12.0, -3.0]
    assert bars.texts[1].get_text() == "-inf"


def test_softmax_at_temperature_matches_torch():
    r = softmax_demo.softmax_at_temperature(temperature=2.0, first_logit=3.0)
    z = torch.tensor([3.0, 1.0, 0.1, -1.0], dtype=torch.float64)
    np.testing.assert_allclose(r["probs"], F.softmax(z / 2.0, -1).numpy(), atol=1e-12)
    np.testing.assert_allclose(r["log_probs"], F.log_softmax(z / 2.0, -1).numpy(), atol=1e-12)
    assert r["sum"] == pytest.approx(1.0)


def test_low_temperature_sharpens_and_high_flattens():
    cold = softmax_demo.softmax_at_temperature(0.2)["probs"]
    hot = softmax_demo.softmax_at_temperature(5.0)["probs"]
    assert cold.max() > 0.99 and hot.max() < 0.4


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        softmax_demo.softmax_at_temperature(0.0)


def test_lesson_updates_figure_and_readout_when_a_slider_moves():
    lesson = softmax_demo.temperature_lesson()
    png, text, n = lesson.live.image.value, lesson.readout.value, lesson.updates
    lesson.controls["temperature"].value = 3.0
    assert lesson.updates == n + 1
    assert lesson.live.image.value != png
    assert lesson.readout.value != text and "T = 3.00" in lesson.readout.value
    np.testing.assert_allclose(lesson.result["probs"],
                               softmax_demo.softmax_at_temperature(3.0, 2.0)["probs"])
    heights = [b.get_height() for b in lesson.view.probs.bars]
    np.testing.assert_allclose(heights, lesson.result["probs"])


def test_lesson_text_fallback_is_friendly_and_css_class_is_set():
    lesson = softmax_demo.temperature_lesson()
    assert "interactive widget" in repr(lesson) and "README" in repr(lesson)
    assert len(repr(lesson)) <= 110  # Jupyter truncates a widget's text/plain beyond that
    assert "course-lesson" in lesson._dom_classes


def test_slider_factory():
    s = widgets.slider(1.0, 0.0, 2.0, 0.5, "x")
    i = widgets.slider(3, 1, 9, 1, "n", integer=True)
    assert s.value == 1.0 and s.max == 2.0 and type(i).__name__ == "IntSlider"


def test_softmax_view_labels_stay_off_the_title_and_tick_labels():
    """At a low temperature one bar is 1 and the others far below the log floor: labels stay in the axes."""
    view = softmax_demo.SoftmaxView()
    view.update(softmax_demo.softmax_at_temperature(0.1, 8.0))
    assert all(t.get_position()[1] < softmax_demo.PROB_TOP for t in view.probs.texts)
    lo, hi = view.logs.ax.get_ylim()
    for text in view.logs.texts:
        y, va = text.get_position()[1], text.get_va()
        assert lo <= y < hi and not (y == lo and va == "top")


def test_a_lesson_figure_carries_its_text_alternative():
    class View:
        alt = "Two bars, a and b, whose heights are the probabilities."

        def __init__(self):
            self.fig, (ax,) = plots.new_figure(1)
            self.bars = plots.Bars(ax, ["a", "b"])
            self.artists = self.bars.artists

        def update(self, result):
            self.bars.update(result)

    lesson = widgets.Lesson({"p": widgets.slider(0.5, 0, 1, 0.1, "p")}, compute=lambda p: [p, 1 - p], view=View())
    assert lesson.live.image.tooltip == View.alt  # becomes the <img>'s title: its accessible name
    other = widgets.Lesson({"p": widgets.slider(0.5, 0, 1, 0.1, "p")}, compute=lambda p: [p, 1 - p], view=View(),
                           alt="The same bars, said for this lesson.")
    assert other.live.image.tooltip == "The same bars, said for this lesson."


def test_show_displays_a_png_with_its_alt_text():
    import base64
    import re

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="falling")
    alt = 'A line falling from 1 to 0 as x goes from 0 to 1: "less" <is> more.'
    pic = plots.picture(fig, alt)
    bundle = pic._repr_mimebundle_()
    assert bundle["text/plain"] == f"[figure: {alt}]"
    m = re.fullmatch(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)" width="(\d+)" height="(\d+)">',
                     bundle["text/html"])
    assert m, bundle["text/html"][:200]
    assert base64.b64decode(m.group(1)).startswith(b"\x89PNG")
    assert m.group(2) == "A line falling from 1 to 0 as x goes from 0 to 1: &quot;less&quot; &lt;is&gt; more."
    assert (int(m.group(3)), int(m.group(4))) == (pic.width, pic.height) and pic.width > 100
    plt.close(fig)


@pytest.mark.parametrize("alt", [None, "", "   ", "a plot"])
def test_a_figure_without_a_real_text_alternative_is_refused(alt):
    fig, _ = plots.new_figure(1)
    with pytest.raises(ValueError, match="text alternative"):
        plots.picture(fig, alt)
