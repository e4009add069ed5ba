"""The grading service's parts, driven in one process: a throw-away course, an exchange, a clock, an engine.

``coursekit.service.serve.Service`` takes a clock and a task queue (``make_engine``); the tests give it
a ``Clock`` they move and a ``FakeEngine`` that "grades" at once from what a submission says (its
notebook holds ``{"score": n}``), or a ``GraderEngine`` that grades for real in this process. The
gradebook is the course's real SQLite file, the exchange a real folder, the feedback released with
nbgrader's own release_feedback: only the workers and the clock are stand-ins.
"""

import json
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.utils import notebook_hash

from coursekit import course
from coursekit.service import jobs
from coursekit.workers import NotebookScores, Outcome
from tests.support import REPO

ASSIGNMENT = "initialization"
COURSE_ID = "improving-dnn"
SOURCE_PATH = course.source_notebook(ASSIGNMENT, REPO)
NAME = SOURCE_PATH.name
NOTEBOOK = NAME.removesuffix(".ipynb")
#: {grade cell id: points} of the assignment's notebook.
POINTS = {
    c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
    for c in nbformat.read(SOURCE_PATH, as_version=4).cells
    if c.metadata.get("nbgrader", {}).get("grade")
}
FULL = float(sum(POINTS.values()))


def utc(text):
    """A Unix time from 'YYYY-MM-DD HH:MM[:SS]' (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def naive_utc(seconds):
    """A Unix time as the naive UTC datetime nbgrader's gradebook keeps."""
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


class Clock:
    """The service's time, moved by the test (Unix seconds)."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


#: What the service tests add to the course's nbgrader_config.py: late submissions lose their whole score
#: (nbgrader's "zero" penalty), so that a lost late penalty shows.
CONFIG_LINES = ('c.LateSubmissionPlugin.penalty_method = "zero"',)


def make_template(folder):
    """A course with the one assignment, its gradebook made (generate_assignment), config for the tests."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", folder / "nbgrader_config.py")
    with open(folder / "nbgrader_config.py", "a") as config:
        config.writelines(f"\n{line}\n" for line in CONFIG_LINES)
    shutil.copytree(REPO / "notebooks" / ASSIGNMENT, folder / "notebooks" / ASSIGNMENT)
    with course.nbgrader_environment():
        from coursekit.gradebook import ensure_assignments

        ensure_assignments(course.nbgrader_api(folder), [ASSIGNMENT])
    return folder


class ServiceCourse:
    """A copy of a template course with its own exchange (``NBGRADER_EXCHANGE_ROOT`` set by the caller)."""

    def __init__(self, template, base):
        self.base = Path(base)
        self.root = self.base / "course"
        shutil.copytree(template, self.root)
        self.exchange = self.base / "exchange"
        self.inbound = self.exchange / COURSE_ID / "inbound"
        self.inbound.mkdir(parents=True)
        self.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        self.secrets = {}  # key -> secret

    def submit(self, student, notebook, claimed="2026-11-20 12:00:00.000000 UTC", extra=None, secret=None):
        """A complete submission folder in the inbound folder, made at once; returns its key.

        ``notebook``: bytes or a dict (a fake notebook, e.g. ``{"score": 3}``) or a path to link to
        (a symbolic link); ``extra``: {name: bytes, or a callable that makes the file at a path};
        ``secret``: its bytes, or a callable that makes submission_secret.txt (e.g. os.mkfifo).
        """
        key = f"{student}+{ASSIGNMENT}+{claimed.replace('+', '')}+{secrets.token_hex(4)}"
        staging = self.base / "staging" / key
        staging.mkdir(parents=True)
        if isinstance(notebook, Path):
            (staging / NAME).symlink_to(notebook)
        else:
            data = notebook if isinstance(notebook, bytes) else json.dumps(notebook).encode()
            (staging / NAME).write_bytes(data)
        for name, data in (extra or {}).items():
            if callable(data):
                (staging / name).touch()
                data(staging / name)
            else:
                (staging / name).write_bytes(data)
        (staging / "timestamp.txt").write_text(claimed)
        if callable(secret):
            secret(staging / "submission_secret.txt")
        else:
            value = secret if secret is not None else secrets.token_hex(64).encode()
            (staging / "submission_secret.txt").write_bytes(value)
            self.secrets[key] = value.decode(errors="replace")
        staging.rename(self.inbound / key)
        return key

    def page(self, key, notebook=NOTEBOOK):
        """The released feedback page of submission ``key`` (where nbgrader fetch_feedback looks), or None."""
        path = (
            self.exchange
            / COURSE_ID
            / "feedback"
            / f"{notebook_hash(secret=self.secrets[key], notebook_id=notebook)}.html"
        )
        return path.read_text() if path.exists() else None

    def set_deadline(self, due=None, extensions=None):
        """The assignment's due date (Unix time) and students' extensions ({student: timedelta}), as formgrader would."""
        with Gradebook(self.db_url) as book:
            book.update_or_create_assignment(ASSIGNMENT, duedate=naive_utc(due) if due is not None else None)
            for student, extension in (extensions or {}).items():
                book.update_or_create_student(student)
                book.update_or_create_submission(ASSIGNMENT, student, extension=extension)

    def gradebook(self, student):
        """(score, late penalty, timestamp) the course gradebook holds for ``student``, or None."""
        with Gradebook(self.db_url) as book:
            try:
                found = book.find_submission(ASSIGNMENT, student)
            except Exception:  # noqa: BLE001 -- MissingEntry: nothing recorded
                return None
            if not found.notebooks or all(g.auto_score is None for nb in found.notebooks for g in nb.grades):
                return None
            return found.score, found.late_submission_penalty, found.timestamp


