"""The nbgrader exchange end to end, with real, separate Unix users: an instructor and two students.

release_assignment -> fetch_assignment -> submit -> collect -> autograde -> release_feedback ->
fetch_feedback, each command run as its own user in its own home, with the repository's
nbgrader_config.py (instructor) and deploy/jupyter/student/nbgrader_config.py (students). ``.ci/run`` creates the
users; the test needs root to switch between them.
"""

import shutil
import sys

import nbformat
import pytest

from tests.support import REPO
from tests.support.course import mutate, mutations, points, scores, source_notebook
from tests.support.users import (
    ALICE,
    BOB,
    COURSE,
    GRADERS,
    INSTRUCTOR,
    as_user,
    make_exchange,
    nbgrader,
    python_as,
    write_as,
)

pytestmark = pytest.mark.system

ASSIGNMENT = "initialization"


@pytest.fixture(scope="module")
def exchange():
    ex = make_exchange()
    yield ex
    shutil.rmtree(ex["base"], ignore_errors=True)


@pytest.fixture(scope="module")
def round_trip(exchange):
    ex = exchange
    course = ex["course"]
    nbgrader(ex, INSTRUCTOR, "generate_assignment", ASSIGNMENT, cwd=course)
    nbgrader(ex, INSTRUCTOR, "release_assignment", ASSIGNMENT, cwd=course)
    # The README's one-time set-up: submissions inherit the graders' group (coursekit.plugins.PrivateSubmit).
    inbound = ex["root"] / COURSE / "inbound"
    as_user(ex, INSTRUCTOR, "chgrp", GRADERS, str(inbound))
    as_user(ex, INSTRUCTOR, "chmod", "2733", str(inbound))
    source = nbformat.read(source_notebook(ASSIGNMENT, REPO), as_version=4)
    name = source_notebook(ASSIGNMENT, REPO).name
    function = "initialize_parameters_he"
    work = {ALICE: source, BOB: mutate(source, function, *mutations(ASSIGNMENT)[function])}
    fetched = {}
    for student, nb in work.items():
        nbgrader(ex, student, "fetch_assignment", ASSIGNMENT)
        path = ex["homes"][student] / ASSIGNMENT / name
        fetched[student] = path.read_text()
        write_as(ex, student, path, nb)
        nbgrader(ex, student, "submit", ASSIGNMENT)
    nbgrader(ex, INSTRUCTOR, "collect", ASSIGNMENT, cwd=course)
    as_user(
        ex,
        INSTRUCTOR,
        sys.executable,
        "-m",
        "coursekit",
        "--root",
        str(course),
        "autograde",
        ASSIGNMENT,
        cwd=course,
    )
    nbgrader(ex, INSTRUCTOR, "release_feedback", ASSIGNMENT, cwd=course)
    for student in work:
        nbgrader(ex, student, "fetch_feedback", ASSIGNMENT)
    return ex, fetched, source, name


def test_students_fetch_the_release_without_solutions_or_hidden_tests(round_trip):
    _, fetched, _, _ = round_trip
    for text in fetched.values():
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
        assert "raise NotImplementedError()" in text


def test_instructor_grades_match(round_trip):
    ex, _, source, _ = round_trip
    full = points(source)
    alice = {k: s for k, (s, _) in scores(ex["course"], ASSIGNMENT, ALICE).items()}
    bob = {k: s for k, (s, _) in scores(ex["course"], ASSIGNMENT, BOB).items()}
    assert alice == full
    assert bob == dict(full, test_initialize_parameters_he=0)


def test_each_student_fetches_only_their_own_feedback(round_trip):
    ex, _, _, name = round_trip
    for student, expected in ((ALICE, "Score: 5.0 / 5.0"), (BOB, "Score: 3.0 / 5.0")):
        pages = list((ex["homes"][student] / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert [p.name for p in pages] == [name.replace(".ipynb", ".html")]
        assert expected in pages[0].read_text()
    bob_page = next((ex["homes"][BOB] / ASSIGNMENT / "feedback").glob("*/*.html")).read_text()
    assert "std(W1) is" in bob_page  # the failed check's message (W1's standard deviation) reaches bob


def test_students_cannot_read_each_other_or_the_hidden_tests(round_trip):
    ex, _, _, _ = round_trip
    inbound = ex["root"] / COURSE / "inbound"
    (alice_submission,) = [p for p in inbound.iterdir() if p.name.startswith(ALICE)]
    attempts = {
        "list the inbound submissions": f"import os; os.listdir({str(inbound)!r})",
        "list alice's submission": f"import os; os.listdir({str(alice_submission)!r})",
        "read alice's notebook": f"open({str(alice_submission / 'Initialization.ipynb')!r}).read()",
        "read the source notebooks": f"import os; os.listdir({str(ex['course'] / 'notebooks')!r})",
        "read alice's home": f"import os; os.listdir({str(ex['homes'][ALICE])!r})",
        "list the feedback": f"import os; os.listdir({str(ex['root'] / COURSE / 'feedback')!r})",
    }
    for what, code in attempts.items():
        result = python_as(ex, BOB, code)
        assert result.returncode != 0 and "PermissionError" in result.stderr, f"bob could {what}"
    # The control: the same code works for whoever may read it.
    assert python_as(ex, INSTRUCTOR, attempts["read the source notebooks"]).returncode == 0
