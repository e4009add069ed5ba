"""The grading round trip of every assignment, with the commands an instructor runs.

For each assignment a temporary course is released and these submissions are autograded in one run:
the blank release as is, the source solutions, one submission per graded function with a realistic
mistake in that function only, and the extra correct variants and mistakes that
tests/notebooks/mutations/<assignment>.py lists.
"""

import csv

import nbformat
import pytest

from coursekit.autograde import autograde
from coursekit.course import assignments
from coursekit.plugins import starter_code
from coursekit.release import release, validate
from tests.support.course import (
    HIDDEN_REGION,
    SOLUTION_REGION,
    by_assignment,
    edit,
    make_course,
    mutate,
    mutations,
    nbgrader_meta,
    points,
    scores,
    solution_cells,
    source_notebook,
    submit,
    variants,
)

ASSIGNMENTS = assignments()


@pytest.fixture(scope="session", params=by_assignment(ASSIGNMENTS))
def graded(request, tmp_path_factory):
    """A released and autograded course for one assignment: (root, assignment, source notebook)."""
    assignment = request.param
    root = tmp_path_factory.mktemp(assignment)
    make_course(root)
    release(root, [assignment])
    source_path = source_notebook(assignment, root)
    source = nbformat.read(source_path, as_version=4)
    name = source_path.name
    submit(root, "blank", assignment, nbformat.read(root / "release" / assignment / name, as_version=4), name)
    submit(root, "solution", assignment, source, name)
    for function, (old, new) in mutations(assignment).items():
        submit(root, f"wrong-{function}", assignment, mutate(source, function, old, new), name)
    for student, function, edits, _ in variants(assignment):
        submit(root, student, assignment, edit(source, function, edits), name)
    autograde(root, [assignment])
    return root, assignment, source


def reported(root, student):
    """What the grading run reported for ``student`` in problems.csv: why a whole notebook scored 0."""
    with open(root / "problems.csv", newline="") as f:
        problems = [row["problem"] for row in csv.DictReader(f) if row["student"] == student]
    return f"problems.csv: {problems}" if problems else "problems.csv: nothing"


def test_every_graded_function_has_a_mutation(graded):
    _, assignment, source = graded
    functions = {nbgrader_meta(c)["grade_id"] for c in solution_cells(source)}
    assert set(mutations(assignment)) == functions


def test_source_solutions_validate(graded):
    root, assignment, _ = graded
    assert validate(source_notebook(assignment, root)) == {}


def test_every_test_fails_on_the_release(graded):
    root, assignment, _ = graded
    (release_path,) = (root / "release" / assignment).glob("*.ipynb")
    assert validate(release_path, invert=True) == {}


def test_release_holds_no_solution_or_hidden_test(graded):
    root, assignment, source = graded
    (release_path,) = (root / "release" / assignment).glob("*.ipynb")
    released = nbformat.read(release_path, as_version=4)
    text = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    outside = "\n".join(SOLUTION_REGION.sub("", HIDDEN_REGION.sub("", c.source)) for c in source.cells)
    # Starter code (coursekit.plugins.StarterCode, e.g. a function with planted bugs) is released on
    # purpose: its lines are shown, and shared lines of the solution are no leak; every other line still is.
    starter = {line.strip() for c in source.cells for line in (starter_code(c) or "").splitlines()}
    assert starter <= {line.strip() for line in text.splitlines()}, "the release shows the starter code"
    for cell in source.cells:
        for region in SOLUTION_REGION.findall(cell.source) + HIDDEN_REGION.findall(cell.source):
            for line in region.splitlines():
                # Lines that also appear outside the regions (e.g. a bare `parameters = {}`) prove nothing.
                if line.strip() and line.strip() not in outside and line.strip() not in starter:
                    assert line.strip() not in text, f"release leaks: {line.strip()}"
    assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code"), (
        "release must have no outputs"
    )


def total(grades):
    return sum(score for score, _ in grades.values())


def test_blank_release_scores_zero(graded):
    root, assignment, source = graded
    grades = scores(root, assignment, "blank")
    assert set(grades) == set(points(source))
    assert total(grades) == 0
    assert not any(manual for _, manual in grades.values())


def test_solutions_score_full_marks(graded):
    root, assignment, source = graded
    grades = scores(root, assignment, "solution")
    assert {k: score for k, (score, _) in grades.items()} == points(source), reported(root, "solution")


def test_one_wrong_exercise_loses_exactly_its_points(graded):
    root, assignment, source = graded
    expected_full = points(source)
    for function in mutations(assignment):
        grades = {k: score for k, (score, _) in scores(root, assignment, f"wrong-{function}").items()}
        expected = dict(expected_full, **{f"test_{function}": 0})
        assert grades == expected, f"a mistake in {function} only; {reported(root, f'wrong-{function}')}"


def test_correct_variants_pass_and_further_mistakes_fail(graded):
    root, assignment, source = graded
    expected_full = points(source)
    for student, function, _, loses in variants(assignment):
        grades = {k: score for k, (score, _) in scores(root, assignment, student).items()}
        expected = dict(expected_full, **{f"test_{function}": 0}) if loses else expected_full
        assert grades == expected, f"{student}; {reported(root, student)}"


def test_feedback_shows_messages_but_no_hidden_test_code(graded):
    root, assignment, source = graded
    # A line whose text the release shows too (e.g. an assertion message shared by a visible and a hidden
    # test) is no leak.
    shown = "\n".join(SOLUTION_REGION.sub("", HIDDEN_REGION.sub("", c.source)) for c in source.cells)
    hidden_lines = {
        line.strip()
        for cell in source.cells
        for region in HIDDEN_REGION.findall(cell.source)
        for line in region.splitlines()
        if line.strip() and line.strip() not in shown
    }
    for function in mutations(assignment):
        (html,) = (root / "feedback" / f"wrong-{function}" / assignment).glob("*.html")
        text = html.read_text()
        assert "AssertionError" in text, f"feedback of wrong-{function} should show the failed check"
        assert "HIDDEN TESTS" not in text
        leaked = [line for line in hidden_lines if line in text and len(line) > 20]
        assert not leaked, f"feedback of wrong-{function} shows hidden test code: {leaked[:3]}"


def test_grades_are_exported(graded):
    root, assignment, source = graded
    with open(root / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == assignment}
    assert float(rows["solution"]["score"]) == sum(points(source).values())
    assert float(rows["blank"]["score"]) == 0
