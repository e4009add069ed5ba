"""How long report.html takes to build for a class of N submissions (a benchmark, not a test).

    .venv/bin/python -m tests.benchmarks.bench_report 40 400      # `make bench-report`

A seed class is graded for real (tests/support/report_class.py: 45 submissions of Initialization and
Regularization with planted mistakes, broken and late ones). A class of N submissions is then made
from it without grading again: each new student copies a seed student's autograded notebook, and
their grades, timestamp and problems.csv / tamper_report.csv rows are recorded under the new id
through nbgrader's API. Timed: ``coursekit.report.write_report`` in a warm process (imports done;
median of 3; wall and CPU time), split into reading (gradebook and notebooks) and drawing (plots and
HTML), and a cold ``python -m coursekit report`` that pays for the imports too.
"""

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook

from coursekit.course import scripts_on_path
from coursekit.report import collect, render, write_report
from tests.support.report_class import build_class


def seeds(db_url):
    """[(assignment, student, timestamp, {(notebook, cell): (auto_score, manual_score)})] of the seed class."""
    found = []
    with Gradebook(db_url) as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                grades = {
                    (nb.name, g.name): (g.auto_score, g.manual_score)
                    for nb in submission.notebooks
                    for g in nb.grades
                }
                found.append((assignment.name, submission.student_id, submission.timestamp, grades))
    return sorted(found, key=lambda s: (s[1], s[0]))


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def grow(template, root, n, seed_list):
    """A copy of the seed course whose gradebook and autograded/ hold n synthetic submissions."""
    shutil.copytree(
        template, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "release")
    )
    csvs = {name: read_csv(template / name) for name in ("problems.csv", "tamper_report.csv")}
    out = {name: [] for name in csvs}
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(db_url) as gradebook:
        for old in list(gradebook.students):
            gradebook.remove_student(old.id)
        for i in range(n):
            assignment, seed, timestamp, grades = seed_list[i % len(seed_list)]
            student = f"student{i:04d}"
            gradebook.add_student(student)
            submission = gradebook.add_submission(assignment, student, timestamp=timestamp)
            for nb in submission.notebooks:
                for grade in nb.grades:
                    grade.auto_score, grade.manual_score = grades.get((nb.name, grade.name), (0.0, None))
                    grade.needs_manual_grade = False
            if i % 50 == 49:
                gradebook.db.commit()
            source = template / "autograded" / seed / assignment
            if source.is_dir():
                shutil.copytree(source, root / "autograded" / student / assignment)
            for name, rows in csvs.items():
                out[name] += [
                    dict(r, student=student)
                    for r in rows
                    if (r["student"], r["assignment"]) == (seed, assignment)
                ]
        gradebook.db.commit()
    for name, rows in out.items():
        with open(root / name, "w", newline="") as f:
            writer = csv.DictWriter(
                f, fieldnames=list(csvs[name][0]) if csvs[name] else ["student", "assignment"]
            )
            writer.writeheader()
            writer.writerows(rows)
    return db_url


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[40, 400], help="class sizes (submissions)")
    parser.add_argument("--seed-course", help="an already graded seed course (from an earlier --keep run)")
    parser.add_argument("--keep", action="store_true", help="keep the courses (their paths are printed)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    if args.seed_course:
        template = Path(args.seed_course)
    else:
        template = work / "seed"
        template.mkdir()
        print("grading the seed class (45 submissions) ...", flush=True)
        print(f"  graded in {build_class(template).seconds:.0f} s", flush=True)
    seed_list = seeds(f"sqlite:///{template / 'gradebook.db'}")
    print(
        "| submissions | read gradebook + notebooks (s) | plots + HTML (s) | write_report, warm (s) "
        "| of which CPU (s) | `python -m coursekit report`, cold (s) | page (kB) |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        root = work / f"class-{n}"
        db_url = grow(template, root, n, seed_list)
        reads, draws, totals, cpu = [], [], [], []
        for _ in range(3):
            seconds, reports = timed(collect, root, db_url)
            reads.append(seconds)
            seconds, _ = timed(render, reports)
            draws.append(seconds)
            start = time.process_time()
            seconds, path = timed(write_report, root, db_url)
            totals.append(seconds)
            cpu.append(time.process_time() - start)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "coursekit", "--root", str(root), "report"],
            check=True, capture_output=True, env=scripts_on_path(dict(os.environ)),
        )  # fmt: skip
        cold = time.perf_counter() - start
        print(
            f"| {n} | {statistics.median(reads):.2f} | {statistics.median(draws):.2f} | "
            f"{statistics.median(totals):.2f} | {statistics.median(cpu):.2f} | {cold:.1f} | "
            f"{path.stat().st_size / 1000:.0f} |",
            flush=True,
        )
    if args.keep:
        print(f"courses kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
