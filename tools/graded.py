"""Build the graded edition: an nbgrader course directory with one assignment per lesson.

`make assignments` (or `python -m tools.course assignments`) runs this. It reads three things
per lesson, never a hand-kept copy of it (the convention is in CONTRIBUTING.md, "Exercises
that can be graded"):

- the lesson `notebooks/NN_slug.ipynb`: the cell a learner edits is tagged `answer:<id>`, the
  cell whose last statement is the checker call is tagged `check:<id>` (often the same cell);
- its worked solutions `notebooks/solutions/NN_slug_solutions.ipynb`: the cell(s) tagged
  `solution:<id>`; their code, less any top-level `check_*(...)` call, run in the lesson's
  namespace right after the answer cell, make the lesson's check say "✓ correct";
- `grading/slug.toml`: one or two written "explain why" questions (graded by hand), with
  points and a model answer for graders, and optionally the points of each exercise.

and writes, for each lesson, `source/NN_slug/NN_slug.ipynb` (the instructor version: the
lesson with the solutions in nbgrader solution regions and a hidden test after each check),
then runs nbgrader's own `generate_assignment` to write `release/NN_slug/` (the student
version: solutions and hidden tests removed). The hidden test re-runs the lesson's own check
and asserts its Verdict, which is true only when the answer is correct.

    python -m tools.graded [--out build/graded] [--no-check] [lesson ...]

By default it then autogrades the instructor version of every lesson (the check: full marks
on every autograded exercise), which executes every lesson once (a few minutes).
"""
from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import shutil
import sys
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tools import nav, release

ROOT = Path(__file__).resolve().parent.parent
GRADING = ROOT / "grading"
DEFAULT_OUT = ROOT / "build" / "graded"
TAG = re.compile(r"^(answer|check|solution):([A-Za-z0-9._-]+)$")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_TESTS, END_TESTS = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
WRITTEN_STUB = "YOUR ANSWER HERE"
# What `generate_assignment` puts where a solution region was: nothing. The learner's cell then
# reads exactly as in the lesson (`answer = ...`, then the check), plus one blank line.
CONFIG = '''# nbgrader configuration of the loss-functions course's graded edition (tools/graded.py).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "loss-course"
c.ClearSolutions.code_stub = {{"python": ""}}
c.ClearSolutions.text_stub = "{stub}"
c.Execute.timeout = 600
c.Execute.kernel_name = "python3"
'''


class ConventionError(ValueError):
    """A lesson, its solutions or its grading file does not follow the exercise convention."""


@dataclass
class Written:
    id: str
    points: float
    question: str
    answer: str
    after: str | None = None


def grade_id_of(ex: str) -> str:
    """nbgrader's grade ids allow letters, digits, _ and - only: exercise 7.1 -> 7_1."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", ex)


@dataclass
class Exercise:
    id: str
    answer_cell: int
    check_cell: int
    check_call: str        # the source of the lesson's checker call
    solution: str          # code that solves it in the lesson's namespace
    points: float = 1.0
    check_setup: str = ""  # a separate check cell's lines before its call (cases, data)

    @property
    def gid(self) -> str:
        return grade_id_of(self.id)


@dataclass
class Plan:
    lesson: Path
    solutions: Path
    exercises: list[Exercise]
    written: list[Written]
    ungraded: dict[str, str] = field(default_factory=dict)

    @property
    def assignment(self) -> str:
        return self.lesson.stem

    @property
    def max_points(self) -> float:
        return sum(e.points for e in self.exercises) + sum(w.points for w in self.written)


# --- reading the convention ---------------------------------------------------------------------

def slug(path: Path) -> str:
    """The lesson's name without its number: 03_nll_and_cross_entropy -> nll_and_cross_entropy."""
    return re.sub(r"^\d\d_", "", path.stem).removesuffix("_solutions")


def grading_file(lesson: Path) -> Path:
    return GRADING / f"{slug(lesson)}.toml"


def solutions_of(lesson: Path) -> Path:
    return lesson.parent / "solutions" / f"{lesson.stem}_solutions.ipynb"


def cell_ids(cell, kind: str) -> list[str]:
    out = []
    for tag in cell.get("metadata", {}).get("tags", []):
        m = TAG.match(tag)
        if m and m.group(1) == kind:
            out.append(m.group(2))
    return out


def statements(source: str, where: str) -> tuple[list[ast.stmt], list[str]]:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ConventionError(f"{where}: not valid Python ({exc.msg}, line {exc.lineno})") from exc
    return tree.body, source.splitlines()


