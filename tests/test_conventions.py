"""The course's conventions: fresh navigation, notebooks executed top to bottom, working links."""
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tools import nav

ROOT = Path(__file__).resolve().parent.parent
LESSONS = nav.lesson_paths()
SOLUTIONS = nav.solution_paths()
ALL = LESSONS + SOLUTIONS
LINK = re.compile(r"\]\(([^)\s]+)\)")


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_there_are_lessons_starting_at_00():
    assert LESSONS and LESSONS[0].name == "00_start_here.ipynb"
    numbers = [p.name[:2] for p in LESSONS]
    assert numbers == [f"{i:02d}" for i in range(len(numbers))], "lesson numbers must run 00, 01, ... without gaps"


def test_navigation_and_course_map_are_fresh():
    assert nav.main(["--check"]) == 0, "run `make nav`"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_executed_top_to_bottom_in_a_fresh_kernel(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts}: run `make outputs NB={path.relative_to(ROOT)}`"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_error_or_warning_outputs_committed(path):
    for i, cell in enumerate(cells(path)):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"cell {i}: committed error {out.get('ename')}"
            if out["output_type"] == "stream" and out["name"] == "stderr":
                pytest.fail(f"cell {i}: committed stderr output (a warning?): {''.join(out['text'])[:200]}")


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_printed_text_is_stored_in_one_block_per_stream(path):
    """`make outputs` joins a cell's consecutive stream outputs (the static pages would show a seam)."""
    for i, cell in enumerate(cells(path)):
        outs = cell.get("outputs", [])
        for a, b in zip(outs, outs[1:]):
            assert not (a["output_type"] == b["output_type"] == "stream" and a["name"] == b["name"]), (
                f"cell {i}: printed text split into two {a['name']} outputs: run `make outputs NB={path.relative_to(ROOT)}`")


def test_coalesce_streams_joins_only_neighbours_of_one_stream():
    from tools.run_notebooks import coalesce_streams

    def out(name, text):
        return {"output_type": "stream", "name": name, "text": text}
    picture = {"output_type": "display_data", "data": {"text/plain": "[figure]"}, "metadata": {}}
    got = coalesce_streams([out("stdout", "a\n"), out("stdout", "b\n"), picture, out("stdout", "c"),
                            out("stderr", "w"), out("stdout", "d"), out("stdout", "e")])
    assert got == [out("stdout", "a\nb\n"), picture, out("stdout", "c"), out("stderr", "w"), out("stdout", "de")]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_local_links_resolve(path):
    for i, cell in enumerate(cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall("".join(cell["source"])):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            file = unquote(target.split("#")[0])
            assert (path.parent / file).exists(), f"cell {i}: broken link {target}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lessons_follow_the_skeleton(path):
    text = [("".join(c["source"]), c["cell_type"]) for c in cells(path)]
    info = nav.lesson_info(path)
    assert info.summary
    assert "What you will learn" in text[0][0] or path.name.startswith("00_")
    assert any(re.search(r"^## Summary", src, re.M) for src, kind in text if kind == "markdown"), "a ## Summary section"
    if any("Check yourself" in src for src, _ in text):
        solutions = f"solutions/{path.stem}_solutions.ipynb"
        assert any(solutions in src for src, kind in text if kind == "markdown"), f"link the worked solutions {solutions}"
        assert (path.parent / solutions).exists()


def test_notebooks_use_the_python3_kernel():
    for path in ALL:
        meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
        assert meta.get("kernelspec", {}).get("name") == "python3", path.name


# --- moved here from the lesson tests ---------------------------------------------------

GLOSSARY = Path(__file__).resolve().parent.parent / "notebooks" / "glossary.md"


GLOSSARY_TERMS = ["likelihood", "probability", "surprise", "entropy", "cross-entropy", "kl divergence",
                  "logit", "log-odds", "nats", "bits", "nll", "mle", "regularization", "softmax",
                  "log_softmax", "label smoothing", "temperature", "ignore_index", "proper scoring rule",
                  "log loss", "log-likelihood"]



def test_glossary_has_every_term_with_notation_and_a_lesson():
    text = GLOSSARY.read_text(encoding="utf-8")
    entries = dict(re.findall(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    assert {h.lower() for h in entries} >= set(GLOSSARY_TERMS)
    for heading, body in entries.items():
        for field in ("**Here:**", "**Elsewhere:**", "**Taught in:**"):
            assert body.count(field) == 1, f"{heading}: {field} appears {body.count(field)} times (once expected)"
        lines = [ln for ln in body.strip().splitlines() if ln.strip()]
        assert lines[-1].startswith("  ") or lines[-1].startswith("- **Taught in:**"), (
            f"{heading}: the entry ends with {lines[-1][:80]!r}, not its Taught in line (a merge leftover?)")
        assert re.search(r"\]\(\d\d_\w+\.ipynb\)", body), f"{heading}: links no notebook"


def test_glossary_links_resolve():
    text = GLOSSARY.read_text(encoding="utf-8")
    # JupyterLab's heading anchors keep the case and turn spaces into '-', as tools/nav.py assumes
    anchors = {h.replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, re.M)}
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, target
        else:
            assert (GLOSSARY.parent / target).exists(), target


def test_glossary_keeps_the_course_notation():
    text = GLOSSARY.read_text(encoding="utf-8")
    assert "H(p, q) = −Σ p log q" in text
    assert "H_p(q)" in text and "reverse" in text  # Olah's order is called out
    assert "D_KL(P‖Q)" in text and "self-information" in text and "ℓ(θ)" in text


def test_lessons_glossary_links_name_an_entry():
    """A lesson's link to glossary.md#Term lands on that term's heading (JupyterLab's anchor: spaces -> '-')."""
    text = GLOSSARY.read_text(encoding="utf-8")
    anchors = {h.replace(" ", "-") for h in re.findall(r"^## (.+)$", text, re.M)}
    missing = []
    for path in ALL:
        for i, cell in enumerate(cells(path)):
            if cell["cell_type"] == "markdown":
                for anchor in re.findall(r"glossary\.md#([^)\s]+)", "".join(cell["source"])):
                    if anchor not in anchors:
                        missing.append(f"{path.name} cell {i}: glossary.md#{anchor}")
    assert not missing, "links to glossary entries that do not exist:\n" + "\n".join(missing)
