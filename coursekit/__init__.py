"""Instructor and maintainer tooling for the course: release, autograde, feedback and benchmarks.

Students never need this package; their notebooks import ``helpers`` only.

A submission's way through grading, one module per stage (``python -m coursekit autograde``):

    course.py      the course directory: assignments, source and submitted notebooks, nbgrader's
                   configuration and API, the gradebook's URL
    release.py     release/<assignment>/ for students; validate a notebook
    autograde.py   a class, top level only: plan -> grade (workers) -> record (gradebook) -> report
    precheck.py    the checks before grading: missing, renamed or unreadable notebooks (Problem)
    workers.py     one grading process: the canary first, then one submission at a time -> Outcome
    kernel/        how untrusted code runs: execute.py (nbgrader's Execute, hardened), sandbox.py
                   (bubblewrap: namespaces, allow-listed files and environment, bounded resources),
                   guard.py (the tamper guard inside the kernel)
    inert.py       what a grading kernel printed, made safe to show: the step right after execution
    gradebook.py   the course gradebook's single writer: record one Outcome
    feedback.py    what a student gets back: nbgrader's feedback page, or why a notebook was not graded
    tables.py      grades.csv, summary.csv, problems.csv
    tamper.py      the static scan of submissions: tamper_report.csv
    report.py      the class report, report.html, from the gradebook (scores.py: its one-query reads)
    lms.py         grades for Canvas and Moodle, as nbgrader exporters
    plugins.py     the nbgrader extension points that nbgrader_config.py puts into nbgrader's pipelines
    bench.py       benchmarks (make bench)
    service/       grades on submit (``python -m coursekit serve``): the same workers and gradebook
                   writer behind a task queue, one job per submission (see its ``__init__``)

Importing any of them changes nothing in the process (no PATH, no warning filters): what nbgrader
needs of the process is set up where a command starts (``course.nbgrader_environment``).
"""

from pathlib import Path

#: The course directory (the repository root): nbgrader_config.py, notebooks/, release/, ...
COURSE_ROOT = Path(__file__).resolve().parent.parent
#: Assignment ids, one per folder of notebooks/.
ASSIGNMENTS = (
    "initialization",
    "regularization",
    "gradient_checking",
    "optimization",
    "hyperparameter_tuning",
)


__all__ = ["ASSIGNMENTS", "COURSE_ROOT"]
