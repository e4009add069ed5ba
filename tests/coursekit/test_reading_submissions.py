"""make autograde reads submitted/ as data, and nbgrader collect copies as data (issue 22 item 7).

A student's link to the instructor's source notebook was copied by ``nbgrader collect`` (shutil.copytree
follows links, with the graders' rights) and graded as the solutions, full marks; a named pipe stopped the
collect. ``SafeCollect`` copies regular files only and writes what it left out; ``make autograde``
(``coursekit.workers.Grader.grade``) reads submitted/ through the same reader, never through a link, and
both say why on the student's page and in problems.csv.
"""

import os
import threading

import pytest

from coursekit import course
from coursekit.submission import REFUSED_FILE, refusals_in
from coursekit.workers import Grader
from tests.support.service import NAME

#: Collecting one hostile submission must finish well within this (it must never block).
COLLECT_PATIENCE_S = 60
ASSIGNMENT = "initialization"


@pytest.fixture
def root(template, tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "course"
    shutil.copytree(template, root)
    monkeypatch.setenv("NBGRADER_EXCHANGE_ROOT", str(tmp_path / "exchange"))
    return root


def solution_source(root):
    return course.source_notebook(ASSIGNMENT, root)


def test_collect_copies_files_not_links_and_says_what_it_left_out(root, tmp_path):
    inbound = tmp_path / "exchange" / "improving-dnn" / "inbound"
    folder = inbound / f"eve+{ASSIGNMENT}+2026-11-20 12:00:00.000000 UTC+x"
    folder.mkdir(parents=True)
    (folder / NAME).symlink_to(solution_source(root))
    os.mkfifo(folder / "notes.txt")
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    (folder / "submission_secret.txt").write_text("0" * 128)
    result = {}
    with course.nbgrader_environment():
        collecting = threading.Thread(
            target=lambda: result.update(course.nbgrader_api(root).collect(ASSIGNMENT)), daemon=True
        )
        collecting.start()
        collecting.join(COLLECT_PATIENCE_S)
    assert not collecting.is_alive(), "nbgrader collect blocked on the named pipe"
    assert result["success"], result
    submitted = root / "submitted" / "eve" / ASSIGNMENT
    assert not os.path.lexists(submitted / NAME), "the linked notebook is not collected"
    assert (submitted / "timestamp.txt").read_text().startswith("2026-11-20 12:00")
    refused = {r.path: r.reason for r in refusals_in((submitted / REFUSED_FILE).read_bytes())}
    assert refused == {
        NAME: "is a symbolic link: it was not followed (hand in the file itself)",
        "notes.txt": "is a named pipe, not a file: not read",
    }
    with course.nbgrader_environment():
        outcome = Grader(root, course.gradebook_url(root)).grade(ASSIGNMENT, "eve")
    assert [p.message for p in outcome.problems] == [
        f"{NAME} is a symbolic link: it was not followed (hand in the file itself)"
    ]
    assert [p.message for p in outcome.refused] == ["notes.txt is a named pipe, not a file: not read"]
    page = (root / "feedback" / "eve" / ASSIGNMENT / NAME.replace(".ipynb", ".html")).read_text()
    assert "is a symbolic link" in page and "BEGIN SOLUTION" not in page


def test_autograde_does_not_read_a_link_in_submitted(root):
    """As ``cp -a`` or rsync leave a student's link in submitted/: make autograde graded the solutions."""
    submitted = root / "submitted" / "eve" / ASSIGNMENT
    submitted.mkdir(parents=True)
    (submitted / NAME).symlink_to(solution_source(root))
    with course.nbgrader_environment():
        outcome = Grader(root, course.gradebook_url(root)).grade(ASSIGNMENT, "eve")
    assert not any(sum(s or 0 for s in nb.grades.values()) for nb in outcome.notebooks.values()), "no marks"
    assert "is a symbolic link" in outcome.problems[0].message
    graded = root / "autograded" / "eve" / ASSIGNMENT
    assert not (graded / NAME).exists() or "BEGIN SOLUTION" not in (graded / NAME).read_text()
