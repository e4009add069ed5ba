"""The exchange's inbound folder, where ``nbgrader submit`` and JupyterLab's Assignments tab put submissions.

Each submission is a folder ``<student>+<assignment>+<timestamp>+<random>`` (nbgrader's naming). The
service takes one only when it is complete: nbgrader writes submission_secret.txt last, after the
notebooks and timestamp.txt.
"""

import os
import pwd
import re
from dataclasses import dataclass
from pathlib import Path

#: nbgrader's submission secret: 64 random bytes, hex.
SECRET_LENGTH = 128
#: Student and assignment ids the service accepts (no path separators, no '+').
ID = re.compile(r"^[A-Za-z0-9_.@-]+$")


@dataclass(frozen=True)
class Submission:
    """One submission folder in the inbound folder."""

    key: str  # the folder's name: unique per submission
    student: str
    assignment: str
    timestamp: str  # nbgrader's timestamp.txt, e.g. "2026-11-22 16:20:01.123456 UTC"
    path: Path
    owner: str  # the Unix user who made the folder ("" if unknown)

    def files(self):
        """{path relative to the folder: bytes} of every file of the submission."""
        return {
            p.relative_to(self.path).as_posix(): p.read_bytes()
            for p in sorted(self.path.rglob("*"))
            if p.is_file() and ".ipynb_checkpoints" not in p.parts
        }

    @property
    def secret(self):
        return (self.path / "submission_secret.txt").read_text()


def inbound_path(exchange_root, course_id):
    """<exchange root>/<course id>/inbound."""
    return Path(exchange_root) / course_id / "inbound"


def scan(inbound, known=frozenset()):
    """The complete submissions in ``inbound`` whose names are not in ``known``, oldest name first.

    A folder that cannot be read yet (its files are still being written, or their permissions set)
    is left for the next scan.
    """
    try:
        names = sorted(os.listdir(inbound))
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        if name in known or name.endswith(".staging"):
            continue
        submission = read(Path(inbound) / name)
        if submission is not None:
            found.append(submission)
    return found


def read(path):
    """The Submission at ``path``, or None if it is not a complete submission folder (yet)."""
    parts = path.name.split("+")
    if len(parts) not in (3, 4) or not path.is_dir():
        return None
    student, assignment = parts[0], parts[1]
    try:
        secret = (path / "submission_secret.txt").read_text()
        timestamp = (path / "timestamp.txt").read_text().strip()
        uid = path.stat().st_uid
    except OSError:
        return None
    if len(secret) != SECRET_LENGTH:
        return None
    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = ""
    return Submission(path.name, student, assignment, timestamp, path, owner)


def refusal(submission, assignments, require_owner):
    """Why ``submission`` must not be graded, or '' (it names a real assignment and its own student)."""
    if not ID.match(submission.student) or not ID.match(submission.assignment):
        return f"malformed submission name {submission.key!r}"
    if submission.assignment not in assignments:
        return f"no assignment {submission.assignment!r} in this course"
    if require_owner and submission.owner != submission.student:
        return (
            f"submitted in the name of {submission.student!r} by the Unix user {submission.owner!r}: "
            "not graded"
        )
    return ""
