"""Lesson cross-references in prose are links named by slug, so renumbering cannot leave them wrong."""
import re
import shutil

import pytest

from tools import nav, xref

DOCS = xref.documents()


@pytest.mark.parametrize("path,base", DOCS, ids=[p.name for p, _ in DOCS])
def test_no_bare_lesson_reference_and_every_link_matches_its_lesson(path, base):
    lessons = xref.index()
    for i, text in enumerate(xref.prose(path)):
        assert not xref.bare_refs(text), f"{path.name} cell {i}: {xref.bare_refs(text)}: run `make nav` to link them"
        assert not xref.mismatched_links(text, lessons), f"{path.name} cell {i}: {xref.mismatched_links(text, lessons)}"


LESSONS = {"nll_and_cross_entropy": xref.Target("04", "nll_and_cross_entropy", "04 · NLL and cross-entropy"),
           "mm_surprise_game": xref.Target("03", "mm_surprise_game", "03 · The M&M surprise game")}


@pytest.mark.parametrize("before,base,after", [
    ("see [notebook 03](03_nll_and_cross_entropy.ipynb#2.-NLL)", "",
     "see [notebook 04](04_nll_and_cross_entropy.ipynb#2.-NLL)"),
    ("[Lesson 03 and lesson 04](03_nll_and_cross_entropy.ipynb)", "",
     "[Lesson 04 and lesson 04](04_nll_and_cross_entropy.ipynb)"),
    ("[04 · The M&M surprise game](04_mm_surprise_game.ipynb)", "", "[03 · The M&M surprise game](03_mm_surprise_game.ipynb)"),
    ("[back to the lesson](../03_nll_and_cross_entropy.ipynb)", "../", "[back to the lesson](../04_nll_and_cross_entropy.ipynb)"),
    ("[Worked solutions](solutions/03_nll_and_cross_entropy_solutions.ipynb)", "",
     "[Worked solutions](solutions/04_nll_and_cross_entropy_solutions.ipynb)"),
    ("as notebook 03 shows", "notebooks/", "as [notebook 03](notebooks/03_mm_surprise_game.ipynb) shows"),
    ("`notebook 03` and ![lesson 03](fig.png) and [glossary](glossary.md#X)", "",
     "`notebook 03` and ![lesson 03](fig.png) and [glossary](glossary.md#X)"),
])
def test_rewrite_follows_the_slug(before, base, after):
    assert xref.rewrite(before, LESSONS, base) == after
    assert xref.rewrite(after, LESSONS, base) == after, "idempotent"


def test_a_link_to_a_lesson_that_is_gone_is_an_error():
    with pytest.raises(xref.XrefError, match="no lesson is called 'designing_a_loss'"):
        xref.rewrite("[notebook 09](09_designing_a_loss.ipynb)", LESSONS, "")
    with pytest.raises(xref.XrefError, match="there is no lesson 07"):
        xref.rewrite("see lesson 07", LESSONS, "")


def test_mismatched_link_text_is_found():
    assert xref.mismatched_links("[notebook 05](03_nll_and_cross_entropy.ipynb)", LESSONS)
    assert not xref.mismatched_links("[notebook 04](04_nll_and_cross_entropy.ipynb)", LESSONS)


def test_swapping_two_lessons_rewrites_every_reference(tmp_path, monkeypatch):
    """Renumber as an adapter would: swap lessons 03 and 04 (files and titles), run nav."""
    root = tmp_path
    shutil.copytree(nav.NOTEBOOKS, root / "notebooks")
    nbs = root / "notebooks"
    swaps = {"03_nll_and_cross_entropy": "04_nll_and_cross_entropy", "04_mm_surprise_game": "03_mm_surprise_game"}
    for old, new in swaps.items():
        (nbs / f"{old}.ipynb").rename(nbs / f"{new}.ipynb.tmp")
        (nbs / "solutions" / f"{old}_solutions.ipynb").rename(nbs / "solutions" / f"{new}_solutions.ipynb.tmp")
    for p in [*nbs.glob("*.tmp"), *(nbs / "solutions").glob("*.tmp")]:
        p.rename(p.with_suffix(""))
    for new in swaps.values():  # the title's number follows the file name (the layout recipe's step)
        path = nbs / f"{new}.ipynb"
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r'"# \d\d ·', f'"# {new[:2]} ·', text, count=1), encoding="utf-8")
    for module in (nav, xref):
        monkeypatch.setattr(module, "ROOT", root)
        monkeypatch.setattr(module, "NOTEBOOKS", nbs)
    stale = xref.update()
    assert nbs / "09_designing_a_loss_for_a_new_task.ipynb" in stale
    lessons = xref.index()
    assert lessons["nll_and_cross_entropy"].number == "04"
    for path, _ in xref.documents():
        for text in xref.prose(path):
            assert not xref.mismatched_links(text, lessons), path.name
            assert not xref.bare_refs(text)
    text = "\n".join(xref.prose(nbs / "09_designing_a_loss_for_a_new_task.ipynb"))
    assert "[Notebook 04](04_nll_and_cross_entropy.ipynb)" in text
    assert "03_nll_and_cross_entropy" not in text
    assert xref.update(check=True) == [], "a second run changes nothing"
