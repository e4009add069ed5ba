"""The grading service's settings and policies: traitlets set in nbgrader_config.py, and pure functions.

    c.GradingService.feedback_before_deadline = "score"   # full | score | public
    c.GradingService.max_attempts = 3                     # graded attempts per rolling window
    c.GradingService.attempt_window_hours = 24
    c.GradingService.counts = "best"                      # latest | best
    c.GradingService.workers = 2                          # grading processes on this machine

Deadlines are the assignments' due dates in the course gradebook (``nbgrader db assignment add
<assignment> --duedate=...``, or formgrader's "Manage Assignments"), plus a student's extension
there (``coursekit.gradebook.Deadline``). A submission's time is the service's: when its folder last
changed (the change time of the folder and of every file in it, which no user can set back), and
never later than when the service first saw it -- never the student's own ``timestamp.txt``. Times
are compared as instants (Unix times), never as text.

The policies are pure functions of plain values (``admission``, ``counts``, ``feedback_mode``,
``backoff``), so that each is tested on made-up data; ``coursekit.service.serve`` applies them.
"""

import os
from dataclasses import dataclass

from traitlets import Bool, Enum, Float, Int, Unicode
from traitlets.config import LoggingConfigurable

from coursekit.course import load_config

FEEDBACK_MODES = ("full", "score", "public")


class GradingService(LoggingConfigurable):
    """Grades each submission as it arrives and releases the student's feedback (coursekit.service)."""

    feedback_before_deadline = Enum(
        FEEDBACK_MODES,
        default_value="full",
        help=(
            "What a student sees of a submission graded before their due date (the assignment's, plus "
            "their extension): 'full' (nbgrader's feedback page), 'score' (the score of each notebook "
            "only) or 'public' (which public checks passed, no score). After the due date the counted "
            "submission's full feedback is released. Without a due date, 'full' is used."
        ),
    ).tag(config=True)
    max_attempts = Int(
        0,
        help=(
            "Graded attempts per student and assignment within attempt_window_hours; 0: no limit. A "
            "submission over the limit is kept, and graded when an attempt frees up or at the due date; "
            "its feedback page says when. A newer submission replaces one that waits."
        ),
    ).tag(config=True)
    attempt_window_hours = Float(24.0, help="The rolling window of max_attempts, in hours.").tag(config=True)
    counts = Enum(
        ("latest", "best"),
        default_value="latest",
        help=(
            "Which graded submission the gradebook holds: the 'latest', or the 'best' scoring one "
            "(a late submission counts for 'best' only when none came before the due date)."
        ),
    ).tag(config=True)
    workers = Int(
        -1,
        help=(
            "Grading processes the service starts on this machine; -1: one per core. 0: none, when "
            "workers on other machines take the jobs (python -m coursekit worker)."
        ),
    ).tag(config=True)
    scheduler_address = Unicode(
        "tls://127.0.0.1:0",
        help=(
            "Where the task queue's scheduler listens (dask.distributed, TLS only). The default takes a "
            "free port on this machine only; e.g. 'tls://0.0.0.0:8786' lets workers on other machines in."
        ),
    ).tag(config=True)
    state_directory = Unicode(
        "grading_service",
        help=(
            "The service's own folder (relative to the course directory): its ledger, lock, TLS "
            "credentials, the submissions it took from the exchange and the feedback it has still to "
            "release. Keep it private to the graders."
        ),
    ).tag(config=True)
    poll_interval = Float(0.5, help="Seconds between two looks at the exchange's inbound folder.").tag(
        config=True
    )
    require_owner = Bool(
        True,
        help=(
            "Grade a submission only if the Unix user who owns its folder in the exchange is the student "
            "it names, so that nobody can submit in another's name. Turn off only where every student's "
            "server runs as one Unix user and the exchange is not writable by students directly."
        ),
    ).tag(config=True)
    job_time_limit = Float(
        1800.0,
        help=(
            "Seconds one job may take on a worker before the service gives up on that worker: the "
            "worker is restarted and the job queued again (after 3 such failures its feedback says "
            "grading failed). Longer than every cell's time limit together (GuardedExecute.timeout "
            "interrupts each cell); it catches a worker that hangs without dying."
        ),
    ).tag(config=True)
    queue_limit_mb = Float(
        256.0,
        help=(
            "Most bytes of submissions handed to the task queue at once, in MiB (at least one job always "
            "goes); the others wait on disk, in the service's folder."
        ),
    ).tag(config=True)
    retry_limit_seconds = Float(
        60.0,
        help=(
            "Longest wait between two tries of something that failed for a reason that may pass (the "
            "gradebook locked or unreachable, the exchange not writable): the wait doubles from 1 s up "
            "to this, and every try is logged."
        ),
    ).tag(config=True)
    unreadable_minutes = Float(
        10.0,
        help=(
            "How long a submission folder with files that cannot be read (yet) is read again; then it "
            "is graded with what could be read, its page saying what was not."
        ),
    ).tag(config=True)
    certificate_renewal_days = Int(
        30,
        help=(
            "The service renews its TLS certificate (from its own certificate authority) at start when "
            "fewer days than this are left; workers on other machines need a copy of tls/ made since."
        ),
    ).tag(config=True)

    def state_path(self, root):
        """The service's folder, absolute."""
        return os.path.join(str(root), self.state_directory)


def service_config(root, **overrides):
    """The GradingService of the course at ``root`` (its nbgrader_config.py), with ``overrides``."""
    config = load_config(root)
    for name, value in overrides.items():
        setattr(config.GradingService, name, value)
    return GradingService(config=config)


# --- the policies, as pure functions ---------------------------------------------------------------------
def admission(attempts, now, limit, window, deadline_passed):
    """Whether a submission may be graded now: (True, None), or (False, when an attempt frees up).

    ``attempts``: the Unix times at which the student's graded attempts on the assignment were taken
    (queued for grading); ``limit``: max_attempts (0: none); ``window``: its rolling window, in
    seconds. After the due date there is no limit.
    """
    if not limit or deadline_passed:
        return True, None
    recent = sorted(t for t in attempts if t > now - window)
    if len(recent) < limit:
        return True, None
    return False, recent[len(recent) - limit] + window


@dataclass(frozen=True)
class Graded:
    """What the counting rule needs of one graded submission."""

    key: str
    submitted: float  # the service's time of the submission (Unix time)
    score: float
    late: bool


def counts(rule, candidate, current):
    """Whether ``candidate`` replaces ``current`` (None: nothing counted yet) as the counted submission.

    ``latest``: the newer submission counts. ``best``: an on-time submission beats a late one; among
    on-time ones the higher score, then the newer; among late ones the newer. Newer is decided by the
    submissions' times, then their keys: never by which job finished last.
    """
    if current is None or current.key == candidate.key:
        return True
    newer = (candidate.submitted, candidate.key) > (current.submitted, current.key)
    if rule == "latest":
        return newer
    if candidate.late != current.late:
        return current.late
    if candidate.late:
        return newer
    return candidate.score > current.score or (candidate.score == current.score and newer)


def feedback_mode(before_deadline, has_deadline, deadline_passed):
    """What a student sees of a submission graded now: ``before_deadline``, or 'full' without a due
    date or after it."""
    return before_deadline if has_deadline and not deadline_passed else "full"


def backoff(tries, limit):
    """Seconds to wait before try number ``tries + 1`` of something that failed ``tries`` times: 1, 2, 4, ... up to ``limit``."""
    return min(float(limit), 2.0 ** max(0, tries - 1))
