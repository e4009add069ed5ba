"""The grading service's loop: inbound folder -> ledger -> task queue -> gradebook and feedback.

Each pass: take new complete submissions from the exchange's inbound folder into the ledger (queued,
deferred over the attempt limit, or refused); hand queued ones to the task queue as jobs carrying their
files; record each finished job (``outbox``); release held-back full feedback once a due date has
passed. Stopped by SIGTERM or SIGINT: jobs in flight are simply not recorded, and the next start
queues them again.
"""

import asyncio
import html
import os
import signal
import stat
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from coursekit import course, feedback
from coursekit.gradebook import ensure_assignments
from coursekit.service import engine, inbox, jobs
from coursekit.service.ledger import Ledger
from coursekit.service.outbox import Outbox, due_date, is_late, max_scores, pages_for, scores
from coursekit.service.policy import GradingService
from coursekit.workers import CanaryFailed


def _utc(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


class Service:
    """The grading service of the course at ``root`` with ``settings`` (a GradingService)."""

    def __init__(self, root, settings=None, stream=sys.stdout):
        self.root = Path(root).resolve()
        config = course.load_config(self.root)
        self.settings = settings or GradingService(config=config)
        self.stream = stream
        self.state = Path(self.settings.state_path(self.root))
        self.state.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state, stat.S_IRWXU | stat.S_IRWXG)  # the graders' only
        self.inbound = inbox.inbound_path(config.Exchange.root, config.CourseDirectory.course_id)
        self.assignments = set(course.assignments(self.root))
        self.db_url = course.gradebook_url(self.root)
        self.outbox = Outbox(self.root, self.state, self.db_url)
        self.ledger = None
        self.in_flight = {}  # key -> (future, Job)
        self._dues = {}
        self.stopping = False
        self.client = self.cluster = None

    # --- running ---------------------------------------------------------------------------------
    def run(self):
        """Serve until ``stop()`` (SIGTERM); raises CanaryFailed if a worker's environment is broken."""
        with course.nbgrader_environment():
            ensure_assignments(course.nbgrader_api(self.root), sorted(self.assignments))
            self.ledger = Ledger(self.state / "ledger.db")
            n_workers = self.settings.workers if self.settings.workers >= 0 else (os.cpu_count() or 1)
            self.client, self.cluster = engine.start(
                self.root, self.settings.scheduler_address, n_workers, self.state / "tls"
            )
            start = time.perf_counter()
            # Canaries first, on every worker (and on each that joins later): a broken grading
            # environment shows at once, and no student's job waits for one.
            self.client.register_plugin(jobs.warm_up_plugin(sorted(self.assignments)))
            self.log(
                f"serving {self.inbound} with {n_workers} local worker(s), canaries run in "
                f"{time.perf_counter() - start:.1f} s; scheduler {self.cluster.scheduler_address}"
            )
            try:
                while not self.stopping:
                    self.step()
                    self.wait()
            finally:
                self.log(f"stopping: {len(self.in_flight)} job(s) in flight stay queued for the next start")
                self.client.close()
                self.cluster.close()
                self.ledger.close()

    def stop(self, *_):
        self.stopping = True

    def log(self, message):
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
        print(f"{stamp} {message}", file=self.stream, flush=True)

    def wait(self):
        from distributed import wait

        futures = [future for future, _ in self.in_flight.values()]
        if futures:
            try:
                wait(futures, timeout=self.settings.poll_interval, return_when="FIRST_COMPLETED")
            except (TimeoutError, asyncio.TimeoutError):  # distinct classes before Python 3.11
                pass
        else:
            time.sleep(self.settings.poll_interval)

    def step(self, now=None):
        """One pass: admit new submissions, free deferred ones, dispatch, record, release."""
        now = time.time() if now is None else now
        self._dues = {}  # due dates read once per pass: the instructor may change them any time
        for submission in inbox.scan(self.inbound, self.ledger.keys()):
            self.admit(submission, now)
        self.undefer(now)
        self.dispatch()
        for key, (future, job) in list(self.in_flight.items()):
            if future.done():
                del self.in_flight[key]
                self.finish(future, job)
        self.release_due(now)

    # --- admitting -------------------------------------------------------------------------------
    def admit(self, submission, now):
        refusal = inbox.refusal(submission, self.assignments, self.settings.require_owner)
        if refusal:
            self.ledger.add(submission, "refused", refusal, now=now)
            self.log(f"refused {submission.key}: {refusal}")
            return
        limit = self.settings.max_attempts
        due = self.due(submission.assignment)
        window = self.settings.attempt_window_hours * 3600
        limited = limit and not self.past(due, now)
        used = self.ledger.attempts_since(submission.student, submission.assignment, now - window)
        if not limited or len(used) < limit:
            self.ledger.add(submission, "queued", now=now)
            self.ledger.set(submission.key, attempt=1)
            return
        not_before = used[0] + window
        if due is not None:
            not_before = min(not_before, due.replace(tzinfo=timezone.utc).timestamp())
        for older in self.ledger.of(submission.student, submission.assignment):
            if older.state == "deferred":
                self.ledger.set(older.key, state="superseded", detail=f"replaced by {submission.key}")
        self.ledger.add(submission, "deferred", now=now)
        self.ledger.set(submission.key, not_before=not_before)
        pages = {
            f"{name}.html": feedback.deferred_page(name, _utc(not_before)).encode()
            for name in (
                n.removesuffix(".ipynb") for n in course.notebook_names(submission.assignment, self.root)
            )
        }
        error = self.outbox.release(
            submission.student, submission.assignment, submission.secret, submission.timestamp, pages
        )
        self.log(
            f"deferred {submission.student}/{submission.assignment} ({submission.timestamp}): "
            f"{len(used)} graded attempt(s) in {self.settings.attempt_window_hours:g} h; graded at "
            f"{_utc(not_before)}" + (f"; feedback release failed: {error}" if error else "")
        )

    def undefer(self, now):
        """Queue each deferred submission whose attempt has freed up, or whose due date has passed."""
        for entry in self.ledger.in_state("deferred"):
            due = self.due(entry.assignment)
            if (entry.not_before is not None and entry.not_before <= now) or self.past(due, now):
                self.ledger.set(entry.key, state="queued", attempt=1)

    def due(self, assignment):
        """The assignment's due date in the course gradebook (naive UTC) or None; read once per pass."""
        if assignment not in self._dues:
            self._dues[assignment] = due_date(self.db_url, assignment)
        return self._dues[assignment]

    @staticmethod
    def past(due, now):
        """Whether the due date ``due`` (naive UTC, or None) has passed at Unix time ``now``."""
        return due is not None and now >= due.replace(tzinfo=timezone.utc).timestamp()

    def dispatch(self):
        for entry in self.ledger.in_state("queued"):
            if entry.key in self.in_flight:
                continue
            submission = inbox.read(self.inbound / entry.key)
            if submission is None:
                self.ledger.set(entry.key, state="refused", detail="the submission folder is gone")
                self.log(f"refused {entry.key}: the submission folder is gone")
                continue
            job = jobs.Job(entry.key, entry.student, entry.assignment, submission.files())
            # The key names the job in the queue: the same submission is never queued twice.
            future = self.client.submit(jobs.grade, job, key=f"grade-{entry.key}", pure=False)
            self.in_flight[entry.key] = (future, job)

    # --- recording -------------------------------------------------------------------------------
    def finish(self, future, job):
        from distributed import KilledWorker

        entry = self.ledger.get(job.key)
        if entry is None or entry.state == "graded":
            return  # recorded already: nothing is counted twice
        error = future.exception()
        if isinstance(error, CanaryFailed):
            raise error
        if error is not None:
            reason = (
                f"the grading process died {engine.ALLOWED_FAILURES} times on this submission"
                if isinstance(error, KilledWorker)
                else f"grading failed: {type(error).__name__}: {error}"
            )
            self.explain_failure(entry, job, reason)
            return
        result = future.result()
        outcome = result.outcome
        maxima = max_scores(self.db_url, job.assignment)
        _, total, maximum = scores(outcome, maxima)
        due = self.due(job.assignment)
        late = is_late(entry.timestamp, due)
        counts = self.counts(entry, total, late, due)
        if counts:
            self.outbox.record(job.files, result)
        mode = self.mode(due)
        note = self.note(entry, total, maximum, late, counts, mode)
        pages = pages_for(mode, result, maxima, note)
        if mode != "full":
            self.outbox.keep(
                job.key,
                pages_for("full", result, maxima, self.note(entry, total, maximum, late, counts, "full")),
            )
        release_error = self.outbox.release(
            job.student, job.assignment, job.files["submission_secret.txt"].decode(), entry.timestamp, pages
        )
        self.ledger.mark_graded(job.key, total, maximum, counts, detail=release_error)
        problems = "; ".join(p.message for p in outcome.explained)
        self.log(
            f"graded {job.student}/{job.assignment} ({entry.timestamp}{', late' if late else ''}): "
            f"{total:g}/{maximum:g} in {outcome.seconds:.1f} s on {result.worker}; "
            f"{'counts' if counts else 'does not count'}; feedback: {mode}"
            + (f"; problems: {problems}" if problems else "")
            + (f"; feedback release failed: {release_error}" if release_error else "")
        )

    def explain_failure(self, entry, job, reason):
        pages = {
            f"{name}.html": feedback.explain_page(name, [reason]).encode()
            for name in (n.removesuffix(".ipynb") for n in course.notebook_names(job.assignment, self.root))
        }
        error = self.outbox.release(
            job.student, job.assignment, job.files["submission_secret.txt"].decode(), entry.timestamp, pages
        )
        self.ledger.mark_graded(job.key, None, None, False, detail=reason)
        self.log(
            f"not graded {job.student}/{job.assignment} ({entry.timestamp}): {reason}"
            + (f"; {error}" if error else "")
        )

    def counts(self, entry, total, late, due):
        """Whether this graded submission replaces the one the gradebook holds (GradingService.counts)."""
        current = self.ledger.counted(entry.student, entry.assignment)
        if current is None or current.key == entry.key:
            return True
        newer = entry.timestamp >= current.timestamp
        if self.settings.counts == "latest":
            return newer
        current_late = is_late(current.timestamp, due)
        if late != current_late:
            return current_late
        if late:
            return newer
        return total > current.score or (total == current.score and newer)

    def mode(self, due):
        if due is None or datetime.now(timezone.utc).replace(tzinfo=None) >= due:
            return "full"
        return self.settings.feedback_before_deadline

    def note(self, entry, total, maximum, late, counts, mode):
        parts = [f"Submitted {entry.timestamp}" + (" (after the due date)" if late else "") + "."]
        if mode != "public":
            parts.append(f"This submission: {total:g} / {maximum:g}.")
        parts.append(
            "It is the one your grade uses." if counts else "Your grade uses another submission of yours."
        )
        if self.settings.max_attempts:
            window = self.settings.attempt_window_hours
            used = len(
                self.ledger.attempts_since(entry.student, entry.assignment, time.time() - window * 3600)
            )
            parts.append(f"Graded attempts used: {used} of {self.settings.max_attempts} in {window:g} h.")
        return f"<p class='coursekit-service'>{html.escape(' '.join(parts))}</p>"

    def release_due(self, now):
        """Once an assignment's due date has passed, release the full feedback held back before it."""
        if self.settings.feedback_before_deadline == "full":
            return
        for assignment in self.assignments:
            due = self.due(assignment)
            if not self.past(due, now):
                continue
            for entry in self.ledger.in_state("graded"):
                if entry.assignment != assignment or not entry.counts or entry.full_released:
                    continue
                pages = self.outbox.kept_pages(entry.key)
                if not pages:  # graded after the due date: its full feedback went out then
                    self.ledger.set(entry.key, full_released=1)
                    continue
                secret = (
                    self.root / "submitted" / entry.student / assignment / "submission_secret.txt"
                ).read_text()
                error = self.outbox.release(entry.student, assignment, secret, entry.timestamp, pages)
                self.ledger.set(entry.key, full_released=1)
                self.log(
                    f"released full feedback of {entry.student}/{assignment}"
                    + (f": {error}" if error else "")
                )


def serve(root, stream=sys.stdout, **overrides):
    """Run the grading service of the course at ``root`` until SIGTERM; return an exit status."""
    from coursekit.service.policy import service_config

    service = Service(root, service_config(root, **overrides), stream)
    signal.signal(signal.SIGTERM, service.stop)
    signal.signal(signal.SIGINT, service.stop)
    try:
        service.run()
    except CanaryFailed as error:
        print(error, file=sys.stderr)
        return 2
    return 0
