"""The graded (nbgrader) edition: every lesson follows the exercise convention, the generated
edition has the right structure, and nbgrader's own generate and autograde steps grade it.

Structure is checked for every lesson with nbgrader's preprocessors, in process (cheap). The
full round (nbgrader generate_assignment, then autograde of submitted copies, each executing
the lesson in a fresh kernel) runs on lessons 00 (solved, blank, one mistake) and 01 (one copy
mixing a mistake, a solved exercise and blank ones) only, to keep `make test` short; set
COURSE_GRADED_LESSONS=all to autograde a solved copy of every lesson too (`make assignments`
does that for the instructor's version).
"""
import copy
import os
import re

import nbformat
import pytest

from helpers.checks import Verdict
from tools import graded, nav

LESSONS = graded.graded_lessons()
EVERY = os.environ.get("COURSE_GRADED_LESSONS") == "all"
ROUND = LESSONS if EVERY else LESSONS[:2]
SOLVED = ROUND if EVERY else ROUND[:1]  # lesson 01's solution is also graded in the mixed copy below


# --- the convention, for every lesson ---------------------------------------------------------------

def test_every_lesson_with_check_yourself_has_graded_exercises():
    for path in nav.lesson_paths():
        text = "".join("".join(c["source"]) for c in nav.read(path)["cells"])
        if "Check yourself" in text:
            assert path in LESSONS, f"{path.name}: exercises without answer:<id> / check:<id> tags (CONTRIBUTING.md)"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_lesson_follows_the_exercise_convention(lesson):
    plan = graded.read_plan(lesson)  # raises ConventionError, which says what is wrong
    assert plan.exercises, f"{lesson.name}: no graded exercise"
    assert 1 <= len(plan.written) <= 2
    assert all(w.points > 0 and w.question and w.answer for w in plan.written)
    assert all(e.points > 0 for e in plan.exercises)


def test_every_grading_file_belongs_to_a_lesson():
    slugs = {graded.slug(p) for p in nav.lesson_paths()}
    for path in graded.GRADING.glob("*.toml"):
        assert path.stem in slugs, f"{path.name} matches no lesson (renamed? its slug is the notebook name without NN_)"


# --- the convention's error messages -------------------------------------------------------------

def _lesson(tmp_path, lesson_cells, solution_cells, toml):
    folder = tmp_path / "notebooks"
    (folder / "solutions").mkdir(parents=True)
    lesson = folder / "42_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=lesson_cells), lesson)
    nbformat.write(nbformat.v4.new_notebook(cells=solution_cells), folder / "solutions" / "42_demo_solutions.ipynb")
    (tmp_path / "grading").mkdir()
    (tmp_path / "grading" / "demo.toml").write_text(toml)
    return lesson


def _code(source, *tags):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


WRITTEN = '[[written]]\nid = "w1"\npoints = 2\nquestion = "Why?"\nanswer = "Because."\n'


@pytest.mark.parametrize("lesson_cells,solution_cells,toml,message", [
    ([_code("answer = ...\ncheck_number(answer, 1.0)")], [_code("answer = 1.0")], WRITTEN,
     "no check:<id> tag"),
    ([_code("answer = ...\ncheck_number(answer, 1.0)", "answer:a", "check:a")], [_code("answer = 1.0")], WRITTEN,
     "no cell tagged solution:a"),
    ([_code("answer = ...", "answer:a"), _code("print(answer)", "check:a")],
     [_code("answer = 1.0", "solution:a")], WRITTEN, "must end with the checker call"),
    ([_code("answer = ...\ncheck_number(answer, 1.0)", "answer:a", "check:a")],
     [_code("answer = 1.0\ncheck_number(answer, 1.0)")], WRITTEN, "no solution:<id> tag"),
    ([_code("answer = ...\ncheck_number(answer, 1.0)", "answer:a", "check:a")],
     [_code("answer = 1.0", "solution:a")], "", "one or two written questions, found 0"),
    ([_code("answer = ...\ncheck_number(answer, 1.0)", "answer:a", "check:b")],
     [_code("answer = 1.0", "solution:a")], WRITTEN, "differ"),
])
def test_a_broken_convention_is_reported_with_what_to_fix(tmp_path, monkeypatch, lesson_cells, solution_cells,
                                                           toml, message):
    monkeypatch.setattr(graded, "GRADING", tmp_path / "grading")
    monkeypatch.setattr(graded, "ROOT", tmp_path)
    lesson = _lesson(tmp_path, lesson_cells, solution_cells, toml)
    with pytest.raises(graded.ConventionError, match=re.escape(message)):
        graded.read_plan(lesson)


