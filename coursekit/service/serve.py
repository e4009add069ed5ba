"""The grading service's loop: inbound folder -> ledger -> task queue -> gradebook and feedback.

Each pass (``Service.step``): read the course gradebook's due dates and extensions (every few
seconds, keeping the last ones while it cannot be read); take new complete submissions from the
exchange's inbound folder into the ledger (queued, deferred over the attempt limit, or refused),
keeping a copy of each; queue deferred ones whose attempt has freed up; hand queued ones to the task
queue, within the queue's byte limit; collect finished jobs and decide each (its score, whether it
counts, what the student sees); give up on jobs over the time limit; and do what the outbox says is
left (record in the gradebook, release pages), retrying what fails with a growing wait.

Nothing that fails for a reason that may pass stops the service (a locked or unreachable gradebook,
an exchange that cannot be written, a folder not readable yet): it is logged and tried again. What a
student's submission causes is explained on their page. The service stops for: SIGTERM or SIGINT
(jobs in flight are simply not recorded, and the next start queues them again); another service
already serving the course (``AlreadyServing``); this machine's grading environment failing the
canary (``CanaryFailed``: a worker on another machine that fails it is excluded instead).
"""

import fcntl
import html
import json
import os
import signal
import socket
import stat
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from coursekit import course, feedback, submission
from coursekit.gradebook import ensure_assignments, read_deadlines
from coursekit.service import engine, faults, inbox, jobs, policy
from coursekit.service.ledger import Ledger
from coursekit.service.outbox import Outbox, pages_for, scores, timestamp_text
from coursekit.service.policy import GradingService
from coursekit.workers import CanaryFailed

#: Seconds between two reads of the course gradebook's due dates and extensions.
DEADLINES_REFRESH_S = 2.0
#: Seconds of one pass spent reading new folders at most (the rest wait for the next pass).
READ_BUDGET_S = 0.25
#: Exit status of ``serve`` when another service serves the course already.
ALREADY_SERVING = 3
#: Seconds between two checks of the TLS certificate's expiry while serving.
CERTIFICATE_CHECK_S = 24 * 3600


class AlreadyServing(RuntimeError):
    """Another grading service holds the course's lock."""


def _utc(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def take_lock(state):
    """Hold ``state``/service.lock for the life of this process, or raise AlreadyServing.

    One service per course: two would both grade and both write the gradebook and the ledger,
    interleaving their decisions. The lock (flock) is the kernel's: it goes when the process does,
    however it ends, so a killed service never leaves a stale lock.
    """
    path = Path(state) / "service.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 300).decode(errors="replace").strip() or "a process"
        os.close(descriptor)
        raise AlreadyServing(
            f"another grading service is serving this course already ({holder}; lock {path}): "
            "one service per course. Stop it first (e.g. the hub's managed service, or its make serve)."
        ) from None
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"pid {os.getpid()} on {socket.gethostname()} since {_utc(time.time())}".encode())
    return descriptor


@dataclass
class Flight:
    """A job in the task queue: when it was handed over, its size, and the deadline it was graded with."""

    started: float
    size: int
    deadline: object


def dask_engine(service):
    """The real task queue (coursekit.service.engine.DaskEngine) for ``service``."""
    settings = service.settings
    n_workers = settings.workers if settings.workers >= 0 else (os.cpu_count() or 1)
    return engine.DaskEngine(
        service.root,
        settings.scheduler_address,
        n_workers,
        service.state / "tls",
        warm_up=jobs.warm_up_plugin(sorted(service.assignments)),
    )


