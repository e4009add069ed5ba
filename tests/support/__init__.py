"""What the tests share, imported as ``tests.support`` (pytest puts the repository on the import path).

- this module: the repository's root (``REPO``), the one polling helper (``wait_until``) and
  ``free_port``;
- ``tests.support.course``: throw-away nbgrader courses, submissions, mutations and their scores;
- ``tests.support.users``: the real Unix users of the exchange and service tests;
- ``tests.support.postgres``: a throw-away PostgreSQL server;
- ``tests.support.report_class``: a graded class with planted mistakes (report and LMS tests).

Fixtures live in the conftest.py files next to the tests that use them.
"""

import socket
import time
from pathlib import Path

#: The repository's root folder (the checkout under test).
REPO = Path(__file__).resolve().parents[2]
#: Seconds between two looks at a condition: short against what the tests wait for (a kernel, a
#: grading, a server start), long enough not to load the machine.
POLL_INTERVAL = 0.1


class TimedOut(AssertionError):
    """A condition that ``wait_until`` waited for did not come true in time."""


def wait_until(condition, what, timeout, interval=POLL_INTERVAL, details=lambda: "", alive=None):
    """Wait until ``condition()`` returns a true value; return that value.

    Looks every ``interval`` seconds, for at most ``timeout`` seconds, then fails naming ``what`` and
    showing ``details()`` (e.g. the tail of a server's log). ``alive``, if given, is called on every look
    and fails the wait at once when it returns a message (e.g. "exited with 1": the server died), so
    that a test never waits out its whole timeout for a process that is gone.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        gone = alive() if alive else None
        if gone:
            raise TimedOut(f"{what}: {gone}\n{details()}")
        if time.monotonic() >= deadline:
            raise TimedOut(f"{what}: not in {timeout} s\n{details()}")
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
