"""What the service does with a graded submission: record it, and give the student their feedback.

- the course gradebook, through its single writer ``coursekit.gradebook.record``, if the submission
  counts (``GradingService.counts``);
- the course folders, for the counted submission: submitted/, autograded/ and feedback/
  <student>/<assignment>/, as ``nbgrader collect`` and ``make autograde`` leave them, so that
  formgrader and a later ``make autograde`` see what the gradebook holds;
- the student's feedback, released through nbgrader's exchange (``release_feedback`` on a staging
  folder), so that ``nbgrader fetch_feedback`` and the Assignments tab find it under the submission's
  own secret. Before the due date it may be the score or the public checks only; the full pages are
  kept in the service's folder and released when the due date passes.
"""

import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc

from coursekit import feedback, gradebook
from coursekit.course import api_error, nbgrader_api

SIDE_FILES = ("timestamp.txt", "submission_secret.txt")


def max_scores(db_url, assignment):
    """{notebook name: max score} of an assignment in the course gradebook."""
    with Gradebook(db_url) as book:
        return {nb.name: nb.max_score for nb in book.find_assignment(assignment).notebooks}


def due_date(db_url, assignment):
    """The assignment's due date in the course gradebook (naive UTC datetime), or None."""
    with Gradebook(db_url) as book:
        try:
            return book.find_assignment(assignment).duedate
        except MissingEntry:
            return None


def is_late(timestamp, due):
    return due is not None and parse_utc(timestamp) > due


def scores(outcome, maxima):
    """({notebook: score}, total, max total) of an Outcome; notebooks that could not be graded score 0."""
    broken = {p.notebook.removesuffix(".ipynb") for p in outcome.problems}
    per_notebook = {
        name: 0.0 if name in broken or name not in outcome.notebooks else
        sum(s or 0.0 for s in outcome.notebooks[name].grades.values())
        for name in maxima
    }  # fmt: skip
    return per_notebook, sum(per_notebook.values()), sum(maxima.values())


class Outbox:
    """Records results in the course at ``root`` and releases feedback from the service's ``state`` folder."""

    def __init__(self, root, state, db_url):
        self.root, self.state, self.db_url = Path(root), Path(state), db_url
        self.kept = self.state / "feedback"  # full feedback held back until the due date: <key>/

    def record(self, submission_files, result):
        """Write the counted ``result`` into the course gradebook and the course folders."""
        outcome = result.outcome
        with Gradebook(self.db_url) as book:
            gradebook.record(book, outcome)
        for step, files in (
            ("submitted", submission_files),
            ("autograded", result.graded),
            ("feedback", result.feedback),
        ):
            folder = self.root / step / outcome.student / outcome.assignment
            shutil.rmtree(folder, ignore_errors=True)
            for name, data in files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)

    def keep(self, key, pages):
        """Keep the full feedback pages of submission ``key`` ({file name: bytes}) for the due date."""
        folder = self.kept / key
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in pages.items():
            (folder / name).write_bytes(data)

    def kept_pages(self, key):
        folder = self.kept / key
        return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}

    def release(self, student, assignment, secret, timestamp, pages):
        """Release ``pages`` ({<notebook>.html: bytes}) as the feedback of one submission; '' or the error."""
        staging = Path(tempfile.mkdtemp(prefix="release-", dir=self.state))
        try:
            folder = staging / student / assignment
            folder.mkdir(parents=True)
            for name, data in pages.items():
                if name.endswith(".html"):
                    (folder / name).write_bytes(data)
            (folder / "timestamp.txt").write_text(timestamp)
            (folder / "submission_secret.txt").write_text(secret)
            api = nbgrader_api(self.root, feedback_directory=staging)
            result = api.release_feedback(assignment, student_id=student)
            return "" if result["success"] else api_error(result)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def pages_for(mode, result, maxima, note):
    """The feedback pages ({<notebook>.html: bytes}) a student sees now, for feedback ``mode``."""
    full = {n: d for n, d in result.feedback.items() if n.endswith(".html")}
    if mode == "full":
        return {n: feedback.with_note(d.decode(), note).encode() for n, d in full.items()}
    per_notebook, _, _ = scores(result.outcome, maxima)
    pages = {}
    for name in maxima:
        page_name = f"{name}.html"
        explained = [p for p in result.outcome.explained if p.notebook.removesuffix(".ipynb") == name]
        if explained and page_name in full:  # why it was not graded: shown whatever the mode
            pages[page_name] = feedback.with_note(full[page_name].decode(), note).encode()
        elif mode == "score":
            pages[page_name] = feedback.score_page(name, per_notebook[name], maxima[name], note).encode()
        else:
            graded = result.graded.get(f"{name}.ipynb")
            checks = feedback.public_checks(nbformat.reads(graded.decode(), as_version=4)) if graded else []
            pages[page_name] = feedback.public_page(name, checks, note).encode()
    return pages
