"""The exchange's inbound folder, where ``nbgrader submit`` and JupyterLab's Assignments tab put submissions.

Each submission is a folder ``<student>+<assignment>+<timestamp>+<random>`` (nbgrader's naming), which
a student can also make by hand: everything in it is read as data (``coursekit.submission``: regular
files only, never through a link, within caps). The service takes a folder once it is complete --
nbgrader writes submission_secret.txt last -- and keeps what it read (``Submission``): later changes
to the folder change nothing.

Looking costs little however many folders there are: the folder is listed again only when it
changed; a folder that is not complete yet (or not readable yet) is looked at again after a delay
that grows with its age (``Pending``), and one pass reads at most a time budget's worth of folders.
A folder whose name is not a submission's is ignored for good.
"""

import collections
import heapq
import os
import pwd
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from coursekit import submission as reader

#: nbgrader's submission secret: 64 random bytes, hex.
SECRET_LENGTH = 128
SECRET = "submission_secret.txt"
TIMESTAMP = "timestamp.txt"
#: Student and assignment ids the service accepts (no path separators, no '+').
ID = re.compile(r"[A-Za-z0-9_.@-]+")
_HEX = frozenset(b"0123456789abcdef")
#: A listing of a folder whose change time is this recent is not trusted to be complete: two changes
#: within one tick of the file system's clock have the same change time.
RACY_S = 1.0
#: Longest wait between two looks at a folder that is not complete yet.
PENDING_LIMIT_S = 30.0


@dataclass(frozen=True)
class Submission:
    """A complete submission, as read: who, what, when (the service's time) and its files."""

    key: str  # the folder's name: unique per submission
    student: str
    assignment: str
    owner: str  # the Unix user who made the folder ("" if unknown)
    secret: str
    claimed: str  # what its timestamp.txt says: shown, never trusted
    submitted: float  # the service's time: the folder's last change, at most when it was first seen
    files: dict = field(
        repr=False
    )  # {relative path: bytes}, submission_secret.txt and timestamp.txt included
    refused: tuple = ()  # coursekit.submission.Refusal of what was not read

    @property
    def size(self):
        return sum(len(data) for data in self.files.values())


@dataclass(frozen=True)
class Unreadable:
    """A folder that cannot be graded at all: its name, who it names, and why."""

    key: str
    student: str
    assignment: str
    reason: str


@dataclass
class Pending:
    """A folder not taken yet: first listed at ``first``, next looked at ``next``, looked at ``looks`` times."""

    first: float
    next: float
    looks: int = 0
    reason: str = ""


def inbound_path(exchange_root, course_id):
    """<exchange root>/<course id>/inbound."""
    return Path(exchange_root) / course_id / "inbound"


def parse_name(name):
    """(student, assignment) of a submission folder's name, or None if it is not nbgrader's naming."""
    parts = name.split("+")
    if len(parts) not in (3, 4) or name.endswith(".staging"):  # .staging: PrivateSubmit still copying
        return None
    return parts[0], parts[1]


def refusal(submission, assignments, require_owner):
    """Why ``submission`` must not be graded, or '' (it names a real assignment and its own student)."""
    if not (
        ID.fullmatch(submission.student)
        and ID.fullmatch(submission.assignment)
        and submission.key.isprintable()
    ):
        return f"malformed submission name {reader.shown(submission.key)!r}"
    if submission.assignment not in assignments:
        return f"no assignment {submission.assignment!r} in this course"
    if require_owner and submission.owner != submission.student:
        return (
            f"submitted in the name of {submission.student!r} by the Unix user {submission.owner!r}: "
            "not graded"
        )
    return ""


