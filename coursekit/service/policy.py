"""The grading service's settings and policies, as traitlets set in nbgrader_config.py.

    c.GradingService.feedback_before_deadline = "score"   # full | score | public
    c.GradingService.max_attempts = 3                     # graded attempts per rolling window
    c.GradingService.attempt_window_hours = 24
    c.GradingService.counts = "best"                      # latest | best
    c.GradingService.workers = 2                          # grading processes on this machine

Deadlines are the assignments' due dates in the course gradebook (``nbgrader db assignment add
<assignment> --duedate=...``, or formgrader's "Manage Assignments"); a submission after its
assignment's due date is marked late there, as nbgrader always does.
"""

import os

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
            "What a student sees of a submission graded before the assignment's due date: 'full' "
            "(nbgrader's feedback page), 'score' (the score of each notebook only) or 'public' (which "
            "public checks passed, no score). After the due date the counted submission's full feedback "
            "is released. Without a due date, 'full' is used."
        ),
    ).tag(config=True)
    max_attempts = Int(
        0,
        help=(
            "Graded attempts per student and assignment within attempt_window_hours; 0: no limit. A "
            "submission over the limit is kept, and graded when an attempt frees up or at the due date; "
            "its feedback page says when."
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
            "The service's own folder (relative to the course directory): its ledger, TLS credentials, "
            "and the feedback it holds back until the due date. Keep it private to the graders."
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

    def state_path(self, root):
        """The service's folder, absolute."""
        return os.path.join(str(root), self.state_directory)


def service_config(root, **overrides):
    """The GradingService of the course at ``root`` (its nbgrader_config.py), with ``overrides``."""
    config = load_config(root)
    for name, value in overrides.items():
        setattr(config.GradingService, name, value)
    return GradingService(config=config)
