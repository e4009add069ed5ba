"""Benchmarks: what a student waits for, and what an instructor waits for.

    python -m coursekit.bench                  # `make bench`: the table below, median of 3 runs
    python -m coursekit.bench --class 40       # grading a class of 40 submissions with 1 and 2 workers

Table: "Run-All" is *Restart kernel and run all* of each source notebook (a fresh kernel, every cell,
experiments included); "autograde" is the time ``coursekit.autograde`` takes for one student's complete
submission of the solutions (all four notebooks in one run, one per worker), and that notebook's share.

``--class N`` makes N submissions from the source notebooks, cycling through the assignments and
through three kinds of student: correct, partly wrong (one graded function raises), broken (not valid
JSON); it grades them with 1 and with 2 workers and reports both wall times, the speed-up, and
whether the grades are identical.
"""

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursekit import COURSE_ROOT, course
from coursekit.autograde import autograde
from coursekit.release import release


def run_all(path):
    """Execute a notebook in a fresh kernel; return (total seconds, seconds spent starting the kernel)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    return time.perf_counter() - start, started - start


def new_course(assignments):
    root = Path(tempfile.mkdtemp(prefix="bench-course-"))
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    for assignment in assignments:
        shutil.copytree(COURSE_ROOT / "notebooks" / assignment, root / "notebooks" / assignment)
    release(root, assignments)
    return root


def submit(root, student, assignment, nb=None, text=None):
    name = course.source_notebook(assignment).name
    folder = Path(root) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    if text is not None:
        (folder / name).write_text(text)
    else:
        nbformat.write(nb, folder / name)


def grade_complete_submission(assignments, jobs):
    """(wall seconds, {assignment: seconds}) to grade one student's four solutions."""
    root = new_course(assignments)
    try:
        for assignment in assignments:
            submit(
                root, "student", assignment, nbformat.read(course.source_notebook(assignment), as_version=4)
            )
        start = time.perf_counter()
        outcomes = autograde(root, assignments, jobs=jobs, stream=io.StringIO())
        wall = time.perf_counter() - start
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        return wall, {o.assignment: o.seconds for o in outcomes}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def partly_wrong(nb):
    """The source notebook with its first graded function raising instead of computing."""
    nb = nbformat.from_dict(nb)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = cell.source.replace(
        "### BEGIN SOLUTION\n", "### BEGIN SOLUTION\n    raise ValueError('not done yet')\n", 1
    )
    return nb


def class_benchmark(n, assignments):
    sources = {a: nbformat.read(course.source_notebook(a), as_version=4) for a in assignments}
    template = new_course(assignments)
    kinds = ("correct", "partly-wrong", "broken")
    for i in range(n):
        assignment, kind = assignments[i % len(assignments)], kinds[(i // len(assignments)) % len(kinds)]
        student = f"s{i // len(assignments):03d}-{kind}"
        if kind == "correct":
            submit(template, student, assignment, sources[assignment])
        elif kind == "partly-wrong":
            submit(template, student, assignment, partly_wrong(sources[assignment]))
        else:
            submit(template, student, assignment, text=json.dumps(sources[assignment])[:4000])
    results = {}
    for jobs in (1, 2):
        root = Path(tempfile.mkdtemp(prefix=f"bench-class-{jobs}-"))
        shutil.copytree(template, root, dirs_exist_ok=True)
        start = time.perf_counter()
        autograde(root, assignments, jobs=jobs, stream=io.StringIO())
        wall = time.perf_counter() - start
        results[jobs] = (wall, (root / "grades.csv").read_text(), _scores(root, assignments))
        shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(template, ignore_errors=True)
    (t1, _, g1), (t2, _, g2) = results[1], results[2]
    print(f"{n} submissions ({', '.join(kinds)}), {len(assignments)} assignments")
    print("| workers | wall time (s) | per submission (s) |")
    print("|---|---|---|")
    print(f"| 1 | {t1:.1f} | {t1 / n:.2f} |")
    print(f"| 2 | {t2:.1f} | {t2 / n:.2f} |")
    print(f"speed-up {t1 / t2:.2f}x; grades identical: {g1 == g2}")


def _scores(root, assignments):
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url(root)) as gradebook:
        return sorted(
            (a, s.student_id, g.name, g.score)
            for a in assignments
            for s in gradebook.find_assignment(a).submissions
            for nb in s.notebooks
            for g in nb.grades
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("-n", "--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument(
        "--class", dest="class_size", type=int, help="benchmark grading a class of N submissions"
    )
    args = parser.parse_args(argv)
    assignments = args.assignment or course.assignments()
    print(f"machine: {platform.machine()}, {cpu_name()}, Python {platform.python_version()}")
    if args.class_size:
        class_benchmark(args.class_size, assignments)
        return

    run_times, kernel_times = {a: [] for a in assignments}, {a: [] for a in assignments}
    walls, shares = [], {a: [] for a in assignments}
    for _ in range(args.runs):
        for assignment in assignments:
            total, kernel = run_all(course.source_notebook(assignment))
            run_times[assignment].append(total)
            kernel_times[assignment].append(kernel)
        wall, per = grade_complete_submission(assignments, jobs=2)
        walls.append(wall)
        for assignment, seconds in per.items():
            shares[assignment].append(seconds)
    median = statistics.median
    print(f"median of {args.runs} runs")
    print("| notebook | Run-All (s) | of which kernel start (s) | autograde, this notebook (s) |")
    print("|---|---|---|---|")
    for a in assignments:
        print(
            f"| {a} | {median(run_times[a]):.2f} | {median(kernel_times[a]):.2f} | {median(shares[a]):.2f} |"
        )
    print(f"| one complete submission, 2 workers | | | {median(walls):.2f} (wall) |")


def cpu_name():
    cores = f"{os.cpu_count()} cores"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {cores}"
    except OSError:
        pass
    return cores


if __name__ == "__main__":
    main()
