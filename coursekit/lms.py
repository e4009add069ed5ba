"""Grades for learning-management systems, through nbgrader's own exporter mechanism.

    nbgrader export --exporter coursekit.lms.CanvasExportPlugin --LmsExportPlugin.roster=roster.csv
    nbgrader export --exporter coursekit.lms.MoodleExportPlugin --LmsExportPlugin.roster=roster.csv \\
        --to moodle_grades.csv --LmsExportPlugin.problems_to=export_problems.csv

(or ``make export-canvas ROSTER=roster.csv`` / ``make export-moodle ROSTER=roster.csv``).

Both exporters write one row per student of the **roster**, a CSV file with a ``student_id`` column
(the nbgrader student id) and the LMS's own identity columns; each assignment's score is the score
``nbgrader export`` gives (after the late penalty; 0 for a student of the gradebook who did not submit).
Nobody is dropped silently: a gradebook student missing from the roster (their grades cannot be
exported), a roster student missing from the gradebook (exported with empty cells, which both LMSs
read as "no grade": the LMS keeps what it has), and roster rows that are duplicated or carry no LMS
identity are logged as warnings (nbgrader prints them on stderr), kept in ``plugin.problems`` and
written to ``problems_to`` when it is set.

Canvas (Grades > Import, "How do I import grades in the Gradebook?"): the header ``Student, ID, SIS
User ID, SIS Login ID, Section, <one column per assignment>``, then a ``Points Possible`` row with each
assignment's points, then one row per student. Canvas finds the student by ``ID`` (its user id), else
``SIS User ID``, ``SIS Login ID`` or the name; an assignment column titled ``Name (1234)`` updates
Canvas assignment 1234, another title creates a new assignment (``assignment_titles``). The
roster can be Canvas's own gradebook export with a ``student_id`` column added (its ``Points
Possible`` row is skipped).

Moodle (Grades > Import > CSV file, "Grade import"): one identifier column, mapped in Moodle's import
form ("Map from" this column "to" ``useremail``, ``useridnumber``, ``username`` or ``userid``), and one
column per grade item, mapped to an existing grade item or imported as a new one; an empty cell is no
grade. ``identifier_column`` names the roster column to use (default ``Email address``, as in
Moodle's own grade export).
"""

import csv
from pathlib import Path

from nbgrader.plugins import ExportPlugin
from traitlets import Dict, Unicode

from coursekit.scores import course_order, read_submissions

#: The student columns of Canvas's gradebook import, in order.
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"


def number(value):
    """A score as the CSV shows it: no trailing zeros, no exponent for ordinary scores."""
    return f"{value:.10g}"