def read(folder, limits, now, give_up):
    """What the folder ``folder`` is at ``now``: a Submission, an Unreadable, or a Pending reason (str).

    ``give_up``: whether files that cannot be read yet (permissions still being set) should now be
    taken as refused (the submission is graded without them) instead of looked at again later.
    """
    folder = Path(folder)
    student, assignment = parse_name(folder.name)
    try:
        info = os.stat(folder / SECRET, follow_symlinks=False)
    except FileNotFoundError:
        return "not complete yet"  # nbgrader writes the secret last
    except OSError as error:  # the folder is not readable yet, or not a folder
        return f"cannot be read yet ({error.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return Unreadable(folder.name, student, assignment, f"{SECRET} is not a file: not graded")
    try:
        snapshot = reader.read(folder, limits)
    except reader.FolderUnreadable as error:
        if error.transient and not give_up:
            return error.reason
        return Unreadable(folder.name, student, assignment, error.reason)
    if snapshot.transient and not give_up:
        return "; ".join(r.message for r in snapshot.refused if r.transient)
    secret = snapshot.files.get(SECRET)
    if secret is None:
        why = next((r.message for r in snapshot.refused if r.path == SECRET), f"{SECRET} was not read")
        return Unreadable(folder.name, student, assignment, why)
    if len(secret) < SECRET_LENGTH and set(secret) <= _HEX:
        return "not complete yet"  # still being written
    if len(secret) != SECRET_LENGTH or not set(secret) <= _HEX:
        return Unreadable(folder.name, student, assignment, f"{SECRET} is not nbgrader's: not graded")
    try:
        owner = pwd.getpwuid(snapshot.owner).pw_name
    except KeyError:
        owner = ""
    return Submission(
        folder.name,
        student,
        assignment,
        owner,
        secret.decode("ascii"),
        reader.text(snapshot.files.get(TIMESTAMP, b""), 64),
        min(now, snapshot.changed),
        snapshot.files,
        tuple(r for r in snapshot.refused),
    )


class Inbox:
    """The inbound folder as the service looks at it, pass after pass (see the module's docstring).

    ``known``: folder names already taken (the ledger's); ``poll``: the service's poll interval, the
    shortest wait before a pending folder is looked at again; ``give_up_s``: how long a folder with
    files that cannot be read yet is read again.
    """

    def __init__(self, inbound, limits, known=(), poll=0.5, give_up_s=600.0):
        self.inbound, self.limits = Path(inbound), limits
        self.known = set(known)
        self.poll, self.give_up_s = poll, give_up_s
        self.pending = {}  # name -> Pending
        self.notices = []  # what the service should log: a folder that cannot be read yet, once per reason
        self._listed = None  # (the folder's change time, when) of the last listing
        self._fresh = collections.deque()  # names never looked at, in the order they were listed
        self._due = []  # heap of (when due, name) of the folders looked at before

    def take(self, name):
        """``name`` is taken (or refused) for good: never looked at again."""
        self.known.add(name)
        self.pending.pop(name, None)

    def look(self, now, budget_s):
        """One pass at ``now``: [Submission | Unreadable] of the folders taken in it.

        Reads folders for at most ``budget_s`` seconds (the rest wait for the next pass): those never
        looked at first, then those due longest.
        """
        self._list(now)
        deadline = time.monotonic() + budget_s
        found = []
        while self._fresh or (self._due and self._due[0][0] <= now):
            if time.monotonic() > deadline:
                break
            name = self._fresh.popleft() if self._fresh else heapq.heappop(self._due)[1]
            waiting = self.pending.get(name)
            if waiting is None or (waiting.looks and waiting.next > now):
                continue  # gone, or queued twice
            result = read(self.inbound / name, self.limits, now, now - waiting.first >= self.give_up_s)
            if isinstance(result, str):
                if result != waiting.reason and result != "not complete yet":
                    self.notices.append(f"{reader.shown(name)}: {result}; looked at again")
                waiting.reason, waiting.looks = result, waiting.looks + 1
                waiting.next = now + min(PENDING_LIMIT_S, max(self.poll, (now - waiting.first) / 4))
                heapq.heappush(self._due, (waiting.next, name))
                continue
            self.take(name)
            found.append(result)
        return found

    def _list(self, now):
        """Add the folder's new entries to ``pending``; only when the folder changed since the last listing."""
        try:
            changed = os.stat(self.inbound).st_mtime_ns
        except OSError:
            return
        # Skip when the last listing saw this very version of the folder, and was made well after its
        # last change (the file system's clock has ticks: two changes in one tick look alike).
        if self._listed and self._listed[0] == changed and self._listed[1] - changed / 1e9 > RACY_S:
            return
        started = time.time()
        try:
            names = set(os.listdir(self.inbound))
        except OSError:
            return
        self._listed = (changed, started)
        for name in names - self.known - set(self.pending):
            if parse_name(name) is None:
                if not name.endswith(".staging"):
                    self.known.add(name)  # not a submission: never looked at again
                continue
            self.pending[name] = Pending(now, now)
            self._fresh.append(name)
        for name in set(self.pending) - names:  # removed before it was complete
            del self.pending[name]
