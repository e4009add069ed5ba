"""What a grading process does: the canary first, then one submission at a time.

A ``Grader`` grades in its own process against a private scratch gradebook (a copy of the course's
SQLite gradebook, or a new one), so that any number of them can run side by side; it never writes
the course gradebook. For each submission it runs the checks before grading (``coursekit.precheck``),
nbgrader's autograde with the course's configuration -- whose execute step is
``coursekit.kernel.execute.GuardedExecute``: the sandbox, time limits and tamper guard of
``coursekit/kernel/`` -- and the feedback (``coursekit.feedback``), and returns an ``Outcome``: plain,
picklable data that ``coursekit.gradebook.record`` writes into the course gradebook.

**The canary.** Before it grades any submission of an assignment, a Grader grades that assignment's
own source solution in the same sandbox and configuration (``canary``). If the solution does not get
full marks, the grading environment is broken -- the kernel's Python cannot import helpers (e.g. a
virtual environment whose editable install points at another checkout), a dataset is missing, the
sandbox hides something the kernel needs -- and grading every student would give them all zeros.
``CanaryFailed`` then names the failing cell and its error, and the Grader refuses to grade that
assignment. It costs one graded notebook per process and assignment (about 2 s each).

    python -m coursekit autograde      # a pool of processes, each ``init_worker`` then ``grade``
    grader = Grader(root, course_db_url)      # a long-running worker (the grading service)
    grader.check("initialization")            # the canary, once; raises CanaryFailed
    outcome = grader.grade("initialization", "ada")
"""

import os
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path

import nbformat

from coursekit.course import (
    api_error,
    nbgrader_api,
    nbgrader_environment,
    notebook_names,
    source_folder,
)
from coursekit.feedback import write_feedback
from coursekit.gradebook import ensure_assignments
from coursekit.precheck import Problem, check_submission


@dataclass
class NotebookScores:
    """The automatic results of one graded notebook, as nbgrader's gradebook holds them."""

    late_submission_penalty: float | None
    grades: dict = field(default_factory=dict)  # grade cell id -> automatic score (None: manual)
    comments: dict = field(default_factory=dict)  # comment cell id -> automatic comment


@dataclass
class Outcome:
    """What grading one submission gave: scores to record, problems to explain, timings."""

    assignment: str
    student: str
    ok: bool = False  # nbgrader autograded the submission
    seconds: float = 0.0
    error: str = ""  # why nbgrader could not autograde it
    feedback_error: str = ""  # why nbgrader could not write its feedback
    problems: list = field(default_factory=list)  # Problems found before grading: those notebooks score 0
    grading_errors: list = field(default_factory=list)  # Problems: notebooks nbgrader failed on
    timestamp: object = None  # the submission's timestamp, if it has one
    notebooks: dict = field(default_factory=dict)  # notebook name -> NotebookScores; empty: none recorded
    worker: int = 0  # the grading process's id
    canary_seconds: float = 0.0  # what that process's canaries have cost it so far

    @property
    def explained(self):
        """Every Problem of this submission, each explained on the student's feedback page."""
        return self.problems + self.grading_errors


# --- the canary ------------------------------------------------------------------------------------
#: The student id under which the canary grades the source solution, in a scratch folder.
CANARY_STUDENT = "canary-source-solution"


class CanaryFailed(RuntimeError):
    """A grading process's environment does not give an assignment's source solution full marks."""


