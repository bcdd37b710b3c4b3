"""helpers.plots: figures built once, updated in place."""

import pytest

from helpers import plots


def test_bars_update_in_place_and_clip_off_scale_values():
    fig, (ax,) = plots.new_figure(1)
    bars = plots.Bars(ax, ["a", "b", "c"], ylim=(-12, 0))
    before = list(bars.bars)
    bars.update([-1.0, -float("inf"), -3.0])
    assert list(bars.bars) == before  # same artists, new heights
    assert [b.get_height() for b in bars.bars] == [-1.0, -12.0, -3.0]
    assert bars.texts[1].get_text() == "-inf"


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


def _contrast(a: str, b: str) -> float:
    def lum(h):
        c = [int(h.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("colour", [plots.GREEN, plots.ORANGE, plots.GREY, plots.RED, "#ffff00", "#000000"])
def test_readable_colours_reach_text_contrast_on_white(colour):
    out = plots.readable(colour)
    assert _contrast(out, "#ffffff") >= 4.5, (colour, out)
    if _contrast(colour, "#ffffff") >= 4.5:
        assert out == colour  # already readable: unchanged


def _draws_while(fig, action) -> int:
    count = []
    cid = fig.canvas.mpl_connect("draw_event", lambda event: count.append(1))
    action()
    fig.canvas.mpl_disconnect(cid)
    return len(count)


def test_a_figure_that_lays_itself_out_is_drawn_once_and_whole():
    """Constrained layout fits the axes inside the figure during the one draw: nothing to crop."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, (a, b) = plt.subplots(1, 2, figsize=(6, 2.5), dpi=80, layout="constrained")
    a.plot([0, 1], [0, 1], label="rising")
    a.set(xlabel="x", ylabel="a long label for y", title="left")
    a.legend()
    b.semilogy([1, 10, 100])
    pics = []
    assert _draws_while(fig, lambda: pics.append(plots.picture(fig, "Two panels: a rising line and a log scale."))) == 1
    assert (pics[0].width, pics[0].height) == (480, 200)
    pixels = Image.open(io.BytesIO(pics[0].png)).convert("L")
    assert pixels.getextrema()[0] < 100  # something dark (lines, text) was drawn
    plt.close(fig)


def test_a_figure_with_fixed_margins_is_cropped_to_what_was_drawn():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.5), dpi=80)  # no layout engine: labels may reach past the edge
    ax.set_ylabel("label")
    fig.subplots_adjust(left=0.3, right=0.7)   # wide empty margins left and right
    pic = plots.picture(fig, "An empty axes with wide margins on both sides.")
    assert pic.width < 480 * 0.75 and pic.height > 0  # cropped to the drawn part (plus a small pad)
    plt.close(fig)
