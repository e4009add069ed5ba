"""Grading a class: parallel workers give the sequential grades, on SQLite and on PostgreSQL."""

import csv
import io
import re
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.autograde import autograde
from coursekit.course import assignments
from coursekit.release import release
from tests.support.course import (
    make_course,
    mutate,
    mutations,
    nbgrader_meta,
    points,
    solution_cells,
    source_notebook,
    submit,
)
from tests.support.postgres import postgres_server

pytestmark = pytest.mark.slow

ASSIGNMENTS = assignments()


def all_grades(db_url, ids):
    """{(assignment, student, grade id): score} of a whole gradebook."""
    with Gradebook(db_url) as gradebook:
        return {
            (assignment, submission.student_id, grade.name): grade.score
            for assignment in ids
            for submission in gradebook.find_assignment(assignment).submissions
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


@pytest.fixture(scope="module")
def class_course(tmp_path_factory):
    """Two students per assignment: the solutions, and a mistake in the first graded function."""
    template = tmp_path_factory.mktemp("class")
    make_course(template)
    release(template, ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        path = source_notebook(assignment, template)
        source = nbformat.read(path, as_version=4)
        first = nbgrader_meta(solution_cells(source)[0])["grade_id"]
        old, new = mutations(assignment)[first]
        submit(template, "ada", assignment, source, path.name)
        submit(template, "bob", assignment, mutate(source, first, old, new), path.name)
    return template


def copy_course(template, tmp_path, name, db_url=None):
    root = tmp_path / name
    shutil.copytree(template, root)
    if db_url:
        (root / "gradebook.db").unlink()  # the release step made one; it must not come back
        with open(root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    return root


@pytest.fixture(scope="module")
def sequential(class_course, tmp_path_factory):
    root = copy_course(class_course, tmp_path_factory.mktemp("seq"), "course")
    stream = io.StringIO()
    autograde(root, ASSIGNMENTS, jobs=1, stream=stream)
    return root, all_grades(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENTS), stream.getvalue()


def test_sequential_grades_are_right(sequential):
    root, grades, _ = sequential
    for assignment in ASSIGNMENTS:
        source = nbformat.read(source_notebook(assignment, root), as_version=4)
        first = nbgrader_meta(solution_cells(source)[0])["grade_id"]
        for grade_id, full in points(source).items():
            assert grades[(assignment, "ada", grade_id)] == full
            assert grades[(assignment, "bob", grade_id)] == (0 if grade_id == f"test_{first}" else full)


def test_progress_reports_done_total_failures_and_eta(sequential):
    _, _, output = sequential
    total = 2 * len(ASSIGNMENTS)
    lines = [line for line in output.splitlines() if line.startswith("[")]
    assert len(lines) == total
    assert re.match(rf"\[{total}/{total}\] \S+ ok \(0 failed so far, ETA 0 s\)", lines[-1])


def test_summary_shows_which_exercise_the_class_missed(sequential):
    root, _, _ = sequential
    with open(root / "summary.csv", newline="") as f:
        rows = {(r["assignment"], r["exercise"]): r for r in csv.DictReader(f)}
    for assignment in ASSIGNMENTS:
        source = nbformat.read(source_notebook(assignment, root), as_version=4)
        first = nbgrader_meta(solution_cells(source)[0])["grade_id"]
        for grade_id, full in points(source).items():
            row = rows[(assignment, grade_id)]
            missed = grade_id == f"test_{first}"
            assert float(row["share_lost_points"]) == (0.5 if missed else 0.0)
            assert float(row["mean_score"]) == pytest.approx(full / 2 if missed else full)
            assert int(row["students"]) == 2


def test_two_workers_give_the_sequential_grades(class_course, sequential, tmp_path):
    root = copy_course(class_course, tmp_path, "parallel")
    autograde(root, ASSIGNMENTS, jobs=2, stream=io.StringIO())
    assert all_grades(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENTS) == sequential[1]


@pytest.mark.system
def test_postgresql_gradebook_with_two_workers(class_course, sequential, tmp_path):
    with postgres_server() as db_url:
        root = copy_course(class_course, tmp_path, "postgres", db_url=db_url)
        autograde(root, ASSIGNMENTS, jobs=2, stream=io.StringIO())
        assert not (root / "gradebook.db").exists(), "the SQLite gradebook must not be used"
        assert all_grades(db_url, ASSIGNMENTS) == sequential[1]
        # Grading again replaces the scores: nothing is double counted.
        autograde(root, ASSIGNMENTS, jobs=2, stream=io.StringIO())
        assert all_grades(db_url, ASSIGNMENTS) == sequential[1]
        with Gradebook(db_url) as gradebook:
            assert sorted(s.id for s in gradebook.students) == ["ada", "bob"]
            for assignment in ASSIGNMENTS:
                assert len(gradebook.find_assignment(assignment).submissions) == 2