def canary(root, assignment, db_url):
    """Grade ``assignment``'s source solution in this process, exactly as submissions are graded.

    Same course configuration (sandbox, tamper guard, time limits), same kernel, a scratch folder for
    the submitted and autograded copies, and the gradebook ``db_url`` (a worker's scratch gradebook,
    never the course's). Returns the seconds it took; raises ``CanaryFailed``, naming the first failing
    cell and its error, unless every test cell gets full marks.
    """
    from nbgrader.api import Gradebook, MissingEntry

    start = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="canary-"))
    try:
        folders = {f"{step}_directory": scratch / step for step in ("submitted", "autograded", "feedback")}
        api = nbgrader_api(root, db_url=db_url, release_directory=scratch / "release", **folders)
        shutil.copytree(
            source_folder(assignment, root),
            folders["submitted_directory"] / CANARY_STUDENT / assignment,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
        )
        result = api.autograde(assignment, CANARY_STUDENT, force=True, create=True)
        with Gradebook(db_url) as gradebook:
            try:
                submission = gradebook.find_submission(assignment, CANARY_STUDENT)
                lost = [
                    f"{g.name} {g.score:g}/{g.max_score:g}"
                    for nb in submission.notebooks
                    for g in nb.grades
                    if g.score != g.max_score
                ]
                gradebook.remove_submission(assignment, CANARY_STUDENT)
            except MissingEntry:
                lost = ["no grades recorded"]
        if result["success"] and not lost:
            return time.perf_counter() - start
        graded = sorted((folders["autograded_directory"] / CANARY_STUDENT / assignment).glob("*.ipynb"))
        cause = _first_failing_cell(graded) or api_error(result)
        raise CanaryFailed(
            f"canary failed: the source solution of {assignment} does not get full marks in this grading "
            f"environment (lost: {', '.join(lost)}). {cause}. Nothing was recorded in the course "
            "gradebook; fix the grading environment and run autograde again."
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _first_failing_cell(paths):
    """Which cell of the graded notebooks ``paths`` failed first, and with which error."""
    for path in paths:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001,S112 -- nothing to say of a notebook nbgrader did not write
            continue
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if output.output_type != "error":
                    continue
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                cause = f"{path.name} cell {index} ({first_line!r}) failed: {output.ename}: {output.evalue}"
                for package in ("helpers", "coursekit"):
                    if output.ename == "ModuleNotFoundError" and f"'{package}" in output.evalue:
                        return f"The grading kernel cannot import {package}: {cause}"
                return f"First failing cell: {cause}"
    return ""


# --- one grading process -----------------------------------------------------------------------------
class Grader:
    """Grades submissions in this process, against a private scratch gradebook, after the canary.

    ``course_db_url``: the course gradebook, copied when it is a SQLite file (it then holds the
    assignments already); assignments it lacks are generated into the scratch gradebook.
    """

    def __init__(self, root, course_db_url):
        self.root = str(root)
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-"))
        # Removed when the process exits (a pool's worker process ends without running atexit).
        Finalize(
            self, shutil.rmtree, args=(str(self.scratch),), kwargs={"ignore_errors": True}, exitpriority=10
        )
        course_db = (
            course_db_url.removeprefix("sqlite:///") if course_db_url.startswith("sqlite:///") else None
        )
        if course_db and Path(course_db).exists():
            shutil.copy(course_db, self.scratch / "gradebook.db")
        self.db_url = f"sqlite:///{self.scratch / 'gradebook.db'}"
        self.api = nbgrader_api(self.root, db_url=self.db_url, release_directory=self.scratch / "release")
        self.canary_seconds = 0.0
        self._passed, self._failed = set(), {}

    def check(self, assignment):
        """Run ``assignment``'s canary once in this process; raise CanaryFailed (every time) if it failed."""
        if assignment in self._failed:
            raise CanaryFailed(self._failed[assignment])
        if assignment in self._passed:
            return
        ensure_assignments(self.api, [assignment])
        try:
            self.canary_seconds += canary(self.root, assignment, self.db_url)
        except CanaryFailed as error:
            self._failed[assignment] = str(error)
            raise
        self._passed.add(assignment)

    def grade(self, assignment, student):
        """Autograde submitted/<student>/<assignment>/ and write its feedback; return its Outcome."""
        return self._grade(self.api, assignment, student)

    def grade_files(self, assignment, student, files):
        """Grade one submission handed over as its files; return (Outcome, feedback, graded).

        ``files``: {path relative to the submission folder: bytes} (notebooks, timestamp.txt,
        submission_secret.txt). ``feedback``: {file name: bytes} of the feedback folder (pages,
        timestamp.txt, submission_secret.txt); ``graded``: {notebook name: bytes} of the graded
        notebooks. Everything goes in and out as data, so the grading service's workers need no
        folder shared with the course, and the course's own folders are not touched.
        """
        self.check(assignment)
        scratch = Path(tempfile.mkdtemp(prefix="job-", dir=self.scratch))
        try:
            folders = {
                f"{step}_directory": scratch / step for step in ("submitted", "autograded", "feedback")
            }
            api = nbgrader_api(
                self.root, db_url=self.db_url, release_directory=self.scratch / "release", **folders
            )
            submitted = folders["submitted_directory"] / student / assignment
            for name, data in files.items():
                path = submitted / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            outcome = self._grade(api, assignment, student, submitted)
            feedback, graded = (
                {p.name: p.read_bytes() for p in sorted(folder.glob(pattern)) if p.is_file()}
                for folder, pattern in (
                    (folders["feedback_directory"] / student / assignment, "*"),
                    (folders["autograded_directory"] / student / assignment, "*.ipynb"),
                )
            )
            return outcome, feedback, graded
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _grade(self, api, assignment, student, folder=None):
        """Autograde one submission with nbgrader's ``api`` (whose folders say where it is)."""
        self.check(assignment)
        start = time.perf_counter()
        outcome = Outcome(
            assignment, student, problems=check_submission(self.root, assignment, student, folder)
        )
        result = api.autograde(assignment, student, force=True, create=True)
        outcome.ok = bool(result["success"])
        if not outcome.ok:
            outcome.error = api_error(result)
            if not outcome.problems:
                outcome.grading_errors = [
                    Problem(student, assignment, name, f"grading error: {outcome.error}")
                    for name in notebook_names(assignment, self.root)
                ]
        outcome.timestamp, outcome.notebooks = self._scores(assignment, student)
        outcome.feedback_error = write_feedback(api, outcome)
        outcome.seconds = time.perf_counter() - start
        outcome.worker, outcome.canary_seconds = os.getpid(), self.canary_seconds
        return outcome

    def _scores(self, assignment, student):
        """(timestamp, {notebook: NotebookScores}) of a submission in the scratch gradebook."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.db_url) as gradebook:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                return None, {}
            return submission.timestamp, {
                nb.name: NotebookScores(
                    nb.late_submission_penalty,
                    {g.name: g.auto_score for g in nb.grades},
                    {c.name: c.auto_comment for c in nb.comments},
                )
                for nb in submission.notebooks
            }


# --- a pool's worker process (ProcessPoolExecutor) ---------------------------------------------------
_process = {}


def process_grader(root, course_db_url):
    """This process's Grader, made on first call: for worker processes, which exist to grade.

    The first call also sets the process up for grading: one BLAS thread (a kernel per core; tiny
    matrices) and nbgrader's environment, kept for the life of the process.
    """
    if "grader" not in _process:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        environment = ExitStack()
        environment.enter_context(nbgrader_environment())
        _process.update(environment=environment, grader=Grader(root, course_db_url))
    return _process["grader"]


def init_worker(root, assignments, course_db_url):
    """Initializer of a pool's worker process: its Grader, and the canary of every assignment."""
    grader = process_grader(root, course_db_url)
    _process["failure"] = None
    try:
        for assignment in assignments:
            grader.check(assignment)
    except CanaryFailed as error:
        _process["failure"] = str(error)  # raised by every task, so that the main process stops


def grade(assignment, student):
    """A pool task: grade one submission in this worker process (see ``init_worker``)."""
    if _process["failure"]:
        raise CanaryFailed(_process["failure"])
    return _process["grader"].grade(assignment, student)
