"""What the service keeps on disk, and does with a graded submission: record it, and give the student their feedback.

The service's folder (``GradingService.state_directory``, the graders' only) holds, per submission
key, what a restart needs to carry on where the last process stopped, without grading again:

- ``spool/<key>/``: the submission as the service read it from the exchange (its files, regular
  ones only); later changes to the student's folder change nothing;
- ``results/<key>.pickle``: a worker's JobResult, kept until it is recorded and released;
- ``outbox/<key>/<kind>/``: feedback pages ready to release (``now``, ``deferred``, ``full`` at the
  due date).

Each is written into a temporary name and renamed into place, so that a crash leaves it whole or
absent. And the actions, each idempotent (``coursekit.service.ledger``'s outbox says which are left):

- ``record``: the course gradebook, through its single writer ``coursekit.gradebook.record``, and the
  course folders submitted/, autograded/ and feedback/<student>/<assignment>/, as ``nbgrader
  collect`` and ``make autograde`` leave them (submitted/ with the service's timestamp.txt), so that
  formgrader and a later ``make autograde`` see what the gradebook holds;
- ``release``: the feedback through nbgrader's exchange (``release_feedback`` on a staging folder),
  under the submission's own secret (kept in the ledger), where ``nbgrader fetch_feedback`` and the
  Assignments tab find it.
"""

import pickle
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from coursekit import feedback, gradebook, submission
from coursekit.course import api_error, nbgrader_api
from coursekit.service import faults

SIDE_FILES = ("timestamp.txt", "submission_secret.txt")


def max_scores(db_url, assignment):
    """{notebook name: max score} of an assignment in the course gradebook."""
    with Gradebook(db_url) as book:
        return {nb.name: nb.max_score for nb in book.find_assignment(assignment).notebooks}


def timestamp_text(when):
    """A Unix time as nbgrader writes timestamp.txt (UTC): what the gradebook and the pages show."""
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def scores(outcome, maxima):
    """({notebook: score}, total, max total) of an Outcome, after nbgrader's late penalty; notebooks that
    could not be graded score 0."""
    broken = {p.notebook.removesuffix(".ipynb") for p in outcome.problems}
    per_notebook = {}
    for name in maxima:
        graded = outcome.notebooks.get(name)
        if name in broken or graded is None:
            per_notebook[name] = 0.0
            continue
        score = sum(s or 0.0 for s in graded.grades.values())
        per_notebook[name] = max(0.0, score - (graded.late_submission_penalty or 0.0))
    return per_notebook, sum(per_notebook.values()), sum(maxima.values())


class ReleaseFailed(RuntimeError):
    """nbgrader's release_feedback did not put a page into the exchange."""


class Outbox:
    """The service's folder ``state`` for the course at ``root`` (see the module's docstring)."""

    def __init__(self, root, state, db_url):
        self.root, self.state, self.db_url = Path(root), Path(state), db_url
        for name in ("spool", "results", "outbox"):
            (self.state / name).mkdir(parents=True, exist_ok=True)

    def _atomically(self, target, fill):
        """Make ``target`` (a folder) by ``fill(temporary folder)`` and one rename."""
        target = Path(target)
        temporary = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))
        try:
            fill(temporary)
            shutil.rmtree(target, ignore_errors=True)
            temporary.rename(target)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise

    # --- what the service keeps -------------------------------------------------------------------------
    def spool(self, key, files):
        self._atomically(self.state / "spool" / key, lambda folder: submission.write(files, folder))

    def spooled(self, key):
        """The files of submission ``key`` as the service read them, or None."""
        folder = self.state / "spool" / key
        if not folder.is_dir():
            return None
        return {
            p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
        }

    def keep_result(self, key, result):
        path = self.state / "results" / f"{key}.pickle"
        handle, temporary = tempfile.mkstemp(prefix=".partial-", dir=path.parent)
        with open(handle, "wb") as out:
            pickle.dump(result, out)
        Path(temporary).replace(path)

    def result(self, key):
        """The JobResult kept for ``key``, or None. (Only the graders' account writes this folder.)"""
        path = self.state / "results" / f"{key}.pickle"
        if not path.exists():
            return None
        with open(path, "rb") as kept:
            return pickle.load(kept)  # written by this service alone, into its private folder

    def stage(self, key, kind, pages):
        """Keep ``pages`` ({<notebook>.html: bytes}) to release as feedback ``kind`` of ``key``."""
        (self.state / "outbox" / key).mkdir(exist_ok=True)
        self._atomically(self.state / "outbox" / key / kind, lambda folder: submission.write(pages, folder))

    def staged(self, key, kind):
        folder = self.state / "outbox" / key / kind
        return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}

    def unstage(self, key, kind):
        shutil.rmtree(self.state / "outbox" / key / kind, ignore_errors=True)

    def sweep_partial(self):
        """Remove what a kill left half written (``_atomically``'s temporary folders and files)."""
        for name in ("spool", "results", "outbox"):
            for path in (self.state / name).glob(".partial-*"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

    def kept_keys(self):
        """The keys of every submission something is kept for."""
        keys = {p.name for p in (self.state / "spool").iterdir() if not p.name.startswith(".")}
        keys |= {p.name for p in (self.state / "outbox").iterdir() if not p.name.startswith(".")}
        keys |= {p.name.removesuffix(".pickle") for p in (self.state / "results").glob("*.pickle")}
        return keys

    def discard(self, key):
        """Forget everything kept for ``key`` (it is recorded and released)."""
        shutil.rmtree(self.state / "spool" / key, ignore_errors=True)
        shutil.rmtree(self.state / "outbox" / key, ignore_errors=True)
        (self.state / "results" / f"{key}.pickle").unlink(missing_ok=True)

    # --- the actions -------------------------------------------------------------------------------------
    def record(self, files, result, submitted):
        """Write the counted ``result`` into the course gradebook and the course folders.

        ``files``: the submission's files; its timestamp.txt is the service's (``submitted``, a Unix
        time), as the gradebook records it.
        """
        outcome = result.outcome
        with Gradebook(self.db_url) as book:
            gradebook.record(book, outcome)
        faults.point("recorded-gradebook")
        files = {**files, "timestamp.txt": timestamp_text(submitted).encode()}
        for step, data in (
            ("submitted", files),
            ("autograded", result.graded),
            ("feedback", result.feedback),
        ):
            folder = self.root / step / outcome.student / outcome.assignment
            folder.parent.mkdir(parents=True, exist_ok=True)
            self._atomically(folder, lambda target, data=data: submission.write(data, target))
        faults.point("recorded-folders")

    def release(self, student, assignment, secret, timestamp, pages):
        """Release ``pages`` ({<notebook>.html: bytes}) as the feedback of one submission; raises ReleaseFailed."""
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
            if not result["success"]:
                raise ReleaseFailed(api_error(result))
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
