"""Grades for Canvas and Moodle through ``nbgrader export --exporter coursekit.lms...``.

Each file is read back the way the LMS documents its import and must give the gradebook's scores;
students missing from the roster or from the gradebook must be reported, never dropped silently.

Canvas ("How do I import grades in the Gradebook?", and its GradebookImporter): a header ``Student, ID,
SIS User ID, SIS Login ID, Section, <assignments>`` (the student columns end with Section), a row whose
first cell says ``Points Possible``, then one row per student, found by ID. Moodle ("Grade import",
gradeimport_csv): a header row, one column mapped to a user field (here the e-mail address), one column
per grade item; an empty cell is no grade, a grade above 100 (gradepointmax) is refused.
"""

import csv
import os
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook, MissingEntry

from coursekit.course import scripts_on_path
from coursekit.lms import CanvasExportPlugin, MoodleExportPlugin

pytestmark = pytest.mark.slow

LEFT_OUT = ["init-ok-3", "reg-ok-2"]  # graded, but missing from the roster
GHOST = "ghost-1"  # in the roster, never submitted anything
MOODLE_GRADEPOINTMAX = 100


def gradebook_scores(db_url):
    """{student: {assignment: the score nbgrader export gives}}, read through nbgrader's own API."""
    with Gradebook(db_url) as gradebook:
        assignments = [a.name for a in gradebook.assignments]
        scores = {}
        for student in gradebook.students:
            for assignment in assignments:
                try:
                    s = gradebook.find_submission(assignment, student.id)
                    score = max(0.0, s.score - s.late_submission_penalty)
                except MissingEntry:
                    score = 0.0
                scores.setdefault(student.id, {})[assignment] = score
        max_scores = {a.name: a.max_score for a in gradebook.assignments}
    return scores, max_scores


@pytest.fixture(scope="module")
def roster(graded_class, tmp_path_factory):
    """A Canvas gradebook export (Points Possible row included) with a student_id column added."""
    with Gradebook(graded_class.db_url) as gradebook:
        students = sorted(s.id for s in gradebook.students if s.id not in LEFT_OUT) + [GHOST]
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "student_id", "Email address"]
        )
        writer.writerow(["    Points Possible", "", "", "", "", "", ""])
        for i, student in enumerate(students):
            section = "Lab A" if i % 2 else "Lab B"
            writer.writerow(
                [
                    f"Last{i}, First{i}",
                    5000 + i,
                    f"U{i:04d}",
                    f"login{i}",
                    section,
                    student,
                    f"p{i}@uni.example",
                ]
            )
    with open(path, newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["student_id"]}
    return path, rows


def export(root, exporter, roster_path, to, problems):
    """Run ``nbgrader export`` with a coursekit exporter in the course directory; return its stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", f"--exporter=coursekit.lms.{exporter}",
         f"--LmsExportPlugin.roster={roster_path}", f"--to={to}", f"--LmsExportPlugin.problems_to={problems}"],
        cwd=root, env=scripts_on_path(dict(os.environ)), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def reported(problems_path):
    with open(problems_path, newline="") as f:
        return {row["student"]: row["problem"] for row in csv.DictReader(f)}


def assert_missing_reported(log, problems_path):
    problems = reported(problems_path)
    assert set(problems) == {*LEFT_OUT, GHOST}
    for student in LEFT_OUT:
        assert "not in the roster" in problems[student]
        assert f"{student}: in the gradebook but not in the roster" in log
    assert (
        "not in the gradebook" in problems[GHOST]
        and f"{GHOST}: in the roster but not in the gradebook" in log
    )


def read_canvas(path):
    """Read a file as Canvas's gradebook import does: (student columns, points, {Canvas ID: grades})."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert "Student" in header[0] and "ID" in header[1], "Canvas wants Student, ID first"
    assert "SIS User ID" in header[2] and "SIS Login ID" in header[3], "then SIS User ID, SIS Login ID"
    assert "Section" in header[4], "the student columns end with Section"
    titles = header[5:]
    points, grades = None, {}
    for row in rows[1:]:
        assert len(row) == len(header)
        if "Points Possible" in row[0]:
            points = {t: float(v) for t, v in zip(titles, row[5:])}
        else:
            grades[int(row[1])] = (row[:5], {t: float(v) if v else None for t, v in zip(titles, row[5:])})
    return header[:5], points, grades


