"""The grading service's durable record: every submission it has seen, what became of it, and what is left to do.

One SQLite file in the service's folder (``ledger.db``), written by the service process only (the
lock of ``coursekit.service.serve`` sees to that). A submission's ``state``:

- ``queued``: to be graded (again after a restart, if it was in flight: grading is idempotent);
- ``deferred``: over the attempt limit; graded when ``not_before`` passes or at the due date;
- ``graded``: its result is decided: its score, whether it ``counts`` (the course gradebook holds
  it, or will), the feedback ``mode`` released;
- ``superseded``: a waiting submission replaced by a newer one of the same student;
- ``refused``: not graded at all (``detail`` says why: e.g. submitted in another's name).

What is left to do after a decision is the **outbox** table: one row per action -- ``record`` (write
the counted result into the course gradebook and folders) and ``release:<kind>`` (put a feedback page
into the exchange: ``deferred``, ``now``, ``full`` at the due date) -- each done, retried after a
failure (``tries``, ``not_before``, ``error``), and deleted when done. A decision and the actions it
implies are written in one transaction, so a crash leaves either neither or both; every action is
idempotent (writing the same scores or the same page again changes nothing), so a crash after an
action and before its row is deleted costs doing it again, never counting it twice.
"""

import sqlite3
import time
from contextlib import contextmanager

#: The layout version (PRAGMA user_version). 1: the first grading service (no outbox).
VERSION = 2

SUBMISSIONS = """
CREATE TABLE IF NOT EXISTS submissions (
    key TEXT PRIMARY KEY,            -- the inbound folder's name
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    timestamp TEXT NOT NULL,         -- what the student's timestamp.txt claims: shown, never trusted
    seen REAL NOT NULL,              -- when the service first saw it complete (Unix time)
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,   -- 1: it used one of the student's graded attempts
    not_before REAL,                 -- deferred: when an attempt frees up
    graded REAL,                     -- when its result was decided
    score REAL,
    max_score REAL,
    counts INTEGER NOT NULL DEFAULT 0,    -- the course gradebook holds (or is to hold) its scores
    full_released INTEGER NOT NULL DEFAULT 0,   -- version 1 only: the outbox says it now
    detail TEXT NOT NULL DEFAULT ''
)
"""
INDEX = "CREATE INDEX IF NOT EXISTS by_student ON submissions (assignment, student)"
#: Columns added by version 2: name -> definition.
VERSION_2_COLUMNS = {
    "submitted": "REAL",  # the service's time of the submission: its folder's last change, at most `seen`
    "attempt_at": "REAL",  # when it took its graded attempt (queued for grading)
    "secret": "TEXT NOT NULL DEFAULT ''",  # its submission_secret.txt: its feedback is released under it
    "bytes": "INTEGER NOT NULL DEFAULT 0",  # the size of what was read of it
    "late": "INTEGER NOT NULL DEFAULT 0",
    "mode": "TEXT NOT NULL DEFAULT ''",  # the feedback released when it was graded: full | score | public
    "tries": "INTEGER NOT NULL DEFAULT 0",  # gradings given up on (worker killed, time limit)
    "refused": "TEXT NOT NULL DEFAULT '[]'",  # JSON [[path, reason]]: what was not read of the folder
}
OUTBOX = """
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT NOT NULL,
    action TEXT NOT NULL,            -- record | release:deferred | release:now | release:full
    not_before REAL NOT NULL DEFAULT 0,   -- not tried before (a due date, or a retry's backoff)
    tries INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (key, action)
);
"""


class Entry:
    """One row of the submissions table, its columns as attributes."""

    def __init__(self, row):
        self.__dict__.update(dict(row))

    def __repr__(self):
        return f"Entry({self.__dict__!r})"


class Action:
    """One row of the outbox."""

    def __init__(self, row):
        self.key, self.action, self.not_before, self.tries, self.error = row