def test_solution_code_drops_only_top_level_check_calls():
    code = "x = 1\nfor s in slips:\n    print(check_a(s))\ncheck_b(x)\nlk.check_c(x, y=2)\nprint(x)"
    assert graded.without_check_calls(code, "cell") == "x = 1\nfor s in slips:\n    print(check_a(s))\nprint(x)"


# --- the generated edition's structure, for every lesson (nbgrader's preprocessors, no kernel) ---------

def release_of(source):
    """What nbgrader generate_assignment makes of a source notebook, with the course's config."""
    from nbgrader.nbgraderformat import MetadataValidator
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    from traitlets.config import Config

    nb = copy.deepcopy(source)
    MetadataValidator().validate_nb(nb)
    config = Config({"ClearSolutions": {"code_stub": {"python": ""}, "text_stub": graded.WRITTEN_STUB}})
    nb, res = ClearSolutions(config=config).preprocess(nb, {})
    nb, res = ClearHiddenTests(config=config).preprocess(nb, res)
    return nb


def nonblank(text):
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_generated_edition_structure(lesson):
    plan = graded.read_plan(lesson)
    source = graded.source_notebook(plan)
    original = nbformat.read(lesson, as_version=4).cells
    release = release_of(source)
    meta = [c.metadata.get("nbgrader", {}) for c in release.cells]
    by_id = {m["grade_id"]: (i, c) for i, (m, c) in enumerate(zip(meta, release.cells)) if m}
    for ex in plan.exercises:
        a, answer = by_id[f"answer-{ex.gid}"]
        t, test = by_id[f"test-{ex.gid}"]
        assert a < t, f"exercise {ex.id}: its test comes after its answer"
        assert meta[a]["solution"] and not meta[a]["grade"]
        assert meta[t]["grade"] and meta[t]["locked"] and meta[t]["points"] == ex.points
        # the learner sees the lesson's own cell, nothing of the solution
        assert nonblank(answer.source) == nonblank(original[ex.answer_cell].source), f"exercise {ex.id}"
        # the hidden test is gone from the release, and asserts the lesson's check in the source
        assert nonblank(test.source) == [test.source.splitlines()[0]] and test.source.startswith("# Graded")
        src_test = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"test-{ex.gid}")
        assert ex.check_call.strip() in src_test and "assert _verdict" in src_test
    for w in plan.written:
        _, answer = by_id[f"written-{graded.grade_id_of(w.id)}"]
        assert answer.cell_type == "markdown" and answer.source == graded.WRITTEN_STUB
        assert meta[by_id[f"written-{graded.grade_id_of(w.id)}"][0]]["points"] == w.points
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text
    lesson_lines = {line.strip() for line in nonblank("\n".join(c.source for c in original))}
    release_lines = {line.strip() for line in nonblank(text)}
    for ex in plan.exercises:  # no line that only the solution has
        leaked = {line.strip() for line in nonblank(ex.solution)} - lesson_lines
        assert leaked and not leaked & release_lines, f"exercise {ex.id}: solution lines in the release: {leaked & release_lines}"
    for w in plan.written:
        assert w.answer not in text
    assert "solutions/" not in text, "no link to the worked solutions"
    assert not any("nav-top" in c.metadata.get("tags", []) for c in release.cells)


# --- the full round with nbgrader's own steps: generate, then autograde submitted copies --------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    plans = graded.build(out, ROUND)  # writes source/, runs nbgrader generate_assignment
    return out, {p.lesson: p for p in plans}


def points(scores, prefix=""):
    return sum(s["auto"] or 0 for gid, s in scores.items() if gid.startswith(prefix))


