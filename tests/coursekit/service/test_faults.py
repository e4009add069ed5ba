"""The grading service on a bad day (issue 23 items 4, 6, 9, 10, 11, 12, 14): nothing lost, nothing counted
twice, no stall.

A kill at each step between "graded" and "released", then a restart; a full disk; a second service on
the same course; a worker whose environment fails the canary; a locked gradebook; a release that fails;
a job that never ends; TLS certificates that expire or come from elsewhere; the bytes the queue holds.
The service runs in this process (tests/support/service.py) on a real SQLite gradebook and exchange;
tests/system/test_service.py does the kills with real processes.
"""

import datetime
import errno
import socket
import sqlite3
import ssl
import threading

import pytest

from coursekit import course
from coursekit.service import engine, faults, jobs
from coursekit.service.outbox import Outbox, ReleaseFailed
from coursekit.service.serve import AlreadyServing
from coursekit.workers import CanaryFailed
from tests.support.service import NAME

HOUR = 3600.0


def entry(running, key):
    return running.service.ledger.get(key)


@pytest.mark.parametrize("point", faults.POINTS)
def test_a_kill_at_each_step_between_graded_and_released(sc, serve, clock, point):
    """Item 4: after a kill at ``point`` and a restart, the gradebook, the course folders, the ledger and
    the pages say the same: the newest submission counts, once, and every page is out."""
    running = serve()
    first = sc.submit("ada", {"score": 5})
    running.step()
    clock.advance(60)
    older = sc.submit("ada", {"score": 4})  # in flight during the kill, graded again after it
    running.service.engine.hang.add(older)
    running.step()
    clock.advance(60)
    newer = sc.submit("ada", {"score": 3})
    faults.arm(point)
    with pytest.raises(faults.Crash):
        running.step()
    running.crash()
    clock.advance(60)
    again = serve()
    again.step(3)
    ledger = again.service.ledger
    assert ledger.actions() == [], "everything done"
    assert [(e.key, e.state, e.counts) for e in ledger.of("ada", "initialization")] == [
        (first, "graded", 0),
        (older, "graded", 0),
        (newer, "graded", 1),
    ]
    assert sc.gradebook("ada")[0] == 3.0, "the newest submission, not the older one graded after it"
    submitted = sc.root / "submitted" / "ada" / "initialization"
    assert (submitted / NAME).read_bytes() == b'{"score": 3}'
    assert "It is the one your grade uses" in sc.page(newer) and "3 / 5" in sc.page(newer)
    assert "Your grade uses another submission" in sc.page(older)
    graded_lines = [
        line
        for line in (running.log() + again.log()).splitlines()
        if "graded ada/initialization" in line and newer in line
    ]
    assert len(graded_lines) == 1, "decided once"
    assert not list((sc.root / "grading_service" / "spool").iterdir()), "nothing kept once done"


def test_a_full_disk_while_recording_costs_a_retry_not_the_service(sc, serve, clock, monkeypatch):
    """Item 4: a full disk while copying into autograded/ crashed the first service between the gradebook
    and the ledger."""
    running = serve()
    real_write, failures = Outbox._atomically, []

    def full_disk(self, target, fill):
        if "autograded" in str(target) and not failures:
            failures.append(target)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, target, fill)

    monkeypatch.setattr(Outbox, "_atomically", full_disk)
    key = sc.submit("ada", {"score": 5})
    running.step()
    assert (
        failures
        and "record of ada/initialization failed ([Errno 28] No space left on device)" in running.log()
    )
    assert sc.page(key), "the student's feedback went out meanwhile"
    clock.advance(2)
    running.step()
    assert running.service.ledger.actions() == []
    assert (sc.root / "autograded" / "ada" / "initialization" / NAME).exists()


def test_one_service_per_course(sc, serve):
    """Item 6: make serve while the hub runs the service: both graded and wrote, interleaved."""
    first = serve()
    with pytest.raises(
        AlreadyServing, match=r"another grading service is serving this course already \(pid \d+"
    ):
        serve()
    first.crash()  # the lock goes with the process, however it ends
    serve().step()


