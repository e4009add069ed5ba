"""What a grading worker runs: one submission in, as data; its result out, as data.

A worker process (on this machine or another) holds one ``coursekit.workers.Grader`` for its life:
the canary of each assignment once (or none: a canary that passed before in an unchanged
environment is not run again, ``coursekit.workers.CanaryCache``), then one job at a time, each in
scratch folders of its own. The course directory a worker grades with is ``COURSEKIT_COURSE_ROOT``
(the service sets it for its own workers; ``python -m coursekit worker --root`` for others): its
notebooks and nbgrader_config.py, never the course's gradebook, which the worker has no use for: a
job carries the submission's deadline (due date and extension), which the worker puts into its
scratch gradebook so that nbgrader's late penalty is the course's.
"""

import os
import socket
import threading
from dataclasses import dataclass, field

from coursekit import COURSE_ROOT
from coursekit.gradebook import NO_DEADLINE
from coursekit.workers import CanaryFailed, Outcome, process_grader

#: Environment variable naming the course directory a worker grades with.
ROOT_VARIABLE = "COURSEKIT_COURSE_ROOT"
#: Environment variable set (to "1") in the service's own worker processes, on its machine.
LOCAL_VARIABLE = "COURSEKIT_LOCAL_WORKER"
#: Environment variable naming the course gradebook's URL for the service's own workers: a SQLite one is
#: copied into their scratch gradebook, which then holds the assignments (no generate_assignment).
GRADEBOOK_VARIABLE = "COURSEKIT_COURSE_GRADEBOOK"
#: One grading at a time per process: a job, or the warm-up of an assignment.
_grading = threading.Lock()


@dataclass
class Job:
    """One submission to grade: who, what, its files ({relative path: bytes}) and its deadline."""

    key: str  # the inbound folder's name
    student: str
    assignment: str
    files: dict = field(repr=False)
    refused: tuple = ()  # coursekit.submission.Refusal of what was not read from the folder
    deadline: object = NO_DEADLINE  # coursekit.gradebook.Deadline, from the course gradebook


@dataclass
class JobResult:
    """A graded submission: its Outcome, feedback folder and graded notebooks ({name: bytes})."""

    key: str
    outcome: Outcome
    feedback: dict = field(repr=False)
    graded: dict = field(repr=False)
    worker: str  # host:pid of the process that graded it


class WorkerCanaryFailed(CanaryFailed):
    """A worker's grading environment failed the canary: that worker must not grade (the job goes back)."""

    def __init__(self, worker, address, local, message):
        super().__init__(worker, address, local, message)
        self.worker, self.address, self.local, self.message = worker, address, local, message

    def __str__(self):
        return self.message


def grader():
    """This process's Grader (its scratch gradebook is a copy of the course's on the service's machine, new elsewhere)."""
    return process_grader(
        os.environ.get(ROOT_VARIABLE, str(COURSE_ROOT)), os.environ.get(GRADEBOOK_VARIABLE, "")
    )


def name():
    """host:pid of this process, as the log shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def grade(job):
    """Grade ``job`` in this process; return its JobResult. Raises WorkerCanaryFailed (see coursekit.workers)."""
    with _grading:
        try:
            outcome, feedback, graded = grader().grade_files(
                job.assignment, job.student, job.files, job.refused, job.deadline
            )
        except CanaryFailed as error:
            raise WorkerCanaryFailed(
                name(), _address(), os.environ.get(LOCAL_VARIABLE) == "1", str(error)
            ) from None
    return JobResult(job.key, outcome, feedback, graded, name())


def _address():
    """The dask address of the worker this runs in, or ''."""
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:  # not in a worker
        return ""


#: The topic of the scheduler's event log under which each worker says it is ready (or not).
READY_TOPIC = "coursekit-ready"


def warm_up(assignments):
    """Get this worker ready for ``assignments`` now, before any job needs it: its Grader, and each canary.

    Returns what the service logs: {"name", "address", "local", "seconds", "cached", "failed"}. A
    failed canary is not raised here: the service excludes the worker (and every job of that
    assignment raises it anyway: Grader.check).
    """
    failed = ""
    for assignment in assignments:
        with _grading:
            try:
                grader().check(assignment)
            except CanaryFailed as error:
                failed = failed or str(error)
    with _grading:
        done = grader()
        return {
            "name": name(),
            "address": _address(),
            "local": os.environ.get(LOCAL_VARIABLE) == "1",
            "seconds": done.canary_seconds,
            "cached": done.canaries_cached,
            "failed": failed,
        }


def warm_up_plugin(assignments):
    """A dask WorkerPlugin that warms up every worker, those that join later included, in the background
    (the worker answers the scheduler meanwhile; a job that comes first waits only for its own
    assignment), then says so in the scheduler's event log (``READY_TOPIC``)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class WarmUp(WorkerPlugin):
        name = "coursekit-warm-up"

        def setup(self, worker):
            def run():
                report = warm_up(assignments)
                report["address"] = worker.address
                worker.loop.add_callback(worker.log_event, READY_TOPIC, report)

            threading.Thread(target=run, name="coursekit-warm-up", daemon=True).start()

    return WarmUp()