def is_check_call(stmt: ast.stmt) -> bool:
    """A top-level expression statement calling check_*(...) or module.check_*(...)."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name.startswith("check_")


def ends_with_check(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and is_check_call(body[-1])


def split_check(source: str, where: str) -> tuple[str, str]:
    """(everything before the last statement, the last statement), which must be a check call."""
    body, lines = statements(source, where)
    if not body or not is_check_call(body[-1]):
        raise ConventionError(f"{where}: the cell tagged check:<id> must end with the checker call, "
                              "e.g. `check_number(answer, ...)`")
    start = body[-1].lineno - 1
    return "\n".join(lines[:start]).rstrip("\n"), "\n".join(lines[start:])


def without_check_calls(source: str, where: str) -> str:
    """The solution cell's code less its top-level check_*(...) calls (the lesson runs those)."""
    body, lines = statements(source, where)
    drop = set()
    for stmt in body:
        if is_check_call(stmt):
            drop |= set(range(stmt.lineno - 1, stmt.end_lineno))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")


def read_grading(path: Path) -> dict:
    if not path.exists():
        raise ConventionError(f"missing {path.relative_to(ROOT)}: every lesson with exercises has a grading "
                              "file with one or two written questions (see CONTRIBUTING.md)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConventionError(f"{path.relative_to(ROOT)}: {exc}") from exc


def read_plan(lesson: Path) -> Plan:
    """Everything the graded edition needs from a lesson, its solutions and its grading file."""
    name = lesson.name
    nb = nav.read(lesson)
    solutions = solutions_of(lesson)
    if not solutions.exists():
        raise ConventionError(f"{name}: missing {solutions.relative_to(ROOT)}")
    sol = nav.read(solutions)
    grading = read_grading(grading_file(lesson))
    points = grading.get("points", {})
    ungraded = grading.get("ungraded", {})

    answers, checks, solved = {}, {}, {}
    for i, cell in enumerate(nb["cells"]):
        for kind, table in (("answer", answers), ("check", checks)):
            for ex in cell_ids(cell, kind):
                if cell["cell_type"] != "code":
                    raise ConventionError(f"{name} cell {i}: {kind}:{ex} must tag a code cell")
                if ex in table:
                    raise ConventionError(f"{name}: two cells tagged {kind}:{ex}")
                table[ex] = i
        if cell["cell_type"] == "code" and ends_with_check(cell["source"]) and not cell_ids(cell, "check"):
            raise ConventionError(f"{name} cell {i}: it ends with a checker call but has no check:<id> tag")
    for j, cell in enumerate(sol["cells"]):
        for ex in cell_ids(cell, "solution"):
            solved.setdefault(ex, []).append(j)
        if cell["cell_type"] == "code" and ends_with_check(cell["source"]) and not cell_ids(cell, "solution"):
            raise ConventionError(f"{solutions.name} cell {j}: it ends with a checker call but has no "
                                  "solution:<id> tag")

    if set(answers) != set(checks):
        raise ConventionError(f"{name}: answer ids {sorted(answers)} and check ids {sorted(checks)} differ")
    for ex in ungraded:
        if ex not in answers:
            raise ConventionError(f"{grading_file(lesson).name}: [ungraded] names {ex!r}, not an exercise of {name}")
    for ex in points:
        if ex not in answers:
            raise ConventionError(f"{grading_file(lesson).name}: [points] names {ex!r}, not an exercise of {name}")
    extra = set(solved) - set(answers)
    if extra:
        raise ConventionError(f"{solutions.name}: solution:{sorted(extra)[0]} matches no answer:<id> in {name}")

    exercises = []
    for ex, a in sorted(answers.items(), key=lambda kv: kv[1]):
        c = checks[ex]
        if c < a:
            raise ConventionError(f"{name}: check:{ex} (cell {c}) comes before answer:{ex} (cell {a})")
        if ex in ungraded:
            continue
        setup, call = split_check(nb["cells"][c]["source"], f"{name} cell {c}")
        if ex not in solved:
            raise ConventionError(f"{name}: exercise {ex} has no cell tagged solution:{ex} in {solutions.name}")
        code = "\n\n".join(without_check_calls(sol["cells"][j]["source"], f"{solutions.name} cell {j}")
                           for j in solved[ex])
        if not code.strip():
            raise ConventionError(f"{solutions.name}: solution:{ex} has no code besides the check")
        exercises.append(Exercise(ex, a, c, call, code, float(points.get(ex, 1)), setup if c != a else ""))

    written = []
    for q in grading.get("written", []):
        missing = {"id", "points", "question", "answer"} - set(q)
        if missing:
            raise ConventionError(f"{grading_file(lesson).name}: a [[written]] question lacks {sorted(missing)}")
        if q.get("after") and q["after"] not in answers:
            raise ConventionError(f"{grading_file(lesson).name}: written {q['id']!r} comes after unknown exercise {q['after']!r}")
        written.append(Written(q["id"], float(q["points"]), q["question"].strip(), q["answer"].strip(), q.get("after")))
    if exercises and not 1 <= len(written) <= 2:
        raise ConventionError(f"{grading_file(lesson).name}: one or two written questions, found {len(written)}")
    ids = [e.gid for e in exercises] + [grade_id_of(w.id) for w in written]
    if len(ids) != len(set(ids)):
        raise ConventionError(f"{name}: exercise and written-question ids must be unique, got {ids}")
    return Plan(lesson, solutions, exercises, written, dict(ungraded))


# --- writing the instructor (source) version ------------------------------------------------------

def nbgrader_meta(grade_id: str, *, solution: bool, grade: bool, locked: bool, points: float = 0,
                  cell_type: str = "code") -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    if grade or locked:
        meta["cell_type"] = cell_type
    return meta


def with_solution(scaffold: str, solution: str, check: str = "") -> str:
    parts = [scaffold.rstrip("\n")] if scaffold.strip() else []
    parts.append(f"{BEGIN_SOLUTION}\n{solution}\n{END_SOLUTION}")
    if check:
        parts.append(check)
    return "\n".join(parts)


def hidden_test(ex: Exercise) -> str:
    """The lesson's own check, asserted. A separate check cell's setup lines (test cases, data)
    run again first, so an edited copy of them cannot change what is checked."""
    points = f"{ex.points:g} point" + ("" if ex.points == 1 else "s")
    setup = f"{ex.check_setup.strip()}\n" if ex.check_setup.strip() else ""
    return (f"# Graded: exercise {ex.id} ({points}). The autograder runs the lesson's own check here.\n"
            f"{BEGIN_TESTS}\n"
            f"{setup}"
            "import warnings as _warnings\n"
            "from helpers.checks import Verdict as _Verdict\n"
            "with _warnings.catch_warnings():\n"
            "    _warnings.simplefilter('ignore')  # a warning (stderr) would cost the learner the points\n"
            f"    _verdict = {ex.check_call.strip()}\n"
            "assert isinstance(_verdict, _Verdict), 'the check must return a helpers.checks.Verdict'\n"
            f"assert _verdict, f'exercise {ex.id}: {{_verdict}}'\n"
            f"{END_TESTS}")


LESSON_LINK = re.compile(r"\[([^\]]+)\]\((?:\.\./)?\d\d_[A-Za-z0-9_]+\.ipynb(?:#[^)]*)?\)")
SOLUTION_LINK = re.compile(r"\[([^\]]+)\]\(solutions/[^)]+\)")


def graded_markdown(text: str) -> str:
    """Links that lead out of the assignment folder become plain text; no link to solutions."""
    text = SOLUTION_LINK.sub("(worked solutions are handed out after grading)", text)
    return LESSON_LINK.sub(r"\1", text)


def code_cell(source: str, meta: dict) -> dict:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = meta
    return cell


def md_cell(source: str, meta: dict | None = None) -> dict:
    cell = nbformat.v4.new_markdown_cell(source)
    if meta:
        cell.metadata["nbgrader"] = meta
    return cell


def intro(plan: Plan) -> str:
    auto = sum(e.points for e in plan.exercises)
    manual = sum(w.points for w in plan.written)
    lines = [f"**Graded edition** (course version {release.course_version()}). "
             f"{len(plan.exercises)} autograded exercises ({auto:g} points) and "
             f"{len(plan.written)} written question{'s' if len(plan.written) != 1 else ''} "
             f"({manual:g} points, graded by hand).",
             "",
             "Write your answers in the exercise cells, as in the lesson: the line under each exercise "
             "still gives practice feedback. Your grade comes from hidden tests that run the same checks "
             "again after you submit, and from your written answers. Run the whole notebook top to bottom "
             "(*Kernel → Restart Kernel and Run All Cells*) before you submit."]
    if plan.ungraded:
        lines += ["", "Not graded (practice only): exercise " + ", ".join(sorted(plan.ungraded)) + "."]
    return "\n".join(lines)


def source_notebook(plan: Plan):
    """The instructor version of one lesson, as an nbformat notebook."""
    nb = nbformat.read(plan.lesson, as_version=4)
    nb.metadata.pop("widgets", None)
    by_answer = {e.answer_cell: e for e in plan.exercises}
    by_check = {e.check_cell: e for e in plan.exercises}
    after_ex: dict[str, list[Written]] = {}
    for w in plan.written:
        after_ex.setdefault(w.after or (plan.exercises[-1].id if plan.exercises else ""), []).append(w)

    cells = []
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if "nav-top" in tags or "nav-bottom" in tags:
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.source = graded_markdown(cell.source)
        ex = by_answer.get(i)
        if ex:
            if ex.check_cell == i:
                scaffold, call = split_check(cell.source, plan.lesson.name)
                cell.source = with_solution(scaffold, ex.solution, call)
            else:
                cell.source = with_solution(cell.source, ex.solution)
            cell.metadata["nbgrader"] = nbgrader_meta(f"answer-{ex.gid}", solution=True, grade=False, locked=False)
        cells.append(cell)
        if i == 0:
            cells.append(md_cell(intro(plan), nbgrader_meta("graded-intro", solution=False, grade=False,
                                                           locked=True, cell_type="markdown")))
        ex = by_check.get(i)
        if ex:
            cells.append(code_cell(hidden_test(ex), nbgrader_meta(f"test-{ex.gid}", solution=False, grade=True,
                                                                  locked=True, points=ex.points)))
            for w in after_ex.get(ex.id, []):
                cells += written_cells(w)
    if not plan.exercises:
        for w in plan.written:
            cells += written_cells(w)
    nb.cells = cells
    return nb


def written_cells(w: Written) -> list:
    points = f"{w.points:g} point" + ("" if w.points == 1 else "s")
    question = md_cell(f"**Written question {w.id}** ({points}, graded by hand). {w.question}",
                       nbgrader_meta(f"written-{grade_id_of(w.id)}-question", solution=False, grade=False, locked=True,
                                     cell_type="markdown"))
    answer = md_cell(f"{BEGIN_SOLUTION}\n{w.answer}\n{END_SOLUTION}",
                     nbgrader_meta(f"written-{grade_id_of(w.id)}", solution=True, grade=True, locked=False,
                                   points=w.points, cell_type="markdown"))
    return [question, answer]


# --- the nbgrader course directory ----------------------------------------------------------------

def graded_lessons() -> list[Path]:
    """The lessons that have exercises (a cell tagged answer:<id>)."""
    return [p for p in nav.lesson_paths()
            if any(cell_ids(c, "answer") for c in nav.read(p)["cells"])]


def write_source(plans: list[Plan], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG.format(stub=WRITTEN_STUB), encoding="utf-8")
    for plan in plans:
        folder = out / "source" / plan.assignment
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        nbformat.write(source_notebook(plan), folder / plan.lesson.name)
        shutil.copy(nav.NOTEBOOKS / nav.GLOSSARY, folder / nav.GLOSSARY)


def api(out: Path):
    """nbgrader's own API on the course directory `out` (its config file included)."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader runs the `alembic` command of this environment when it creates a gradebook
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")

    config = PyFileConfigLoader("nbgrader_config.py", path=str(out)).load_config()
    config.merge(Config({"CourseDirectory": {"root": str(out)}}))
    return NbGraderAPI(config=config)


def _errors(log: str) -> str:
    """nbgrader's log, less its [INFO] lines."""
    return "\n".join(line for line in log.splitlines() if not line.startswith("[INFO]"))[-4000:]


def generate(out: Path, plan: Plan) -> None:
    result = api(out).generate_assignment(plan.assignment, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment {plan.assignment} failed:\n"
                           f"{_errors(result.get('log', ''))}\n{result.get('error', '')}")


# --- a student's copy, submitted and autograded ---------------------------------------------------

def filled_copy(out: Path, plan: Plan, *, solved=True, mistakes: dict[str, str] | None = None,
                written: bool = True):
    """A student's copy: the release notebook with answers written in.

    solved: True (every exercise), False (none: the blank release) or the ids of the exercises
    to answer with the instructor's solution; mistakes: exercise id -> code written in place of
    that exercise's solution; written: answer the written questions with the model answers.
    """
    release_nb = nbformat.read(out / "release" / plan.assignment / plan.lesson.name, as_version=4)
    source_nb = nbformat.read(out / "source" / plan.assignment / plan.lesson.name, as_version=4)
    source_by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells if "nbgrader" in c.metadata}
    wrong = {f"answer-{grade_id_of(k)}": v for k, v in (mistakes or {}).items()}
    solve = ({e.gid for e in plan.exercises} if solved is True else
             set() if solved is False else {grade_id_of(e) for e in solved})
    for cell in release_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        gid, full = meta["grade_id"], source_by_id[meta["grade_id"]]
        if gid in wrong:
            before, rest = full.split(BEGIN_SOLUTION)
            cell.source = before + wrong[gid] + "\n" + rest.split(END_SOLUTION)[1].lstrip("\n")
        elif cell.cell_type == "code" and gid.removeprefix("answer-") in solve:
            cell.source = full
        elif cell.cell_type == "markdown" and written:  # the model answer, as a learner would write it
            cell.source = full.replace(BEGIN_SOLUTION, "").replace(END_SOLUTION, "").strip()
    return release_nb


