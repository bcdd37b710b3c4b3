"""Cross-references between lessons: links that stay right when lessons are renumbered.

In prose a lesson is referred to as a markdown link to its notebook, for example
`[notebook 03](03_nll_and_cross_entropy.ipynb)`, `[lesson 05](05_initialization_and_loss_estimation.ipynb#3.-...)`
or `[03 · NLL and cross-entropy](03_nll_and_cross_entropy.ipynb)`. The link's target names the
lesson by its *slug*, the notebook's name without its number (`nll_and_cross_entropy`), so
`make nav` (tools/nav.py) can rewrite, whenever the numbers change:

- the target's file name (`03_…` -> `04_…`; also `solutions/03_…_solutions.ipynb`), and
- the number in the link's text: `lesson 03` / `notebook 03` -> `04`; a `03 · Title` text
  becomes the lesson's current number and title.

A bare "lesson 05" or "notebook 05" in a markdown cell is turned into such a link by `make nav`,
using the current numbers (so write it, run `make nav`, commit). `make nav` refuses a link to a
slug that no lesson has. Covered: the markdown cells of lessons and worked solutions, the
glossary and INSTRUCTORS.md. Code cells are not touched (a comment saying "notebook 01" there
is not rewritten).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tools import nav

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
GENERATED_TAGS = {"nav-top", "nav-bottom", "course-map"}
REF = re.compile(r"\b(?P<word>[Ll]essons?|[Nn]otebooks?)(?P<space>\s+)(?P<num>\d\d)\b")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
LESSON_FILE = re.compile(r"^(?P<dir>(?:\.\./|notebooks/)?)(?P<sol>solutions/)?(?P<num>\d\d)_(?P<slug>[a-z0-9_]+?)"
                         r"(?P<suffix>_solutions)?\.ipynb(?P<anchor>#[^)]*)?$")
LABEL = re.compile(r"^\d\d · .+$")
CODE_SPAN = re.compile(r"`[^`\n]*`")
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


def _skipped(text: str) -> list[tuple[int, int]]:
    """Spans where a "lesson NN" is not prose to link: links, images, code."""
    return _spans(LINK, text) + _spans(IMAGE, text) + _spans(CODE_SPAN, text)


class XrefError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    number: str
    slug: str
    label: str


def index() -> dict[str, Target]:
    """slug -> the lesson's current number and label."""
    out = {}
    for path in nav.lesson_paths():
        info = nav.lesson_info(path)
        out[path.stem[3:]] = Target(info.number, path.stem[3:], info.label)
    return out


def _spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _inside(pos: int, spans) -> bool:
    return any(a <= pos < b for a, b in spans)


def bare_refs(text: str) -> list[str]:
    """"lesson NN" / "notebook NN" outside any link and any code span."""
    skip = _skipped(text)
    return [m.group(0) for m in REF.finditer(text) if not _inside(m.start(), skip)]


def rewrite(text: str, lessons: dict[str, Target], base: str) -> str:
    """Bring every lesson link up to date and link every bare reference. `base` is the path
    from the file's folder to notebooks/ ('' for a lesson, '../' for solutions, 'notebooks/'
    for a document at the repository root)."""
    by_number = {t.number: t for t in lessons.values()}

    def fix_link(m: re.Match) -> str:
        f = LESSON_FILE.match(m.group("target"))
        if not f:
            return m.group(0)
        target = lessons.get(f.group("slug"))
        if target is None:
            raise XrefError(f"link to {m.group('target')}: no lesson is called {f.group('slug')!r} "
                            "(renamed or removed? fix the link)")
        old = f.group("num")
        text = m.group("text")
        if LABEL.match(text) and not f.group("sol"):
            text = target.label
        else:
            text = REF.sub(lambda r: r.group(0) if r.group("num") != old else
                           f"{r.group('word')}{r.group('space')}{target.number}", text)
        file = f"{f.group('dir')}{f.group('sol') or ''}{target.number}_{target.slug}{f.group('suffix') or ''}.ipynb"
        return f"[{text}]({file}{f.group('anchor') or ''})"

    text = LINK.sub(fix_link, text)
    skip = _skipped(text)

    def link_bare(m: re.Match) -> str:
        if _inside(m.start(), skip):
            return m.group(0)
        target = by_number.get(m.group("num"))
        if target is None:
            raise XrefError(f"{m.group(0)!r}: there is no lesson {m.group('num')}")
        return f"[{m.group(0)}]({base}{target.number}_{target.slug}.ipynb)"

    return REF.sub(link_bare, text)


def mismatched_links(text: str, lessons: dict[str, Target]) -> list[str]:
    """Links whose text names a lesson number other than their target's current one."""
    bad = []
    for m in LINK.finditer(text):
        f = LESSON_FILE.match(m.group("target"))
        if not f:
            continue
        target = lessons.get(f.group("slug"))
        numbers = {r.group("num") for r in REF.finditer(m.group("text"))}
        if LABEL.match(m.group("text")):
            numbers.add(m.group("text")[:2])
        if target is None or f.group("num") != target.number or numbers - {target.number}:
            bad.append(m.group(0))
    return bad


def documents() -> list[tuple[Path, str]]:
    """Every file whose prose is covered, with its `base` path to notebooks/."""
    docs = [(p, "") for p in nav.lesson_paths()] + [(p, "../") for p in nav.solution_paths()]
    docs.append((NOTEBOOKS / nav.GLOSSARY, ""))
    if (ROOT / "INSTRUCTORS.md").exists():
        docs.append((ROOT / "INSTRUCTORS.md", "notebooks/"))
    return docs


def prose(path: Path) -> list[str]:
    """The markdown a document holds: a .md file's text, or a notebook's markdown cells
    (less the cells tools/nav.py generates)."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    return [c["source"] for c in nav.read(path)["cells"]
            if c["cell_type"] == "markdown" and not GENERATED_TAGS & set(c.get("metadata", {}).get("tags", []))]


def update(check: bool = False) -> list[Path]:
    """Rewrite every covered file's lesson links (or, with check, only report); return the stale ones."""
    lessons = index()
    stale = []
    for path, base in documents():
        if path.suffix == ".md":
            old = path.read_text(encoding="utf-8")
            new = rewrite(old, lessons, base)
            if new != old:
                stale.append(path)
                if not check:
                    path.write_text(new, encoding="utf-8")
            continue
        nb = nav.read(path)
        changed = False
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown" or GENERATED_TAGS & set(cell.get("metadata", {}).get("tags", [])):
                continue
            new = rewrite(cell["source"], lessons, base)
            if new != cell["source"]:
                cell["source"], changed = new, True
        if changed:
            stale.append(path)
            if not check:
                nav.write(path, nb)
    return stale