def test_canvas_export_has_canvas_columns_and_the_gradebooks_scores(graded_class, roster, tmp_path):
    roster_path, identities = roster
    out, problems = tmp_path / "canvas.csv", tmp_path / "problems.csv"
    log = export(graded_class.root, "CanvasExportPlugin", roster_path, out, problems)
    columns, points, grades = read_canvas(out)
    assert columns == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    scores, max_scores = gradebook_scores(graded_class.db_url)
    assert points == {
        "initialization": max_scores["initialization"],
        "regularization": max_scores["regularization"],
    }
    with open(out, newline="") as f:
        assert next(csv.reader(f))[5:] == ["initialization", "regularization"]  # course order
    assert len(grades) == len(identities)
    for student, identity in identities.items():
        row, got = grades[int(identity["ID"])]
        assert row == [identity[c] for c in columns]
        if student == GHOST:
            assert got == {"initialization": None, "regularization": None}  # Canvas keeps what it has
        else:
            assert got == pytest.approx(scores[student]), student
    assert_missing_reported(log, problems)


def test_moodle_export_has_an_identifier_column_and_the_gradebooks_scores(graded_class, roster, tmp_path):
    roster_path, identities = roster
    out, problems = tmp_path / "moodle.csv", tmp_path / "problems.csv"
    log = export(graded_class.root, "MoodleExportPlugin", roster_path, out, problems)
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Email address", "initialization", "regularization"]
    by_email = {r["Email address"]: student for student, r in identities.items()}
    scores, _ = gradebook_scores(graded_class.db_url)
    assert len(rows) - 1 == len(identities)
    for row in rows[1:]:
        assert len(row) == 3 and row[0]
        values = [float(v) if v else None for v in row[1:]]
        student = by_email[row[0]]
        if student == GHOST:
            assert values == [None, None]
        else:
            assert values == pytest.approx(
                [scores[student]["initialization"], scores[student]["regularization"]]
            )
            assert all(0 <= v <= MOODLE_GRADEPOINTMAX for v in values)
    assert_missing_reported(log, problems)


def test_exporters_filter_assignments_and_refuse_a_roster_without_ids(graded_class, roster, tmp_path):
    roster_path, _ = roster
    with Gradebook(graded_class.db_url) as gradebook:
        plugin = MoodleExportPlugin(
            roster=str(roster_path), to=str(tmp_path / "m.csv"), assignment=["regularization"]
        )
        plugin.export(gradebook)
        with open(tmp_path / "m.csv", newline="") as f:
            assert next(csv.reader(f)) == ["Email address", "regularization"]
        bad = tmp_path / "bad.csv"
        bad.write_text("name,email\nAda,ada@uni.example\n")
        with pytest.raises(ValueError, match="student_id"):
            CanvasExportPlugin(roster=str(bad), to=str(tmp_path / "c.csv")).export(gradebook)
        with pytest.raises(ValueError, match="roster"):
            CanvasExportPlugin(to=str(tmp_path / "c.csv")).export(gradebook)
        with pytest.raises(ValueError, match="not found"):
            CanvasExportPlugin(roster=str(tmp_path / "nowhere.csv"), to=str(tmp_path / "c.csv")).export(
                gradebook
            )
        with pytest.raises(ValueError, match="'ID number'"):
            MoodleExportPlugin(roster=str(roster_path), identifier_column="ID number").export(gradebook)


def test_roster_rows_without_an_lms_identity_or_twice_are_reported(graded_class, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,Student,ID,SIS User ID,SIS Login ID,Section\n"
        "init-ok-1,,,,,Lab A\n"  # nothing Canvas could find the student by
        'init-ok-2,"Two, Init",12,,,Lab A\n'
        'init-ok-2,"Two, Init",13,,,Lab A\n'
    )
    with Gradebook(graded_class.db_url) as gradebook:
        plugin = CanvasExportPlugin(
            roster=str(roster), to=str(tmp_path / "c.csv"), student=["init-ok-1", "init-ok-2"]
        )
        plugin.export(gradebook)
    problems = dict(plugin.problems)
    assert set(problems) == {"init-ok-1", "init-ok-2"}
    assert "no Student, ID, SIS User ID or SIS Login ID" in problems["init-ok-1"]
    assert "twice" in problems["init-ok-2"]
    _, _, grades = read_canvas(tmp_path / "c.csv")
    assert list(grades) == [12]