class Ledger:
    """The service's submissions table and outbox (see the module's docstring)."""

    def __init__(self, path):
        # autocommit (explicit transactions); one thread at a time, not necessarily the one that opened it
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self):
        """Create the tables, or bring a ledger of an earlier version up to this one (in one transaction)."""
        with self.transaction():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            earlier = bool(self.db.execute("PRAGMA table_info(submissions)").fetchall())
            self.db.execute(SUBMISSIONS)
            self.db.execute(INDEX)
            columns = {row["name"] for row in self.db.execute("PRAGMA table_info(submissions)")}
            for name, definition in VERSION_2_COLUMNS.items():
                if name not in columns:
                    self.db.execute(f"ALTER TABLE submissions ADD COLUMN {name} {definition}")
            self.db.execute(OUTBOX)
            if earlier and version < 2:
                # Version 1 knew no submission time but the student's own: the service's first look
                # is the closest it knew; attempts were counted from it too.
                self.db.execute("UPDATE submissions SET submitted = seen WHERE submitted IS NULL")
                self.db.execute(
                    "UPDATE submissions SET attempt_at = seen WHERE attempt = 1 AND attempt_at IS NULL"
                )
                self.db.execute("UPDATE submissions SET mode = 'full' WHERE state = 'graded' AND mode = ''")
            self.db.execute(f"PRAGMA user_version = {VERSION}")

    def close(self):
        self.db.close()

    @contextmanager
    def transaction(self):
        """Everything written inside is written together, or not at all."""
        if self.db.in_transaction:  # nested: part of the enclosing one
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- reading ------------------------------------------------------------------------------------
    def _entries(self, where="1", args=()):
        rows = self.db.execute(f"SELECT * FROM submissions WHERE {where} ORDER BY submitted, key", args)
        return [Entry(row) for row in rows]

    def keys(self):
        return {row[0] for row in self.db.execute("SELECT key FROM submissions")}

    def get(self, key):
        entries = self._entries("key = ?", (key,))
        return entries[0] if entries else None

    def in_state(self, state):
        """Every submission in ``state``, oldest first (by the service's time)."""
        return self._entries("state = ?", (state,))

    def of(self, student, assignment):
        """Every submission of a student to an assignment, oldest first."""
        return self._entries("student = ? AND assignment = ?", (student, assignment))

    def attempts(self, student, assignment):
        """When each graded attempt of ``student`` on ``assignment`` was taken (Unix times), oldest first."""
        rows = self.db.execute(
            "SELECT attempt_at FROM submissions WHERE student = ? AND assignment = ? AND attempt = 1 "
            "ORDER BY attempt_at",
            (student, assignment),
        )
        return [row[0] for row in rows]

    def counted(self, student, assignment):
        entries = self._entries("student = ? AND assignment = ? AND counts = 1", (student, assignment))
        return entries[0] if entries else None

    def actions(self, now=None, key=None):
        """Outbox rows due at ``now`` (all if None), or those of ``key``, in the order they were added."""
        where, args = ("not_before <= ?", (now,)) if now is not None else ("1", ())
        if key is not None:
            where, args = f"{where} AND key = ?", (*args, key)
        return [
            Action(row) for row in self.db.execute(f"SELECT * FROM outbox WHERE {where} ORDER BY rowid", args)
        ]

    # --- writing ------------------------------------------------------------------------------------
    def add(self, submission, state, now, detail="", **values):
        """Record a newly seen submission (nothing if already known); ``values``: other columns."""
        columns = {
            "key": submission.key,
            "student": submission.student,
            "assignment": submission.assignment,
            "timestamp": getattr(submission, "claimed", ""),
            "seen": now,
            "submitted": getattr(submission, "submitted", now),
            "secret": getattr(submission, "secret", ""),
            "bytes": getattr(submission, "size", 0),
            "state": state,
            "detail": detail,
            **values,
        }
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        self.db.execute(
            f"INSERT OR IGNORE INTO submissions ({names}) VALUES ({marks})", tuple(columns.values())
        )

    def set(self, key, **values):
        columns = ", ".join(f"{name} = ?" for name in values)
        self.db.execute(f"UPDATE submissions SET {columns} WHERE key = ?", (*values.values(), key))

    def decide(self, key, score, max_score, counts, late, mode, actions, now=None):
        """Mark ``key`` graded with its result and queue ``actions`` ({action: not_before}), in one transaction.

        If it ``counts``, it replaces the student's counted submission (whose pending ``record``, if
        any, is dropped: the gradebook is to hold the new one).
        """
        entry = self.get(key)
        with self.transaction():
            if counts:
                for other in self.of(entry.student, entry.assignment):
                    if other.counts and other.key != key:
                        self.set(other.key, counts=0)
                        self.done(other.key, "record")
            self.set(
                key,
                state="graded",
                graded=time.time() if now is None else now,
                score=score,
                max_score=max_score,
                counts=int(counts),
                late=int(late),
                mode=mode,
            )
            for action, not_before in actions.items():
                self.plan(key, action, not_before)

    def plan(self, key, action, not_before=0.0):
        """Queue an outbox action (a row already there keeps its retries)."""
        self.db.execute(
            "INSERT OR IGNORE INTO outbox (key, action, not_before) VALUES (?, ?, ?)",
            (key, action, not_before),
        )

    def postpone(self, key, action, not_before, error=""):
        """A try of ``action`` failed with ``error`` (or must wait): try again at ``not_before``."""
        self.db.execute(
            "UPDATE outbox SET not_before = ?, tries = tries + ?, error = ? WHERE key = ? AND action = ?",
            (not_before, 1 if error else 0, error, key, action),
        )

    def done(self, key, action):
        self.db.execute("DELETE FROM outbox WHERE key = ? AND action = ?", (key, action))