@pytest.mark.parametrize("lesson", ROUND, ids=lambda p: p.name)
def test_release_was_written_by_nbgrader_without_solutions(course, lesson):
    out, plans = course
    plan = plans[lesson]
    release = out / "release" / plan.assignment / lesson.name
    text = release.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "_verdict" not in text
    assert (out / "release" / plan.assignment / "glossary.md").exists()
    assert "_verdict" in (out / "source" / plan.assignment / lesson.name).read_text(encoding="utf-8")


@pytest.mark.parametrize("lesson", SOLVED, ids=lambda p: p.name)
def test_a_solved_copy_scores_full_marks(course, lesson):
    out, plans = course
    plan = plans[lesson]
    scores = graded.autograde(out, plan, "solved", graded.filled_copy(out, plan))
    for ex in plan.exercises:
        s = scores[f"test-{ex.gid}"]
        assert s["auto"] == s["max"] == ex.points, f"exercise {ex.id}: {s}"
    written = [graded.grade_id_of(f"written-{w.id}") for w in plan.written]
    assert all(scores[w]["manual"] and scores[w]["auto"] is None for w in written), "written answers wait for a teacher"
    total = None
    for w, q in zip(written, plan.written):  # the teacher grades them in the formgrader
        total = graded.set_manual_grade(out, plan, "solved", w, q.points)
    assert total == plan.max_points


@pytest.mark.parametrize("lesson", ROUND[:1], ids=lambda p: p.name)
def test_a_blank_copy_scores_zero(course, lesson):
    out, plans = course
    plan = plans[lesson]
    scores = graded.autograde(out, plan, "blank", graded.filled_copy(out, plan, solved=False, written=False))
    assert {gid: s["auto"] for gid, s in scores.items()} == {gid: 0 for gid in scores}
    assert not any(s["manual"] for s in scores.values()), "an unanswered written question is 0, not 'to grade'"


# A typical mistake per lesson in the round: (exercise, the wrong answer a learner writes).
MISTAKES = {
    "start_here": ("a", "answer = -math.log(1 / 8)   # in nats: the question asks for bits"),
    "log_softmax_and_shapes": ("a", "answer = (3, 4)   # dropped the first dimension instead of the last"),
}


@pytest.mark.parametrize("lesson", ROUND[:1], ids=lambda p: p.name)
def test_a_typical_mistake_loses_exactly_that_exercises_points(course, lesson):
    out, plans = course
    plan = plans[lesson]
    assert graded.slug(lesson) in MISTAKES, f"add a typical mistake for {lesson.name} to MISTAKES"
    ex_id, wrong = MISTAKES[graded.slug(lesson)]
    scores = graded.autograde(out, plan, "mistake", graded.filled_copy(out, plan, mistakes={ex_id: wrong}))
    lost = {gid: s["max"] - s["auto"] for gid, s in scores.items() if s["auto"] is not None and s["auto"] < s["max"]}
    ex = next(e for e in plan.exercises if e.id == ex_id)
    assert lost == {f"test-{ex.gid}": ex.points}


@pytest.mark.parametrize("lesson", ROUND[1:2], ids=lambda p: p.name)
def test_each_exercise_is_graded_on_its_own(course, lesson):
    """One copy: a mistake in the first exercise, the second solved, the rest blank."""
    out, plans = course
    plan = plans[lesson]
    first, second, *rest = plan.exercises
    ex_id, wrong = MISTAKES[graded.slug(lesson)]
    assert ex_id == first.id
    copy = graded.filled_copy(out, plan, solved=[second.id], mistakes={first.id: wrong}, written=False)
    scores = graded.autograde(out, plan, "mixed", copy)
    assert scores[f"test-{first.gid}"]["auto"] == 0
    assert scores[f"test-{second.gid}"]["auto"] == second.points
    assert all(scores[f"test-{e.gid}"]["auto"] == 0 for e in rest)


def test_hidden_tests_are_verdicts_that_are_true_only_when_correct():
    from helpers.checks import check_number
    assert check_number(3.0, 3.0) and isinstance(check_number(3.0, 3.0), Verdict)
    assert not check_number(2.0794, 3.0) and not check_number(..., 3.0)
