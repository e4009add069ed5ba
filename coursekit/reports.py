"""The instructor's reports of a grading run, written into the course directory.

- ``grades.csv``: nbgrader's export (as ``nbgrader export``), one row per student and assignment;
- ``summary.csv``: per exercise (grade cell), the mean score and the share of students who lost points
  on it -- which idea the class missed;
- ``problems.csv``: the notebooks that could not be graded, by student, and why.

(``tamper_report.csv`` is ``coursekit.tamper``'s.)
"""

import csv
from pathlib import Path


def write_reports(root, assignments, problems, db_url):
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
        for assignment in assignments:
            graded = gradebook.find_assignment(assignment)
            scores = {}  # (notebook, grade cell) -> every student's score, in one pass
            for submission in graded.submissions:
                for nb in submission.notebooks:
                    for grade in nb.grades:
                        scores.setdefault((nb.name, grade.name), []).append(grade.score)
            for notebook in graded.notebooks:
                for cell in notebook.grade_cells:
                    got = scores.get((notebook.name, cell.name))
                    if got:
                        lost = sum(score < cell.max_score for score in got) / len(got)
                        mean = sum(got) / len(got)
                        writer.writerow(
                            [assignment, cell.name, cell.max_score, len(got), f"{mean:.3f}", f"{lost:.3f}"]
                        )
