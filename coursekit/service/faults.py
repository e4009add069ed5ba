"""Fault points: named places in the service where a test can make it die, as a kill would.

The service calls ``point(name)`` between the steps that take a graded submission to its released
feedback (see ``POINTS``). Nothing happens unless a point is armed: by a test in the same process
(``arm``: the point raises ``Crash``, which nothing in the service catches), or for a service in its
own process by the environment variable ``COURSEKIT_SERVICE_FAULT=<name>`` (the process ends at
once with status ``EXIT_STATUS``, without cleaning up: as SIGKILL would leave it). Tests then start
the service again and check the gradebook, the ledger and the student's page.
"""

import os

#: The environment variable that arms a point in a service process.
VARIABLE = "COURSEKIT_SERVICE_FAULT"
#: The exit status of a process that died at an armed point.
EXIT_STATUS = 70
#: Every point, in the order a submission passes them.
POINTS = (
    "received",  # a worker's result kept on disk
    "decided",  # the ledger says graded, counts or not, and what is left to do
    "recorded-gradebook",  # the course gradebook holds the scores
    "recorded-folders",  # submitted/, autograded/ and feedback/ hold the submission
    "recorded",  # the ledger knows it is recorded
    "released-page",  # the page is in the exchange
    "released",  # the ledger knows it is released
)
_armed = set()


class Crash(BaseException):
    """An armed fault point was reached (in-process tests): the service stops here, as if killed."""


def arm(name):
    """Make ``point(name)`` crash in this process (until ``disarm``)."""
    assert name in POINTS, name
    _armed.add(name)


def disarm():
    _armed.clear()


def point(name):
    """A fault point: nothing, unless ``name`` is armed."""
    if name in _armed:
        _armed.discard(name)
        raise Crash(name)
    if os.environ.get(VARIABLE) == name:
        os._exit(EXIT_STATUS)