class Service:
    """The grading service of the course at ``root`` with ``settings`` (a GradingService).

    ``clock``: the service's time (Unix seconds; tests move it); ``make_engine``: makes the task
    queue for the service (``dask_engine``; tests give one that grades in-process).
    """

    def __init__(self, root, settings=None, stream=sys.stdout, clock=time.time, make_engine=dask_engine):
        self.root = Path(root).resolve()
        config = course.load_config(self.root)
        self.settings = settings or GradingService(config=config)
        self.stream, self.clock, self.make_engine = stream, clock, make_engine
        self.state = Path(self.settings.state_path(self.root))
        self.state.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state, stat.S_IRWXU | stat.S_IRWXG)  # the graders' only
        self.inbound = inbox.inbound_path(config.Exchange.root, config.CourseDirectory.course_id)
        self.limits = submission.limits_of(config)
        self.assignments = set(course.assignments(self.root))
        # A short wait for a locked SQLite gradebook: the loop goes on, and the write is tried again.
        url = course.gradebook_url(self.root)
        self.db_url = f"{url}?timeout=1" if url.startswith("sqlite:") and "?" not in url else url
        self.outbox = Outbox(self.root, self.state, self.db_url)
        self.ledger = self.inbox = self.engine = self._lock = None
        self.in_flight = {}  # key -> Flight
        self.excluded = set()  # addresses of workers taken out
        self.deadlines, self.maxima = None, {}
        self._next_read = 0.0
        self._read_failures = 0
        self._next_certificate_check = 0.0
        self.stopping = False

    # --- running ---------------------------------------------------------------------------------
    def run(self):
        """Serve until ``stop()`` (SIGTERM). Raises AlreadyServing, or CanaryFailed if this machine's
        grading environment is broken."""
        with course.nbgrader_environment():
            self.start()
            try:
                while not self.stopping:
                    self.step()
                    self.wait()
            finally:
                self.log(f"stopping: {len(self.in_flight)} job(s) in flight stay queued for the next start")
                self.close()

    def start(self):
        """Take the course's lock, open the ledger, renew the certificate, start the task queue."""
        started = time.perf_counter()
        self._lock = take_lock(self.state)
        self.ledger = Ledger(self.state / "ledger.db")
        self.inbox = inbox.Inbox(
            self.inbound,
            self.limits,
            known=self.ledger.keys(),
            poll=self.settings.poll_interval,
            give_up_s=self.settings.unreadable_minutes * 60,
        )
        self.check_certificate(self.clock())
        self.sweep()
        self.engine = self.make_engine(self)
        self.log(
            f"serving {self.inbound} in {time.perf_counter() - started:.1f} s; scheduler {self.engine.address}; "
            f"{len(self.ledger.in_state('queued'))} queued, {len(self.ledger.actions())} action(s) to finish"
        )

    def sweep(self):
        """Forget what the service kept for submissions that are done (a kill can come between the last
        action and the clean-up)."""
        self.outbox.sweep_partial()
        pending = {action.key for action in self.ledger.actions()}
        for key in self.outbox.kept_keys() - pending:
            entry = self.ledger.get(key)
            if entry is None or entry.state in ("graded", "superseded", "refused"):
                self.outbox.discard(key)

    def close(self):
        if self.engine is not None:
            self.engine.close()
        if self.ledger is not None:
            self.ledger.close()
        if self._lock is not None:
            os.close(self._lock)

    def stop(self, *_):
        self.stopping = True

    def log(self, message):
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
        print(f"{stamp} {message}", file=self.stream, flush=True)

    def wait(self):
        if not self.engine.wait(self.settings.poll_interval):
            time.sleep(self.settings.poll_interval)

    def step(self, now=None):
        """One pass (see the module's docstring)."""
        now = self.clock() if now is None else now
        self.read_gradebook(now)
        if self.deadlines is None:
            return  # nothing is decided before the gradebook has been read once
        for found in self.inbox.look(now, READ_BUDGET_S):
            self.admit(found, now)
        while self.inbox.notices:
            self.log(self.inbox.notices.pop(0))
        self.undefer(now)
        self.welcome()
        self.dispatch(now)
        self.collect(now)
        self.enforce_time_limit(now)
        self.act(now)
        self.check_certificate(now)

    def retry_in(self, tries):
        return policy.backoff(tries, self.settings.retry_limit_seconds)

    def read_gradebook(self, now, force=False):
        """Due dates, extensions and maximum scores from the course gradebook; the last ones kept if it
        cannot be read now."""
        if now < self._next_read and not force:
            return
        from nbgrader.api import Gradebook

        try:
            if self.deadlines is None:  # the first time: the assignments must be there
                api = course.nbgrader_api(self.root)
                ensure_assignments(api, sorted(self.assignments))
            with Gradebook(self.db_url) as book:
                deadlines = read_deadlines(book)
                maxima = {
                    a.name: {nb.name: nb.max_score for nb in a.notebooks}
                    for a in book.assignments
                    if a.name in self.assignments
                }
        except Exception as error:  # noqa: BLE001 -- locked, unreachable: it may pass
            self._read_failures += 1
            wait = self.retry_in(self._read_failures)
            self._next_read = now + wait
            self.log(
                f"the course gradebook cannot be read ({_first_line(error)}): trying again in {wait:g} s"
            )
            return
        if self._read_failures:
            self.log("the course gradebook can be read again")
        self._read_failures = 0
        self.deadlines, self.maxima = deadlines, maxima
        self._next_read = now + DEADLINES_REFRESH_S

    def check_certificate(self, now):
        """Renew the TLS certificate at start when it expires soon; while serving, warn (daily)."""
        if now < self._next_certificate_check:
            return
        self._next_certificate_check = now + CERTIFICATE_CHECK_S
        tls = self.state / "tls"
        renewal = self.settings.certificate_renewal_days
        if self.engine is None:
            done = engine.issue(tls, self.state / "tls-ca", renewal)
            until = f"{engine.expiry(tls / 'cert.pem'):%Y-%m-%d}"
            if done == "made":
                self.log(
                    f"TLS certificate made, valid until {until} (renewed at a start within {renewal} days of it)"
                )
            elif done == "renewed":
                self.log(
                    f"TLS certificate renewed, valid until {until}: copy {tls} to workers on other machines"
                )
            elif done == "replaced":
                self.log(
                    f"TLS certificate and authority made anew, valid until {until}: workers on other machines "
                    f"need a new copy of {tls} (older copies are refused)"
                )
            return
        left = engine.expiry(tls / "cert.pem").timestamp() - now
        if left < renewal * 86400:
            self.log(
                f"the TLS certificate expires in {left / 86400:.0f} day(s): restart the service to renew it "
                "(it renews at start), then copy tls/ to the workers on other machines"
            )

    # --- admitting -------------------------------------------------------------------------------
    def admit(self, found, now):
        """Take one folder from the inbox into the ledger: refused, queued or deferred."""
        key = found.key
        if isinstance(found, inbox.Unreadable):
            self.refuse(found, found.reason, now)
            return
        reason = inbox.refusal(found, self.assignments, self.settings.require_owner)
        if reason:
            self.refuse(found, reason, now)
            return
        self.outbox.spool(key, found.files)  # before the ledger knows it: a restart finds it whole
        deadline = self.deadlines.of(found.assignment, found.student)
        refused = json.dumps([[r.path, r.reason] for r in found.refused])
        superseded = []
        with self.ledger.transaction():
            for older in self.ledger.of(found.student, found.assignment):
                if older.state == "deferred":  # the newest waiting submission is the one graded
                    self.ledger.set(older.key, state="superseded", detail=f"replaced by {key}")
                    self.ledger.done(older.key, "release:deferred")
                    superseded.append(older.key)
            allowed, not_before = self.admissible(found.student, found.assignment, deadline, now)
            if allowed:
                self.ledger.add(found, "queued", now, attempt=1, attempt_at=now, refused=refused)
            else:
                self.outbox.stage(key, "deferred", self.deferred_pages(found.assignment, not_before))
                self.ledger.add(found, "deferred", now, not_before=not_before, refused=refused)
                self.ledger.plan(key, "release:deferred")
        self.inbox.take(key)
        for older in superseded:
            self.outbox.discard(older)
        if not allowed:
            self.log(
                f"deferred {found.student}/{found.assignment} submitted {timestamp_text(found.submitted)}: "
                f"{self.settings.max_attempts} graded attempt(s) in {self.settings.attempt_window_hours:g} h "
                f"used; graded at {_utc(not_before)} [{key}]"
            )

    def admissible(self, student, assignment, deadline, now):
        """(True, None) if a submission of ``student`` may be graded now, else (False, when it will be:
        an attempt frees up, or the due date passes)."""
        allowed, not_before = policy.admission(
            self.ledger.attempts(student, assignment),
            now,
            self.settings.max_attempts,
            self.settings.attempt_window_hours * 3600,
            deadline.passed(now),
        )
        if not allowed and deadline.instant is not None:
            not_before = min(not_before, deadline.instant)
        return allowed, not_before

    def refuse(self, found, reason, now):
        with self.ledger.transaction():
            self.ledger.add(found, "refused", now, detail=reason)
        self.inbox.take(found.key)
        self.log(f"refused {submission.shown(found.key)}: {reason}")

    def deferred_pages(self, assignment, when):
        return {
            f"{name}.html": feedback.deferred_page(name, _utc(when)).encode()
            for name in (n.removesuffix(".ipynb") for n in course.notebook_names(assignment, self.root))
        }

    def undefer(self, now):
        """Queue each deferred submission whose attempt has freed up, or whose due date has passed."""
        for entry in self.ledger.in_state("deferred"):
            deadline = self.deadlines.of(entry.assignment, entry.student)
            if entry.not_before > now and not deadline.passed(now):
                continue
            with self.ledger.transaction():
                allowed, not_before = self.admissible(entry.student, entry.assignment, deadline, now)
                if allowed:
                    self.ledger.set(entry.key, state="queued", attempt=1, attempt_at=now)
                else:
                    self.ledger.set(entry.key, not_before=not_before)

    # --- the task queue ----------------------------------------------------------------------------
    def dispatch(self, now):
        """Hand queued submissions to the task queue, oldest first, within GradingService.queue_limit_mb."""
        limit = self.settings.queue_limit_mb * submission.MB
        queued_bytes = sum(flight.size for flight in self.in_flight.values())
        for entry in self.ledger.in_state("queued"):
            if entry.key in self.in_flight:
                continue
            kept = self.outbox.result(entry.key)
            if kept is not None:  # graded before the last stop, not decided yet: no need to grade again
                self.decide(entry, kept, None, now)
                continue
            if self.in_flight and queued_bytes + entry.bytes > limit:
                break
            files = self.outbox.spooled(entry.key)
            if files is None:
                self.fail(entry, "the service's copy of the submission is gone", now)
                continue
            files["timestamp.txt"] = timestamp_text(entry.submitted).encode()
            refused = tuple(submission.Refusal(path, reason) for path, reason in json.loads(entry.refused))
            deadline = self.deadlines.of(entry.assignment, entry.student)
            self.engine.submit(jobs.Job(entry.key, entry.student, entry.assignment, files, refused, deadline))
            self.in_flight[entry.key] = Flight(now, entry.bytes, deadline)
            queued_bytes += entry.bytes

    def collect(self, now):
        """Decide each job that finished."""
        from distributed import KilledWorker

        for key, result in self.engine.finished():
            flight = self.in_flight.pop(key, None)
            entry = self.ledger.get(key)
            if entry is None or entry.state != "queued":
                continue  # decided already: nothing is counted twice
            if isinstance(result, jobs.WorkerCanaryFailed):
                self.exclude(result)
                continue  # still queued: another worker takes it
            if isinstance(result, KilledWorker):
                self.fail(
                    entry, f"the grading process died {engine.ALLOWED_FAILURES} times on this submission", now
                )
                continue
            if isinstance(result, BaseException):
                self.fail(entry, f"grading failed: {type(result).__name__}: {_first_line(result)}", now)
                continue
            self.outbox.keep_result(key, result)
            faults.point("received")
            self.decide(entry, result, flight.deadline if flight else None, now)

    def welcome(self):
        """Log each worker that got ready; exclude one whose canary failed (see ``exclude``)."""
        for report in self.engine.ready():
            if report["failed"]:
                self.exclude(
                    jobs.WorkerCanaryFailed(
                        report["name"], report["address"], report["local"], report["failed"]
                    )
                )
                continue
            canaries = (
                f"canaries run in {report['seconds']:.1f} s"
                if report["seconds"]
                else "canaries passed before"
            ) + (
                f", {report['cached']} passed before in this environment"
                if report["seconds"] and report["cached"]
                else ""
            )
            self.log(f"worker {report['name']} ({report['address']}) ready: {canaries}")

    def exclude(self, failure):
        """A worker failed the canary: on this machine the environment is broken (stop); elsewhere, that
        worker is taken out and the others go on."""
        if failure.local:
            raise CanaryFailed(failure.message)
        if failure.address in self.excluded:
            return
        self.excluded.add(failure.address)
        self.log(
            f"excluded worker {failure.worker} ({failure.address}): its grading environment failed: {failure.message}"
        )
        self.engine.exclude(failure.address)

    def enforce_time_limit(self, now):
        """Give up on jobs running longer than GradingService.job_time_limit: restart their worker, queue
        them again (and after ALLOWED_FAILURES such tries, explain it on the student's page)."""
        limit = self.settings.job_time_limit
        for key, flight in list(self.in_flight.items()):
            if now - flight.started <= limit:
                continue
            worker = self.engine.abandon(key)
            del self.in_flight[key]
            entry = self.ledger.get(key)
            self.ledger.set(key, tries=entry.tries + 1)
            if entry.tries + 1 >= engine.ALLOWED_FAILURES:
                self.fail(entry, f"grading took longer than {limit:g} s, {entry.tries + 1} times", now)
            else:
                self.log(
                    f"gave up on {entry.student}/{entry.assignment} after {limit:g} s: worker "
                    f"{worker or '(none)'} restarted, the job queued again [{key}]"
                )

    # --- deciding ------------------------------------------------------------------------------------
    def decide(self, entry, result, graded_with, now):
        """A graded submission: its score, whether it counts, and what the student sees, all in one transaction."""
        self.read_gradebook(now, force=True)
        deadline = self.deadlines.of(entry.assignment, entry.student)
        if graded_with is not None and graded_with != deadline:
            (self.state / "results" / f"{entry.key}.pickle").unlink(missing_ok=True)
            self.log(
                f"the deadline of {entry.student}/{entry.assignment} changed while it was graded: graded again"
            )
            return
        outcome = result.outcome
        maxima = self.maxima[entry.assignment]
        _, total, maximum = scores(outcome, maxima)
        penalty = sum(nb.late_submission_penalty or 0.0 for nb in outcome.notebooks.values())
        late = deadline.late(entry.submitted)
        current = self.ledger.counted(entry.student, entry.assignment)
        counts = policy.counts(
            self.settings.counts,
            policy.Graded(entry.key, entry.submitted, total, late),
            current
            and policy.Graded(current.key, current.submitted, current.score or 0.0, bool(current.late)),
        )
        mode = policy.feedback_mode(
            self.settings.feedback_before_deadline, deadline.instant is not None, deadline.passed(now)
        )
        note = self.note(entry, total, maximum, late, penalty, counts, mode, now)
        self.outbox.stage(entry.key, "now", pages_for(mode, result, maxima, note))
        actions = {"release:now": 0.0}
        if counts:
            actions["record"] = 0.0
        if mode != "full":
            full_note = self.note(entry, total, maximum, late, penalty, counts, "full", now)
            self.outbox.stage(entry.key, "full", pages_for("full", result, maxima, full_note))
            actions["release:full"] = deadline.instant
        self.ledger.decide(entry.key, total, maximum, counts, late, mode, actions, now)
        problems = "; ".join(p.message for p in outcome.explained + outcome.refused)
        self.log(
            f"graded {entry.student}/{entry.assignment} submitted {timestamp_text(entry.submitted)}"
            f"{' (late)' if late else ''}: {total:g}/{maximum:g} in {outcome.seconds:.1f} s on {result.worker}; "
            f"{'counts' if counts else 'does not count'}; feedback: {mode}"
            + (f"; problems: {problems}" if problems else "")
            + f" [{entry.key}]"
        )
        faults.point("decided")

    def fail(self, entry, reason, now):
        """Grading gave up on ``entry``: it scores nothing, counts for nothing, and its page says why."""
        pages = {
            f"{name}.html": feedback.explain_page(name, [reason]).encode()
            for name in (n.removesuffix(".ipynb") for n in course.notebook_names(entry.assignment, self.root))
        }
        self.outbox.stage(entry.key, "now", pages)
        with self.ledger.transaction():
            self.ledger.decide(entry.key, None, None, False, False, "full", {"release:now": 0.0}, now)
            self.ledger.set(entry.key, detail=reason)
        self.log(f"not graded {entry.student}/{entry.assignment}: {reason} [{entry.key}]")

    def note(self, entry, total, maximum, late, penalty, counts, mode, now):
        parts = [
            f"Submitted {timestamp_text(entry.submitted)}" + (" (after the due date)" if late else "") + "."
        ]
        if mode != "public":
            parts.append(
                f"This submission: {total:g} / {maximum:g}"
                + (f" after a late penalty of {penalty:g}." if penalty else ".")
            )
        parts.append(
            "It is the one your grade uses." if counts else "Your grade uses another submission of yours."
        )
        if self.settings.max_attempts:
            window = self.settings.attempt_window_hours
            used = [
                t for t in self.ledger.attempts(entry.student, entry.assignment) if t > now - window * 3600
            ]
            parts.append(
                f"Graded attempts used: {len(used)} of {self.settings.max_attempts} in {window:g} h."
            )
        return f"<p class='coursekit-service'>{html.escape(' '.join(parts))}</p>"

    # --- the outbox ----------------------------------------------------------------------------------
    def act(self, now):
        """Do every outbox action that is due; one that fails is tried again later (logged, with a growing wait)."""
        for action in self.ledger.actions(now):
            try:
                self.perform(action, now)
            except faults.Crash:
                raise
            except Exception as error:  # noqa: BLE001 -- a locked gradebook, a full disk, the exchange: may pass
                wait = self.retry_in(action.tries + 1)
                self.ledger.postpone(action.key, action.action, now + wait, _first_line(error))
                entry = self.ledger.get(action.key)
                self.log(
                    f"{action.action} of {entry.student}/{entry.assignment} failed ({_first_line(error)}): "
                    f"try {action.tries + 2} in {wait:g} s [{action.key}]"
                )

    def perform(self, action, now):
        entry = self.ledger.get(action.key)
        name = action.action
        if name == "record":
            if entry.counts:
                self.outbox.record(
                    self.outbox.spooled(entry.key), self.outbox.result(entry.key), entry.submitted
                )
            self.ledger.done(entry.key, name)
            faults.point("recorded")
        else:
            kind = name.removeprefix("release:")
            if kind == "full":
                deadline = self.deadlines.of(entry.assignment, entry.student)
                if not entry.counts:  # another submission counts now: its full feedback goes out instead
                    self.ledger.done(entry.key, name)
                    self.outbox.unstage(entry.key, kind)
                    return
                if deadline.instant is not None and not deadline.passed(now):  # e.g. an extension since
                    self.ledger.postpone(entry.key, name, deadline.instant)
                    return
            pages = self.outbox.staged(entry.key, kind)
            self.outbox.release(
                entry.student, entry.assignment, entry.secret, timestamp_text(entry.submitted), pages
            )
            faults.point("released-page")
            self.ledger.done(entry.key, name)
            self.outbox.unstage(entry.key, kind)
            faults.point("released")
            if action.tries:
                self.log(
                    f"released the feedback of {entry.student}/{entry.assignment} at try {action.tries + 1} [{entry.key}]"
                )
            if kind == "full":
                self.log(f"released full feedback of {entry.student}/{entry.assignment} [{entry.key}]")
        if not self.ledger.actions(key=entry.key) and entry.state in ("graded", "superseded"):
            self.outbox.discard(entry.key)


def _first_line(error):
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


def serve(root, stream=sys.stdout, **overrides):
    """Run the grading service of the course at ``root`` until SIGTERM; return an exit status."""
    service = Service(root, policy.service_config(root, **overrides), stream)
    signal.signal(signal.SIGTERM, service.stop)
    signal.signal(signal.SIGINT, service.stop)
    try:
        service.run()
    except AlreadyServing as error:
        print(error, file=sys.stderr)
        return ALREADY_SERVING
    except CanaryFailed as error:
        print(error, file=sys.stderr)
        return 2
    return 0
