"""Grade a whole class: plan -> grade -> record -> report.

- **plan**: which submissions to grade (submitted/<student>/<assignment>/, optionally some students),
  and each one's deadline (due date and extension) from the course gradebook;
- **grade**: ``jobs`` worker processes, each a ``coursekit.workers.Grader`` that first runs the
  canary (the source solutions must get full marks there; a canary that passed before in an
  unchanged environment is not run again), then grades submissions -- each read as data, regular
  files only (``coursekit.submission``) -- and writes their feedback against a private scratch
  gradebook that holds the submission's deadline;
- **record**: this process alone writes each Outcome into the course gradebook
  (``coursekit.gradebook.record``), and only once every worker's canary has passed: a broken grading
  environment stops the run with ``CanaryFailed`` before the course gradebook is touched;
- **report**: grades.csv, summary.csv, problems.csv (``coursekit.tables``), tamper_report.csv
  (``coursekit.tamper``) and the class report, report.html (``coursekit.report``); and one line of
  progress per submission on ``stream``.

nbgrader grades one submission at a time; the same path runs with one worker, so a parallel run gives
the same grades as a sequential one.
"""

import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path

from coursekit import COURSE_ROOT, course, gradebook, tables, tamper, workers
from coursekit.kernel.sandbox import remove_private_folders
from coursekit.report import write_report
from coursekit.workers import CanaryFailed

__all__ = ["CanaryFailed", "autograde"]


def autograde(root=COURSE_ROOT, assignments=None, jobs=None, students=None, stream=sys.stdout):
    """Grade every submission of ``assignments`` (default: all) with ``jobs`` workers (default: a core each).

    ``students`` limits grading to those students (e.g. to regrade a resubmission). Returns the
    outcomes, one per submission, sorted by assignment and student. Raises ``CanaryFailed`` (and
    records nothing) when a worker's grading environment does not give a source solution full marks.
    """
    root = Path(root).resolve()
    start = time.perf_counter()
    assignments, tasks = plan(root, assignments, students)
    if not tasks:
        print("nothing submitted", file=stream)
        return []
    jobs = jobs or os.cpu_count() or 1
    with course.nbgrader_environment():
        outcomes, canaries = grade_and_record(root, assignments, tasks, jobs, stream)
        report(root, assignments, outcomes, stream)
    cached = sum(n for _, n in canaries.values())
    print(
        f"canary: every source solution got full marks in {len(canaries)} worker(s), "
        f"{sum(s for s, _ in canaries.values()):.1f} s in all ({len(assignments)} assignment(s) per worker"
        + (f"; {cached} passed before in this environment, not run again" if cached else "")
        + ")",
        file=stream,
    )
    problems = sum(len(o.explained) + len(o.refused) for o in outcomes)
    print(
        f"graded {len(tasks)} submissions in {time.perf_counter() - start:.1f} s with {jobs} worker(s); "
        f"{problems} problem(s) in problems.csv; grades.csv, summary.csv, tamper_report.csv and "
        "report.html written",
        file=stream,
    )
    return sorted(outcomes, key=lambda o: (o.assignment, o.student))


def plan(root, assignments=None, students=None):
    """(assignments with submissions, [(assignment, student)] to grade), in course order."""
    assignments = list(assignments or course.assignments(root))
    tasks = [
        (a, s)
        for a in assignments
        for s in course.submitted_students(a, root)
        if students is None or s in students
    ]
    return [a for a in assignments if any(t[0] == a for t in tasks)], tasks


