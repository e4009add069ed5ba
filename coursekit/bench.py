"""Benchmark: Run-All time of each source notebook and autograde time of one complete submission.

    python -m coursekit.bench                 # every notebook, median of 3 runs
    python -m coursekit.bench -n 5 initialization optimization

"Run-All" is what a student waits for after *Restart kernel and run all*: a fresh kernel, every cell
executed (experiments included). Autograde time is the wall time of ``nbgrader autograde`` for one
student's submission of the source solutions (kernel start and nbgrader's own start-up included),
per assignment and summed over the assignments.
"""

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursekit import COURSE_ROOT
from coursekit.grading import assignments, nbgrader, release


def source_notebook(assignment, root=COURSE_ROOT):
    (path,) = (Path(root) / "notebooks" / assignment).glob("*.ipynb")
    return path


def run_all(path):
    """Execute a notebook in a fresh kernel; return (total seconds, seconds spent starting the kernel)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    end = time.perf_counter()
    return end - start, started - start


def autograde_one(ids, root):
    """Seconds ``nbgrader autograde`` takes for one student's solutions, per assignment."""
    times = {}
    for assignment in ids:
        path = source_notebook(assignment, root)
        folder = Path(root) / "submitted" / "bench-student" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
        start = time.perf_counter()
        nbgrader("autograde", assignment, "--force", root=root)
        times[assignment] = time.perf_counter() - start
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("-n", "--runs", type=int, default=3, help="runs per measurement (median reported)")
    args = parser.parse_args(argv)
    ids = args.assignment or assignments()

    run_times, kernel_times, grade_times = {a: [] for a in ids}, {a: [] for a in ids}, {a: [] for a in ids}
    for _ in range(args.runs):
        for assignment in ids:
            total, kernel = run_all(source_notebook(assignment))
            run_times[assignment].append(total)
            kernel_times[assignment].append(kernel)
    with tempfile.TemporaryDirectory() as root:
        shutil.copy(COURSE_ROOT / "nbgrader_config.py", Path(root) / "nbgrader_config.py")
        shutil.copytree(COURSE_ROOT / "notebooks", Path(root) / "notebooks")
        release(root, ids)
        for _ in range(args.runs):
            for assignment, seconds in autograde_one(ids, root).items():
                grade_times[assignment].append(seconds)

    median = statistics.median
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
        f"median of {args.runs} runs"
    )
    print(f"| {'notebook':<18} | Run-All (s) | of which kernel start (s) | autograde one submission (s) |")
    print(f"|{'-' * 20}|-------------|---------------------------|------------------------------|")
    for a in ids:
        print(
            f"| {a:<18} | {median(run_times[a]):>11.2f} | {median(kernel_times[a]):>25.2f} | "
            f"{median(grade_times[a]):>28.2f} |"
        )
    total = sum(median(grade_times[a]) for a in ids)
    print(f"| {'all':<18} | {sum(median(run_times[a]) for a in ids):>11.2f} | {'':>25} | {total:>28.2f} |")


if __name__ == "__main__":
    main()