def test_a_worker_elsewhere_that_fails_the_canary_is_excluded_not_the_service(sc, serve):
    """Item 9: one remote worker with a broken environment made the whole service exit."""
    running = serve()
    key = sc.submit("ada", {"score": 5})
    broken = jobs.WorkerCanaryFailed("gpu-3:77", "tls://10.0.0.3:4000", False, "canary failed: no helpers")
    running.service.engine.before_finish[key] = broken
    running.step(2)
    assert running.service.engine.excluded == ["tls://10.0.0.3:4000"]
    assert (
        "excluded worker gpu-3:77 (tls://10.0.0.3:4000): its grading environment failed: canary failed"
        in running.log()
    )
    assert entry(running, key).state == "graded", "another worker graded it"
    assert running.service.engine.submitted == [key, key]
    # This machine's own environment failing the canary still stops the service (exit 2), as before.
    local = sc.submit("bob", {"score": 5})
    running.service.engine.before_finish[local] = jobs.WorkerCanaryFailed(
        "here:1", "tls://127.0.0.1:1", True, "canary failed"
    )
    with pytest.raises(CanaryFailed):
        running.step()


def test_a_locked_gradebook_is_waited_for_while_grading_goes_on(sc, serve, clock):
    """Item 10: formgrader holding the SQLite gradebook for more than 5 s ended the first service."""
    running = serve()
    running.step()
    lock = sqlite3.connect(sc.root / "gradebook.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        key = sc.submit("ada", {"score": 5})
        running.step()
        clock.advance(10)
        running.step()
        assert "database is locked" in running.log()
        assert sc.page(key), "the student has their feedback"
        assert [a.action for a in running.service.ledger.actions()] == ["record"]
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    clock.advance(120)
    running.step()
    assert running.service.ledger.actions() == [] and sc.gradebook("ada")[0] == 5.0


def test_a_failed_release_is_tried_again_and_not_taken_as_done(sc, serve, clock, monkeypatch):
    """Item 10: a failed release was only logged, and after the due date marked as released anyway."""
    sc.set_deadline(due=clock.now + HOUR)
    running = serve(feedback_before_deadline="score")
    real_release, failing = Outbox.release, {"count": 2}

    def release(self, *args):
        if failing["count"]:
            failing["count"] -= 1
            raise ReleaseFailed("the exchange is not writable")
        return real_release(self, *args)

    monkeypatch.setattr(Outbox, "release", release)
    key = sc.submit("ada", {"score": 5})
    running.step()
    assert (
        sc.page(key) is None
        and "release:now of ada/initialization failed (the exchange is not writable): try 2 in 1 s"
        in running.log()
    )
    for wait in (1, 2):
        clock.advance(wait)
        running.step()
    assert "5 / 5" in sc.page(key) and "released the feedback of ada/initialization at try 3" in running.log()
    failing["count"] = 1
    clock.now += HOUR
    running.step()
    assert "release:full" in running.log() and "Score: 5.0" not in sc.page(key), "not marked released"
    clock.advance(2)
    running.step()
    assert "Score: 5.0 / 5.0" in sc.page(key) and running.service.ledger.actions() == []


def test_a_job_that_never_ends_is_given_up_after_the_time_limit(sc, serve, clock):
    """Item 11: a worker that heartbeats but never returns kept its job forever."""
    running = serve(job_time_limit=60)
    key = sc.submit("ada", {"score": 5})
    running.service.engine.hang.add(key)
    for attempt in range(1, engine.ALLOWED_FAILURES + 1):
        running.step()
        assert entry(running, key).state == "queued" and len(running.service.engine.submitted) == attempt
        clock.advance(61)
        running.step()
        assert len(running.service.engine.abandoned) == attempt, "its worker restarted"
    assert entry(running, key).state == "graded" and entry(running, key).score is None
    assert "grading took longer than 60 s, 3 times" in sc.page(key)
    assert (
        "gave up on ada/initialization after 60 s: worker fake-worker restarted, the job queued again"
        in running.log()
    )


def test_the_queue_holds_at_most_its_byte_limit_and_no_second_copy(sc, serve):
    """Item 14: every queued submission's bytes sat in memory twice, without a limit."""
    running = serve(queue_limit_mb=0.004)  # about 4 kB: one submission at a time
    padding = {"notes.txt": b"x" * 3000}
    keys = [sc.submit(student, {"score": 5}, extra=padding) for student in ("ada", "bob", "cy")]
    running.service.engine.hang.update(keys)
    running.step()
    assert list(running.service.engine.jobs) == keys[:1], "one job's worth of bytes in the queue"
    assert all(not hasattr(flight, "files") for flight in running.service.in_flight.values())
    running.service.engine.hang.clear()
    for _ in keys:
        running.step()
    assert [entry(running, k).state for k in keys] == ["graded"] * 3


# --- TLS ---------------------------------------------------------------------------------------------------
NOW = datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc)


