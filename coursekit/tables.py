"""The CSV tables of a grading run, written into the course directory (report.html is coursekit.report's).

- ``grades.csv``: nbgrader's export (as ``nbgrader export``), one row per student and assignment;
- ``summary.csv``: per exercise (grade cell), the mean score and the share of students who lost points
  on it -- which idea the class missed;
- ``problems.csv``: the notebooks that could not be graded, by student, and why.

(``tamper_report.csv`` is ``coursekit.tamper``'s, report.html ``coursekit.report``'s.)
"""

import csv
from pathlib import Path

from coursekit.scores import read_exercises


def write_tables(root, assignments, problems, db_url):
    """problems.csv from ``problems``; grades.csv and summary.csv from the gradebook ``db_url``."""
    from nbgrader.api import Gradebook

    root = Path(root)
    write_problems(root / "problems.csv", problems)
    with Gradebook(db_url) as gradebook:
        write_grades(root / "grades.csv", gradebook)
        write_summary(root / "summary.csv", gradebook, assignments)


def write_problems(path, problems):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "notebook", "problem"])
        for p in sorted(problems, key=lambda p: (p.student, p.assignment)):
            writer.writerow([p.student, p.assignment, p.notebook, p.message])


def write_grades(path, gradebook):
    from nbgrader.plugins import CsvExportPlugin

    CsvExportPlugin(to=str(path)).export(gradebook)


def write_summary(path, gradebook, assignments):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["assignment", "exercise", "points", "students", "mean_score", "share_lost_points"])
        for assignment, exercises in read_exercises(gradebook, assignments).items():
            for e in exercises:  # the numbers report.html shows
                writer.writerow(
                    [assignment, e.name, e.max_score, e.students, f"{e.mean:.3f}", f"{e.share_lost:.3f}"]
                )
