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
assignment. It costs one graded notebook per process and assignment (2-4 s each), so a passed canary
is remembered (``CanaryCache``) under a key made of everything its result depends on: the grading
kernel's Python, its installed packages and the sources of the helpers and coursekit packages it
imports, the datasets, the course's nbgrader_config.py, the assignment's source folder, the sandbox
program and the user grading. While none of them changes, a new grading process (a restarted
service, the next ``make autograde``) skips the canary; when one does, it runs again.

**Submissions are read as data** (``coursekit.submission``): a Grader copies a submission's regular
files into a scratch folder and grades that copy, so nbgrader never reads a student's folder itself,
and a link in it (e.g. to the source notebook) is never followed.

    python -m coursekit autograde      # a pool of processes, each ``init_worker`` then ``grade``
    grader = Grader(root, course_db_url)      # a long-running worker (the grading service)
    grader.check("initialization")            # the canary, once; raises CanaryFailed
    outcome = grader.grade("initialization", "ada")
"""

import fcntl
import functools
import hashlib
import json
import logging
import os
import platform
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path

import nbformat

from coursekit import submission
from coursekit.course import (
    api_error,
    load_config,
    nbgrader_api,
    nbgrader_environment,
    notebook_names,
    source_folder,
    submitted_folder,
)
from coursekit.feedback import refused_note, with_note, write_feedback
from coursekit.gradebook import NO_DEADLINE, ensure_assignments, set_deadline
from coursekit.precheck import Problem, check_submission

log = logging.getLogger(__name__)


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
    refused: list = field(default_factory=list)  # Problems: other files of the submission that were not read
    grading_errors: list = field(default_factory=list)  # Problems: notebooks nbgrader failed on
    timestamp: object = None  # the submission's timestamp, if it has one
    notebooks: dict = field(default_factory=dict)  # notebook name -> NotebookScores; empty: none recorded
    worker: int = 0  # the grading process's id
    canary_seconds: float = 0.0  # what that process's canaries have cost it so far
    canaries_cached: int = 0  # that process's canaries that passed before, in an unchanged environment

    @property
    def explained(self):
        """Every Problem of this submission, each explained on the student's feedback page."""
        return self.problems + self.grading_errors


# --- the canary ------------------------------------------------------------------------------------
#: The student id under which the canary grades the source solution, in a scratch folder.
CANARY_STUDENT = "canary-source-solution"


class CanaryFailed(RuntimeError):
    """A grading process's environment does not give an assignment's source solution full marks."""


def canary(root, assignment, db_url, scratch_dir=None):
    """Grade ``assignment``'s source solution in this process, exactly as submissions are graded.

    Same course configuration (sandbox, tamper guard, time limits), same kernel, a scratch folder for
    the submitted and autograded copies, and the gradebook ``db_url`` (a worker's scratch gradebook,
    never the course's), under ``scratch_dir`` (default: the system's temporary folder). Returns the
    seconds it took; raises ``CanaryFailed``, naming the first failing cell and its error, unless every
    test cell gets full marks.
    """
    from nbgrader.api import Gradebook, MissingEntry

    start = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="canary-", dir=scratch_dir))
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


# --- the cache of passed canaries ----------------------------------------------------------------------
#: Bumped when what a canary checks changes in a way the key does not see.
CANARY_CACHE_VERSION = 1
#: Run by the grading kernel's Python: what it is and what it imports, as it will see them.
KERNEL_PROBE = """
import importlib.metadata, importlib.util, json, os, sys
found = {"version": sys.version, "executable": os.path.realpath(sys.executable), "prefix": sys.prefix,
         "path": sys.path[1:], "packages": {},
         "distributions": sorted({(d.metadata["Name"] or "", d.version) for d in importlib.metadata.distributions()})}
for name in ("helpers", "coursekit"):
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    found["packages"][name] = list(spec.submodule_search_locations or []) if spec else []
print(json.dumps(found))
"""