def autograde(out: Path, plan: Plan, student: str, notebook) -> dict:
    """Submit `notebook` as `student`, run nbgrader autograde, return the scores by grade id."""
    folder = out / "submitted" / student / plan.assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / plan.lesson.name)
    shutil.copy(nav.NOTEBOOKS / nav.GLOSSARY, folder / nav.GLOSSARY)
    grader = api(out)
    result = grader.autograde(plan.assignment, student, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader autograde {plan.assignment} {student} failed:\n"
                           f"{_errors(result.get('log', ''))}\n{result.get('error', '')}")
    with grader.gradebook as gb:
        sub = gb.find_submission_notebook(plan.lesson.stem, plan.assignment, student)
        return {g.name: {"score": g.score, "auto": g.auto_score, "max": g.max_score,
                         "manual": g.needs_manual_grade} for g in sub.grades}


def set_manual_grade(out: Path, plan: Plan, student: str, grade_id: str, score: float) -> float:
    """Grade a written answer as a teacher would in the formgrader; return the notebook's total."""
    with api(out).gradebook as gb:
        grade = gb.find_grade(grade_id, plan.lesson.stem, plan.assignment, student)
        grade.manual_score = score
        gb.db.commit()
        return gb.find_submission_notebook(plan.lesson.stem, plan.assignment, student).score