def grade_and_record(root, assignments, tasks, jobs, stream):
    """Grade ``tasks`` in worker processes and record each Outcome; return (outcomes, canary seconds by worker)."""
    from nbgrader.api import Gradebook

    from coursekit.gradebook import Deadlines, read_deadlines

    db_url = course.gradebook_url(root)
    deadlines = Deadlines()  # a course without a gradebook yet has no due dates
    if not db_url.startswith("sqlite:///") or Path(db_url.removeprefix("sqlite:///")).exists():
        with Gradebook(db_url) as book:
            deadlines = read_deadlines(book)
    n_workers = min(jobs, len(tasks))
    progress, outcomes, canaries = Progress(len(tasks), stream), [], {}
    with (
        # The workers' scratch folders (scratch gradebooks, canaries, copies) live in one folder of ours.
        tempfile.TemporaryDirectory(prefix="autograde-") as scratch,
        ProcessPoolExecutor(
            n_workers, initializer=workers.init_worker, initargs=(str(root), assignments, db_url, scratch)
        ) as pool,
        ExitStack() as opened,
    ):
        course_gradebook, recorded = None, 0

        def record_waiting():
            nonlocal course_gradebook, recorded
            if course_gradebook is None:  # the first write of this run
                gradebook.ensure_assignments(course.nbgrader_api(root), assignments)
                course_gradebook = opened.enter_context(Gradebook(db_url))
            for outcome in outcomes[recorded:]:
                gradebook.record(course_gradebook, outcome)
            recorded = len(outcomes)

        futures = [pool.submit(workers.grade, a, s, deadlines.of(a, s)) for a, s in tasks]
        try:
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                progress.update(outcome)
                canaries[outcome.worker] = (outcome.canary_seconds, outcome.canaries_cached)
                # Nothing is recorded until every worker has shown that its canaries passed.
                if len(canaries) == n_workers:
                    record_waiting()
        except (CanaryFailed, KeyboardInterrupt) as error:
            # Stop now: queued submissions are dropped, the running ones (killed on a Ctrl-C) are not
            # recorded, and what was recorded stays; a rerun replaces scores, never adds them.
            if not isinstance(error, KeyboardInterrupt):
                pool.shutdown(wait=True, cancel_futures=True)
            else:
                stop_workers(pool)
                print(
                    f"interrupted: {recorded} of {len(tasks)} submissions graded and recorded; "
                    "the others were not graded (run autograde again to grade them all)",
                    file=stream,
                    flush=True,
                )
            raise
        record_waiting()  # all done: a worker that got no submission graded nothing
    return outcomes, canaries


def stop_workers(pool):
    """Stop ``pool`` at once: drop the queued submissions and kill its workers, with their kernels.

    A worker's notebook would otherwise run on to its end (nbclient, not the worker, gets a Ctrl-C), and
    a terminated worker keeps no promise to clean up; its kernels die with it (bwrap's
    --die-with-parent), its scratch folder goes with ``grade_and_record``'s, and the private folders of
    its sandboxes are removed here. The pool's workers are this process's only multiprocessing children
    while autograde runs.
    """
    pool.shutdown(wait=False, cancel_futures=True)
    for child in multiprocessing.active_children():
        child.kill()
        child.join()
        remove_private_folders(child.pid)


def report(root, assignments, outcomes, stream):
    """The reports of a run: grades.csv, summary.csv, problems.csv, tamper_report.csv and report.html."""
    for outcome in outcomes:
        if outcome.feedback_error:
            print(
                f"feedback for {outcome.student}/{outcome.assignment} failed: {outcome.feedback_error}",
                file=stream,
            )
    problems = [p for o in outcomes for p in o.explained + o.refused]
    db_url = course.gradebook_url(root)
    tables.write_tables(root, assignments, problems, db_url)
    tamper.scan_submissions(root, assignments, Path(root) / "tamper_report.csv")
    write_report(root, db_url)  # every assignment of the gradebook, with the CSVs just written


class Progress:
    """One line per graded submission: done/total, failures so far, ETA."""

    def __init__(self, total, stream=sys.stdout):
        self.total, self.done, self.failures, self.stream = total, 0, 0, stream
        self.start = time.perf_counter()

    def update(self, outcome):
        self.done += 1
        self.failures += not outcome.ok
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        reason = "; ".join(p.message for p in outcome.problems) or outcome.error
        status = "ok" if outcome.ok else f"FAILED: {reason}"
        print(
            f"[{self.done}/{self.total}] {outcome.student}/{outcome.assignment} {status} "
            f"({self.failures} failed so far, ETA {eta:.0f} s)",
            file=self.stream,
            flush=True,
        )