@functools.lru_cache(maxsize=4)
def kernel_identity(kernel_name="python3"):
    """What a grading kernel ``kernel_name`` runs, as a JSON text: its kernel spec and what its Python imports.

    Asked of the kernel's own Python (about 1 s, once per process): another kernel spec (e.g. on
    JUPYTER_PATH), another environment or another checkout of helpers gives another identity.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    argv = list(spec.argv)
    if argv and argv[0] in {
        "python",
        f"python{sys.version_info[0]}",
        "python{}.{}".format(*sys.version_info),
    }:
        argv[0] = sys.executable  # as jupyter_client starts it
    result = subprocess.run(
        [argv[0], "-c", KERNEL_PROBE], capture_output=True, text=True, check=False, cwd="/", timeout=120
    )
    probe = json.loads(result.stdout) if result.returncode == 0 else {"error": result.stderr[-2000:]}
    return json.dumps({"argv": argv, "env": spec.env, "probe": probe}, sort_keys=True)


def _hash_tree(digest, folder, suffixes=None):
    """Feed every file under ``folder`` (its relative path and bytes) into ``digest``, in a fixed order."""
    folder = Path(folder)
    if not folder.is_dir():
        digest.update(f"missing {folder}\n".encode())
        return
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts or not path.is_file():
            continue
        if suffixes and path.suffix not in suffixes:
            continue
        digest.update(f"{path.relative_to(folder).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def canary_key(root, assignment, identity):
    """The cache key of ``assignment``'s canary in the course at ``root``, for the kernel ``identity``.

    Everything the canary's result depends on: the kernel's identity (``kernel_identity``), the
    sources of the packages it imports (helpers, coursekit) and the datasets beside helpers, the
    course's nbgrader_config.py and the assignment's source folder, the sandbox program, the user
    grading (the sandbox differs for root) and this machine's kernel release.
    """
    digest = hashlib.sha256(f"coursekit canary {CANARY_CACHE_VERSION}\n{assignment}\n".encode())
    digest.update(identity.encode())
    packages = json.loads(identity).get("probe", {}).get("packages", {})
    for name in ("helpers", "coursekit"):
        for folder in packages.get(name, []):
            _hash_tree(digest, folder, {".py"})
    for folder in packages.get("helpers", []):
        _hash_tree(digest, Path(folder).parent / "datasets")
    digest.update((Path(root) / "nbgrader_config.py").read_bytes())
    _hash_tree(digest, source_folder(assignment, root))
    bwrap = shutil.which("bwrap")
    sandbox = os.stat(bwrap) if bwrap else None
    digest.update(
        json.dumps(
            [bwrap, sandbox and (sandbox.st_size, sandbox.st_mtime_ns), os.geteuid(), platform.release()]
        ).encode()
    )
    return digest.hexdigest()


def default_cache_folder():
    """$XDG_CACHE_HOME/coursekit/canaries, or ~/.cache/coursekit/canaries: the grading user's own."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coursekit" / "canaries"


class CanaryCache:
    """The canaries that passed, one file per key, in a folder only the grading user may write.

    A forged entry would let a broken grading environment grade a class (everyone 0): so the folder
    is made private (0700), and a folder or entry that another user owns, or that group or others
    may write, is not trusted (the canary runs, and a warning says why). Only passes are kept: a
    failure is never cached, so a fixed environment is checked again at once.
    """

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else default_cache_folder()

    def _trusted(self, path):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            log.warning("canary cache %s: not owned by this user alone: not used", path)
            return False
        return True

    def passed(self, key):
        """Whether the canary of ``key`` passed before."""
        return self._trusted(self.folder) and self._trusted(self.folder / f"{key}.json")

    @contextmanager
    def running(self, key):
        """Hold ``key``'s lock while its canary runs: processes of the same environment (a service's
        workers, make autograde's pool) wait for one verdict instead of each running the canary."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(self.folder / f"{key}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            yield  # no cache here: every process runs its own canary
            return
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def remember(self, key, assignment, seconds):
        """Keep a passed canary; a folder that cannot be written only costs the next process a canary."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self._trusted(self.folder):
                return
            entry = json.dumps({"assignment": assignment, "seconds": seconds, "passed": time.time()})
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".entry-")
            with os.fdopen(handle, "w") as out:  # mkstemp: mode 0600
                out.write(entry)
            os.replace(temporary, self.folder / f"{key}.json")
        except OSError as error:
            log.warning("canary cache %s: %s", self.folder, error)


