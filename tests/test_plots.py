"""helpers.plots: figures built once, updated in place."""

from helpers import plots


def test_bars_update_in_place_and_clip_off_scale_values():
    fig, (ax,) = plots.new_figure(1)
    bars = plots.Bars(ax, ["a", "b", "c"], ylim=(-12, 0))
    before = list(bars.bars)
    bars.update([-1.0, -float("inf"), -3.0])
    assert list(bars.bars) == before  # same artists, new heights
    assert [b.get_height() for b in bars.bars] == [-1.0, -12.0, -3.0]
    assert bars.texts[1].get_text() == "-inf"
