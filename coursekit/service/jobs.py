"""What a grading worker runs: one submission in, as data; its result out, as data.

A worker process (on this machine or another) holds one ``coursekit.workers.Grader`` for its life:
the canary of each assignment once, then one job at a time, each in scratch folders of its own. The
course directory a worker grades with is ``COURSEKIT_COURSE_ROOT`` (the service sets it for its own
workers; ``python -m coursekit worker --root`` for others): its notebooks and nbgrader_config.py,
never the course's gradebook, which the worker has no use for.
"""

import os
import socket
from dataclasses import dataclass, field

from coursekit import COURSE_ROOT
from coursekit.workers import CanaryFailed, Outcome, process_grader

#: Environment variable naming the course directory a worker grades with.
ROOT_VARIABLE = "COURSEKIT_COURSE_ROOT"


@dataclass
class Job:
    """One submission to grade: who, what, and its files ({relative path: bytes})."""

    key: str  # the inbound folder's name
    student: str
    assignment: str
    files: dict = field(repr=False)


@dataclass
class JobResult:
    """A graded submission: its Outcome, feedback folder and graded notebooks ({name: bytes})."""

    key: str
    outcome: Outcome
    feedback: dict = field(repr=False)
    graded: dict = field(repr=False)
    worker: str  # host:pid of the process that graded it


def grader():
    """This process's Grader (its scratch gradebook is new, not the course's)."""
    return process_grader(os.environ.get(ROOT_VARIABLE, str(COURSE_ROOT)), "")


def grade(job):
    """Grade ``job`` in this process; return its JobResult. Raises CanaryFailed (see coursekit.workers)."""
    outcome, feedback, graded = grader().grade_files(job.assignment, job.student, job.files)
    return JobResult(job.key, outcome, feedback, graded, f"{socket.gethostname()}:{os.getpid()}")


def warm_up(assignments):
    """Run the canary of each of ``assignments`` in this worker process now, before any job needs it.

    A failed canary is not raised here: every job of that assignment raises it (Grader.check).
    Returns the seconds the canaries took.
    """
    for assignment in assignments:
        try:
            grader().check(assignment)
        except CanaryFailed:
            pass
    return grader().canary_seconds


def warm_up_plugin(assignments):
    """A dask WorkerPlugin that warms up every worker, those that join later included."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class WarmUp(WorkerPlugin):
        name = "coursekit-warm-up"

        def setup(self, worker):
            warm_up(assignments)

    return WarmUp()