# --- one grading process -----------------------------------------------------------------------------
class Grader:
    """Grades submissions in this process, against a private scratch gradebook, after the canary.

    ``course_db_url``: the course gradebook, copied when it is a SQLite file (it then holds the
    assignments already); assignments it lacks are generated into the scratch gradebook. Before each
    submission, its Deadline (due date and the student's extension, from the course gradebook) goes
    into the scratch gradebook, so that nbgrader's late penalty is the course's.
    """

    def __init__(self, root, course_db_url, cache=None, scratch_dir=None):
        self.root = str(root)
        # Under scratch_dir when given: autograde removes that folder itself if it has to kill its workers.
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-", dir=scratch_dir))
        # Removed when the process exits (a pool's worker process ends without running atexit).
        Finalize(
            self, shutil.rmtree, args=(str(self.scratch),), kwargs={"ignore_errors": True}, exitpriority=10
        )
        course_db = (
            course_db_url.removeprefix("sqlite:///") if course_db_url.startswith("sqlite:///") else None
        )
        if course_db and Path(course_db).exists():
            _copy_sqlite(course_db, self.scratch / "gradebook.db")
        self.db_url = f"sqlite:///{self.scratch / 'gradebook.db'}"
        self.api = nbgrader_api(self.root, db_url=self.db_url, release_directory=self.scratch / "release")
        self.limits = submission.limits_of(load_config(self.root))
        self.cache = cache or CanaryCache()
        self.canary_seconds, self.canaries_cached = 0.0, 0
        self._passed, self._failed = set(), {}

    def check(self, assignment):
        """Run ``assignment``'s canary once in this process (unless it passed before in an unchanged
        environment: ``CanaryCache``); raise CanaryFailed (every time) if it failed."""
        if assignment in self._failed:
            raise CanaryFailed(self._failed[assignment])
        if assignment in self._passed:
            return
        ensure_assignments(self.api, [assignment])
        key = canary_key(self.root, assignment, kernel_identity(_kernel_name(assignment, self.root)))
        # One grading process runs a canary, the others of the same environment wait for its verdict.
        with self.cache.running(key):
            if self.cache.passed(key):
                self.canaries_cached += 1
            else:
                try:
                    seconds = canary(self.root, assignment, self.db_url, self.scratch)
                except CanaryFailed as error:
                    self._failed[assignment] = str(error)
                    raise
                self.canary_seconds += seconds
                self.cache.remember(key, assignment, seconds)
        self._passed.add(assignment)

    def grade(self, assignment, student, deadline=NO_DEADLINE):
        """Grade the course's submitted/<student>/<assignment>/, read as data, into its autograded/ and
        feedback/ folders; return its Outcome."""
        try:
            snapshot = submission.read(submitted_folder(student, assignment, self.root), self.limits)
        except submission.FolderUnreadable as error:
            snapshot = submission.Snapshot(refused=[submission.Refusal("", error.reason)])
        refused = list(snapshot.refused)  # and what SafeCollect did not copy from the exchange
        refused += submission.refusals_in(snapshot.files.pop(submission.REFUSED_FILE, b"[]"))
        return self._grade(assignment, student, snapshot.files, refused, deadline, {})

    def grade_files(self, assignment, student, files, refused=(), deadline=NO_DEADLINE):
        """Grade one submission handed over as its files; return (Outcome, feedback, graded).

        ``files``: {path relative to the submission folder: bytes} (notebooks, timestamp.txt,
        submission_secret.txt); ``refused``: the Refusals of what was not read from it.
        ``feedback``: {file name: bytes} of the feedback folder (pages, timestamp.txt,
        submission_secret.txt); ``graded``: {notebook name: bytes} of the graded notebooks. Everything
        goes in and out as data, so the grading service's workers need no folder shared with the
        course, and the course's own folders are not touched.
        """
        scratch = Path(tempfile.mkdtemp(prefix="out-", dir=self.scratch))
        try:
            folders = {f"{step}_directory": scratch / step for step in ("autograded", "feedback")}
            outcome = self._grade(assignment, student, files, refused, deadline, folders)
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

    def _grade(self, assignment, student, files, refused, deadline, folders):
        """Autograde one submission from its ``files``, copied into a scratch submitted/ folder;
        ``folders``: where autograded/ and feedback/ go (default: the course's)."""
        self.check(assignment)
        start = time.perf_counter()
        scratch = Path(tempfile.mkdtemp(prefix="job-", dir=self.scratch))
        try:
            submitted = scratch / student / assignment
            submitted.mkdir(parents=True)
            submission.write(files, submitted)
            api = nbgrader_api(
                self.root,
                db_url=self.db_url,
                release_directory=self.scratch / "release",
                submitted_directory=scratch,
                **folders,
            )
            from nbgrader.api import Gradebook

            with Gradebook(self.db_url) as book:
                set_deadline(book, assignment, student, deadline)
            expected = notebook_names(assignment, self.root)
            outcome = Outcome(
                assignment,
                student,
                problems=check_submission(self.root, assignment, student, submitted, refused),
                refused=[
                    Problem(student, assignment, submission.shown(r.path), r.message)
                    for r in refused
                    if r.path not in expected and r.path
                ],
            )
            result = api.autograde(assignment, student, force=True, create=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
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
        if outcome.refused:
            _add_note(api, outcome, refused_note([p.message for p in outcome.refused]))
        outcome.seconds = time.perf_counter() - start
        outcome.worker, outcome.canary_seconds = os.getpid(), self.canary_seconds
        outcome.canaries_cached = self.canaries_cached
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


def _copy_sqlite(source, target):
    """A consistent copy of the SQLite database ``source`` (SQLite's backup, safe while another process
    writes it), at ``target``."""
    with (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as db,
        sqlite3.connect(target) as copy,
    ):
        db.backup(copy)
    copy.close()
    db.close()


def _kernel_name(assignment, root):
    """The kernel an assignment's notebooks run in (their kernelspec), python3 by default."""
    names = notebook_names(assignment, root)
    if not names:
        return "python3"
    metadata = json.loads((source_folder(assignment, root) / names[0]).read_text()).get("metadata", {})
    return metadata.get("kernelspec", {}).get("name", "python3")


def _add_note(api, outcome, note):
    """Put ``note`` (HTML) at the top of every feedback page of ``outcome``."""
    coursedir = api.coursedir
    folder = Path(coursedir.format_path(coursedir.feedback_directory, outcome.student, outcome.assignment))
    for page in folder.glob("*.html"):
        page.write_text(with_note(page.read_text(), note))


# --- a pool's worker process (ProcessPoolExecutor) ---------------------------------------------------
_process = {}


def process_grader(root, course_db_url, scratch_dir=None):
    """This process's Grader, made on first call: for worker processes, which exist to grade.

    The first call also sets the process up for grading: one BLAS thread (a kernel per core; tiny
    matrices) and nbgrader's environment, kept for the life of the process.
    """
    if "grader" not in _process:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        environment = ExitStack()
        environment.enter_context(nbgrader_environment())
        _process.update(environment=environment, grader=Grader(root, course_db_url, scratch_dir=scratch_dir))
    return _process["grader"]


def init_worker(root, assignments, course_db_url, scratch_dir=None):
    """Initializer of a pool's worker process: its Grader (its scratch under ``scratch_dir``), and the
    canary of every assignment.

    A terminal's Ctrl-C reaches the whole process group; stopping is the main process's job (it kills
    its workers), so a worker ignores it between notebooks. (While a notebook runs, nbclient installs its
    own handler, which shuts the kernel down.)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    grader = process_grader(root, course_db_url, scratch_dir)
    _process["failure"] = None
    try:
        for assignment in assignments:
            grader.check(assignment)
    except CanaryFailed as error:
        _process["failure"] = str(error)  # raised by every task, so that the main process stops


def grade(assignment, student, deadline=NO_DEADLINE):
    """A pool task: grade one submission in this worker process (see ``init_worker``)."""
    if _process["failure"]:
        raise CanaryFailed(_process["failure"])
    return _process["grader"].grade(assignment, student, deadline)