def fake_result(job, worker="fake:1"):
    """A JobResult for ``job`` from what its notebook says: ``{"score": n}`` (else 0), nbgrader's 'zero'
    late penalty when the job's deadline says its timestamp.txt is late."""
    from nbgrader.utils import parse_utc

    try:
        score = float(json.loads(job.files.get(NAME, b"{}")).get("score", 0))
    except (ValueError, AttributeError):
        score = 0.0
    grades, left = {}, score
    for grade_id, points in POINTS.items():
        grades[grade_id] = float(min(points, left))
        left -= grades[grade_id]
    when = parse_utc(job.files["timestamp.txt"].decode()).replace(tzinfo=timezone.utc).timestamp()
    penalty = score if job.deadline.late(when) else None
    outcome = Outcome(
        job.assignment,
        job.student,
        ok=True,
        seconds=0.1,
        timestamp=parse_utc(job.files["timestamp.txt"].decode()),
    )
    outcome.notebooks = {NOTEBOOK: NotebookScores(penalty, grades)}
    page = f"<html><body><p>Score: {score:.1f} / {FULL:.1f}</p></body></html>".encode()
    graded = nbformat.writes(nbformat.v4.new_notebook()).encode()
    return jobs.JobResult(job.key, outcome, {f"{NOTEBOOK}.html": page}, {NAME: graded}, worker)


class FakeEngine:
    """A task queue that grades with ``grade(job)`` when asked what finished; ``hang``: keys that never finish."""

    address = "fake://in-process"

    def __init__(self, grade=fake_result):
        self.grade = grade
        self.jobs, self.hang = {}, set()
        self.submitted, self.abandoned, self.excluded = [], [], []
        self.before_finish = {}  # key -> exception raised instead of the result, once

    def submit(self, job):
        self.jobs[job.key] = job
        self.submitted.append(job.key)

    def running(self):
        return set(self.jobs)

    def finished(self):
        done = []
        for key, job in list(self.jobs.items()):
            if key in self.hang:
                continue
            del self.jobs[key]
            error = self.before_finish.pop(key, None)
            done.append((key, error if error is not None else self.grade(job)))
        return done

    def wait(self, timeout):
        return False

    def abandon(self, key):
        self.jobs.pop(key, None)
        self.abandoned.append(key)
        return "fake-worker"

    def exclude(self, address):
        self.excluded.append(address)

    def workers(self):
        return 1

    def ready(self):
        return []

    def close(self):
        pass


class GraderEngine(FakeEngine):
    """A task queue that grades for real, in this process (``coursekit.workers.Grader``, sandbox and all)."""

    def __init__(self, root):
        super().__init__(grade=self._grade)
        self.root, self._grader = root, None

    def _grade(self, job):
        from coursekit.workers import Grader

        if self._grader is None:
            self._grader = Grader(self.root, "")
        outcome, feedback, graded = self._grader.grade_files(
            job.assignment, job.student, job.files, job.refused, job.deadline
        )
        return jobs.JobResult(job.key, outcome, feedback, graded, "in-process")