def test_the_certificate_is_renewed_before_it_expires_by_the_same_authority(tmp_path):
    """Item 12: the certificate made at first start expired after 365 days; then no worker could join."""
    tls, authority = tmp_path / "tls", tmp_path / "tls-ca"
    assert engine.issue(tls, authority, 30, now=NOW) == "made"
    first = (tls / "cert.pem").read_bytes()
    assert engine.issue(tls, authority, 30, now=NOW + datetime.timedelta(days=300)) == ""
    assert engine.issue(tls, authority, 30, now=NOW + datetime.timedelta(days=340)) == "renewed"
    assert (tls / "cert.pem").read_bytes() != first
    assert engine.expiry(tls / "cert.pem") > NOW + datetime.timedelta(days=700)
    context = ssl.create_default_context(cafile=str(tls / "ca.pem"))  # the old authority vouches for it
    assert context.get_ca_certs() and _verifies(tls / "ca.pem", tls / "cert.pem")
    for path in (tls / "key.pem", authority / "ca-key.pem"):
        assert path.stat().st_mode & 0o077 == 0
    assert not (tls / "ca-key.pem").exists(), "the authority's key never goes to a worker"


def _verifies(ca_file, cert_file):
    from cryptography import x509

    ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    cert.verify_directly_issued_by(ca)
    return True


@pytest.fixture
def scheduler(tmp_path):
    """A TLS server that, like dask's scheduler, wants a client certificate from its own authority."""
    tls = tmp_path / "server"
    engine.issue(tls, tmp_path / "server-ca", 30)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls / "cert.pem", tls / "key.pem")
    context.load_verify_locations(tls / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve_one_at_a_time():
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(raw, server_side=True) as connection:
                    connection.recv(1)
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=serve_one_at_a_time, daemon=True).start()
    yield f"tls://127.0.0.1:{listener.getsockname()[1]}", tls
    listener.close()


def test_a_worker_says_why_its_certificate_is_not_taken(tmp_path, scheduler):
    address, good = scheduler
    assert engine.check_worker_credentials(address, good) > datetime.datetime.now(datetime.timezone.utc)
    stranger = tmp_path / "stranger"
    engine.issue(stranger, tmp_path / "stranger-ca", 30)
    with pytest.raises(
        engine.CredentialsRefused, match="refused this worker's TLS certificate.*copy the service's"
    ):
        engine.check_worker_credentials(address, stranger)
    expired = tmp_path / "expired"
    engine.issue(expired, tmp_path / "expired-ca", 30, now=NOW - datetime.timedelta(days=400))
    with pytest.raises(engine.CredentialsRefused, match=r"expired on \d{4}-\d\d-\d\d: copy the service's"):
        engine.check_worker_credentials(address, expired)
    with pytest.raises(FileNotFoundError, match="no TLS credentials"):
        engine.check_worker_credentials(address, tmp_path / "none")


def test_a_service_renews_at_start_and_replaces_a_first_service_folder(sc, serve, tmp_path):
    tls = sc.root / "grading_service" / "tls"
    tls.mkdir(parents=True)
    engine.issue(tmp_path / "old", tmp_path / "old-ca", 30)
    for name in engine.CREDENTIALS:  # a folder as the first service left it: no authority's key
        (tls / name).write_bytes((tmp_path / "old" / name).read_bytes())
    running = serve()
    assert "TLS certificate and authority made anew" in running.log()
    assert course.gradebook_url(sc.root).startswith("sqlite")


# --- the gradebook on PostgreSQL -----------------------------------------------------------------------------
@pytest.mark.system
def test_postgresql_down_for_a_while_is_waited_for(sc, serve, clock):
    """Item 10: PostgreSQL down for a minute ended the service."""
    from tests.support.postgres import postgres_server, stopped

    with postgres_server() as url, course.nbgrader_environment():
        with open(sc.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
        running = serve()
        running.step()
        with stopped(url):
            key = sc.submit("ada", {"score": 5})
            running.step()
            clock.advance(60)
            running.step()
            assert sc.page(key), "the student has their feedback"
            assert "the course gradebook cannot be read" in running.log() or "record of ada" in running.log()
        clock.advance(120)
        running.step()
        assert running.service.ledger.actions() == []
        from nbgrader.api import Gradebook

        with Gradebook(url) as book:
            assert book.find_submission("initialization", "ada").score == 5.0