class LmsExportPlugin(ExportPlugin):
    """Base of the LMS exporters: roster, problems, and the scores to export."""

    roster = Unicode(
        "", help="CSV file mapping nbgrader student ids (column student_id) to the LMS's identity columns"
    ).tag(config=True)
    roster_id_column = Unicode("student_id", help="The roster column holding nbgrader student ids").tag(
        config=True
    )
    problems_to = Unicode(
        "", help="Also write the students that could not be matched to this CSV file (student, problem)"
    ).tag(config=True)
    assignment_titles = Dict(
        {}, help="nbgrader assignment id -> the LMS's column title (default: the assignment id)"
    ).tag(config=True)

    default_to = "grades.csv"

    def export(self, gradebook):
        self.problems = []
        if not self.roster:
            raise ValueError(f"{type(self).__name__} needs a roster: --LmsExportPlugin.roster=<file.csv>")
        dest = self.to or self.default_to
        roster = self.read_roster(self.roster)
        assignments = course_order(
            a.name for a in gradebook.assignments if not self.assignment or a.name in self.assignment
        )
        max_scores = {a.name: a.max_score for a in gradebook.assignments}
        students = {s.id for s in gradebook.students if not self.student or s.id in self.student}
        rows = self.match(roster, students, assignments, read_submissions(gradebook, assignments))
        titles = [self.assignment_titles.get(a, a) for a in assignments]
        with open(dest, "w", newline="", encoding="utf-8") as f:
            self.write(csv.writer(f), titles, [max_scores[a] for a in assignments], assignments, rows)
        self.log.info("Exported %d student(s) and %d assignment(s) to %s", len(rows), len(assignments), dest)
        if self.problems_to:
            with open(self.problems_to, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["student", "problem"])
                writer.writerows(self.problems)
        if self.problems:
            where = f"; see {self.problems_to}" if self.problems_to else ""
            self.log.warning(
                "%d problem(s) matching the gradebook and the roster%s", len(self.problems), where
            )

    def match(self, roster, students, assignments, submissions):
        """[(roster row, {assignment: score or None})] in roster order; unmatched students are problems."""
        for student in sorted(students):
            if student not in roster and student not in self.rejected:
                self.problem(student, "in the gradebook but not in the roster: grades not exported")
        rows = []
        for student, identity in roster.items():
            if self.student and student not in self.student:
                continue
            if student in students:  # nbgrader export's rule: no submission scores 0
                got = {a: submissions[a].get(student) for a in assignments}
                rows.append((identity, {a: s.final_score if s else 0.0 for a, s in got.items()}))
            else:
                self.problem(student, "in the roster but not in the gradebook: exported with empty grades")
                rows.append((identity, dict.fromkeys(assignments)))
        return rows

    def problem(self, student, message):
        self.problems.append((student, message))
        self.log.warning("%s: %s", student, message)

    def read_roster(self, path):
        """{nbgrader student id: the row's other columns}; duplicated and empty ids are problems."""
        if not Path(path).is_file():
            raise ValueError(f"roster {path} not found (a CSV file with a {self.roster_id_column} column)")
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            for column in self.required_columns():
                if column not in (reader.fieldnames or []):
                    raise ValueError(f"roster {path} has no {column!r} column")
            roster, self.rejected = {}, set()
            for row in reader:
                if self.skip_row(row):
                    continue
                student = (row.get(self.roster_id_column) or "").strip()
                if not student:
                    self.problem("", f"roster row without a {self.roster_id_column}: {dict(row)}")
                elif student in roster:
                    self.problem(student, "appears twice in the roster: the first row is used")
                elif not self.identified(row):
                    self.rejected.add(student)
                    self.problem(student, f"the roster row has no {self.identity_help}: grades not exported")
                else:
                    roster[student] = {k: (v or "").strip() for k, v in row.items() if k}
        return roster

    def required_columns(self):
        return [self.roster_id_column]

    def skip_row(self, row):
        """Canvas's gradebook export, which makes a handy roster, has a Points Possible row: not a student."""
        return CANVAS_POINTS_ROW in (row.get("Student") or "")

    def identified(self, row):
        raise NotImplementedError

    def write(self, writer, titles, max_scores, assignments, rows):
        raise NotImplementedError


class CanvasExportPlugin(LmsExportPlugin):
    """A CSV for Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, assignments.

    The roster's columns Student, ID, SIS User ID, SIS Login ID and Section are copied (a missing one
    stays empty); a row needs at least one of Student, ID, SIS User ID or SIS Login ID.
    """

    default_to = "canvas_grades.csv"
    identity_help = "Student, ID, SIS User ID or SIS Login ID"

    def identified(self, row):
        return any((row.get(c) or "").strip() for c in CANVAS_STUDENT_COLUMNS[:4])

    def write(self, writer, titles, max_scores, assignments, rows):
        writer.writerow(CANVAS_STUDENT_COLUMNS + titles)
        writer.writerow(
            [CANVAS_POINTS_ROW] + [""] * (len(CANVAS_STUDENT_COLUMNS) - 1) + [number(m) for m in max_scores]
        )
        for identity, scores in rows:
            writer.writerow(
                [identity.get(c, "") for c in CANVAS_STUDENT_COLUMNS]
                + ["" if scores[a] is None else number(scores[a]) for a in assignments]
            )


class MoodleExportPlugin(LmsExportPlugin):
    """A CSV for Moodle's grade import: one identifier column, one column per grade item."""

    default_to = "moodle_grades.csv"
    identifier_column = Unicode(
        "Email address",
        help="The roster column that identifies a student in Moodle (map it to useremail, useridnumber, "
        "username or userid in Moodle's import form); it heads the exported file's first column",
    ).tag(config=True)

    @property
    def identity_help(self):
        return repr(self.identifier_column)

    def required_columns(self):
        return [self.roster_id_column, self.identifier_column]

    def identified(self, row):
        return bool((row.get(self.identifier_column) or "").strip())

    def write(self, writer, titles, max_scores, assignments, rows):
        writer.writerow([self.identifier_column] + titles)
        for identity, scores in rows:
            writer.writerow(
                [identity[self.identifier_column]]
                + ["" if scores[a] is None else number(scores[a]) for a in assignments]
            )