# --- command line ---------------------------------------------------------------------------------

def build(out: Path, lessons: list[Path] | None = None) -> list[Plan]:
    plans = [read_plan(p) for p in (lessons or graded_lessons())]
    write_source(plans, out)
    for plan in plans:
        generate(out, plan)
    return plans


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", type=Path, help="default: every lesson with exercises")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT.relative_to(ROOT)}")
    parser.add_argument("--no-check", action="store_true", help="do not autograde the instructor version")
    args = parser.parse_args(argv)
    # nbgrader 0.9.6's gradebook warns about its own session handling on every autograde
    warnings.filterwarnings("ignore", message="Object of type <Submitted")
    try:
        plans = build(args.out, [p.resolve() for p in args.lessons] or None)
    except ConventionError as exc:
        print(f"graded edition: {exc}", file=sys.stderr)
        return 1
    for plan in plans:
        print(f"{plan.assignment}: {len(plan.exercises)} autograded + {len(plan.written)} written, "
              f"{plan.max_points:g} points" + (f"; practice only: {', '.join(plan.ungraded)}" if plan.ungraded else ""))
    if not args.no_check:
        failed = 0
        for plan in plans:
            scores = autograde(args.out, plan, "instructor-check", filled_copy(args.out, plan))
            lost = [gid for gid, s in scores.items() if s["auto"] is not None and s["auto"] < s["max"]]
            failed += bool(lost)
            print(f"  check {plan.assignment}: " + (f"LOST POINTS on {lost}" if lost else "full marks on every autograded exercise"))
        shutil.rmtree(args.out / "submitted" / "instructor-check", ignore_errors=True)
        shutil.rmtree(args.out / "autograded" / "instructor-check", ignore_errors=True)
        if failed:
            return 1
    print(f"wrote {args.out}/: source/ (instructor version, with solutions), release/ (student version), "
          "nbgrader_config.py, gradebook.db")
    return 0


if __name__ == "__main__":
    sys.exit(main())
