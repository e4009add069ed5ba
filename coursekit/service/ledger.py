"""The grading service's durable record: every submission it has seen, and what became of it.

One SQLite file in the service's folder, written by the service process only. A submission's state:

- ``queued``: to be graded (again after a restart, if it was in flight: grading is idempotent);
- ``deferred``: over the attempt limit; graded when ``not_before`` passes or at the due date;
- ``graded``: its result is recorded (and, if it counts, in the course gradebook);
- ``superseded``: a deferred submission replaced by a newer deferred one of the same student;
- ``refused``: not graded at all (``detail`` says why: e.g. submitted in another's name).

The course gradebook is written before a submission is marked ``graded`` here; a crash between the
two makes the service grade and record it again on restart, which writes the same scores over
themselves: nothing is counted twice.
"""

import sqlite3
import time
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    key TEXT PRIMARY KEY,            -- the inbound folder's name
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    timestamp TEXT NOT NULL,         -- nbgrader's timestamp of the submission
    seen REAL NOT NULL,              -- when the service first saw it (Unix time)
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,   -- 1: it used one of the student's graded attempts
    not_before REAL,                 -- deferred: when an attempt frees up
    graded REAL,                     -- when its result was recorded
    score REAL,
    max_score REAL,
    counts INTEGER NOT NULL DEFAULT 0,    -- the course gradebook holds this submission's scores
    full_released INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS by_student ON submissions (assignment, student);
"""


@dataclass
class Entry:
    key: str
    student: str
    assignment: str
    timestamp: str
    seen: float
    state: str
    attempt: int
    not_before: float | None
    graded: float | None
    score: float | None
    max_score: float | None
    counts: int
    full_released: int
    detail: str


class Ledger:
    """The service's submissions table (see the module's docstring)."""

    def __init__(self, path):
        self.db = sqlite3.connect(str(path), isolation_level=None)  # autocommit; explicit transactions
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self):
        self.db.close()

    def _entries(self, where="1", args=()):
        rows = self.db.execute(f"SELECT * FROM submissions WHERE {where} ORDER BY timestamp, key", args)
        return [Entry(*row) for row in rows]

    def keys(self):
        return {row[0] for row in self.db.execute("SELECT key FROM submissions")}

    def get(self, key):
        entries = self._entries("key = ?", (key,))
        return entries[0] if entries else None

    def add(self, submission, state, detail="", now=None):
        """Record a newly seen submission (nothing if already known)."""
        self.db.execute(
            "INSERT OR IGNORE INTO submissions (key, student, assignment, timestamp, seen, state, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                submission.key,
                submission.student,
                submission.assignment,
                submission.timestamp,
                time.time() if now is None else now,
                state,
                detail,
            ),
        )

    def set(self, key, **values):
        columns = ", ".join(f"{name} = ?" for name in values)
        self.db.execute(f"UPDATE submissions SET {columns} WHERE key = ?", (*values.values(), key))

    def in_state(self, state):
        return self._entries("state = ?", (state,))

    def of(self, student, assignment):
        """Every submission of a student to an assignment, oldest first."""
        return self._entries("student = ? AND assignment = ?", (student, assignment))

    def attempts_since(self, student, assignment, since):
        """The attempts ``student`` used on ``assignment`` since ``since``, oldest first (their times)."""
        rows = self.db.execute(
            "SELECT seen FROM submissions WHERE student = ? AND assignment = ? AND attempt = 1 AND seen >= ? "
            "ORDER BY seen",
            (student, assignment, since),
        )
        return [row[0] for row in rows]

    def counted(self, student, assignment):
        entries = self._entries("student = ? AND assignment = ? AND counts = 1", (student, assignment))
        return entries[0] if entries else None

    def mark_graded(self, key, score, max_score, counts, detail=""):
        """``key`` is recorded; if it ``counts``, it replaces the student's counted submission."""
        entry = self.get(key)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if counts:
                self.db.execute(
                    "UPDATE submissions SET counts = 0, full_released = 0 WHERE student = ? AND assignment = ?",
                    (entry.student, entry.assignment),
                )
            self.db.execute(
                "UPDATE submissions SET state = 'graded', graded = ?, score = ?, max_score = ?, counts = ?, "
                "detail = ? WHERE key = ?",
                (time.time(), score, max_score, int(counts), detail, key),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
