"""The grading service (python -m coursekit serve) end to end: real Unix users, a real scheduler and workers.

Students submit with ``nbgrader submit`` and fetch feedback with ``nbgrader fetch_feedback``, each as
their own user; the service runs as the instructor. Three courses, each with its own exchange:

- ``service``: the defaults, two local workers: feedback within seconds, a burst graded exactly once
  with ``make autograde``'s grades, an infinite loop, a broken notebook, a SIGKILLed worker, a
  restart with jobs queued, and students who try to read or submit in another's name;
- ``policies``: two graded attempts a day, score-only feedback before the due date, the best
  submission counts; then the due date passes: late marking and the full feedback released;
- ``remote``: no local workers, two ``python -m coursekit worker`` processes started on their own,
  as on two machines, sharing one queue.
"""

import copy
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import nbformat
import psutil
import pytest

from tests.support import REPO, free_port, wait_until
from tests.support.course import (
    edit,
    make_course,
    mutate,
    mutations,
    nbgrader_meta,
    points,
    solution_cells,
    source_notebook,
    variants,
)
from tests.support.users import (
    ALICE,
    BOB,
    CAROL,
    COURSE,
    GRADERS,
    INSTRUCTOR,
    as_user,
    command_as,
    make_exchange,
    nbgrader,
    python_as,
    write_as,
)

pytestmark = pytest.mark.system

ASSIGNMENT = "initialization"
#: The issue's promise: feedback fetchable this many seconds after ``nbgrader submit`` returns.
FEEDBACK_WITHIN_S = 15
#: How long a test waits for the service before it fails.
PATIENCE_S = 240
#: The per-cell time limit of these courses (the kit's default, 60 s, would only slow the test down).
CELL_TIME_LIMIT_S = 8
BURST = 30
STUDENTS = (ALICE, BOB, CAROL)
SOURCE = nbformat.read(source_notebook(ASSIGNMENT, REPO), as_version=4)
NAME = source_notebook(ASSIGNMENT, REPO).name
FULL = sum(points(SOURCE).values())


# --- a course, its exchange and its service ------------------------------------------------------------
class Running:
    """``python -m coursekit serve`` (or ``worker``) as the instructor, its output in a log file."""

    def __init__(self, ex, *args, name="service"):
        self.ex, self.log = ex, ex["homes"][INSTRUCTOR] / f"{name}.log"
        command = command_as(
            ex, INSTRUCTOR, sys.executable, "-m", "coursekit", "--root", str(ex["course"]), *args
        )
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                command, cwd=ex["homes"][INSTRUCTOR], stdout=log, stderr=subprocess.STDOUT
            )

    def text(self):
        return self.log.read_text(errors="replace")

    def wait_until(self, condition, what, timeout=PATIENCE_S):
        """Wait until ``condition()`` gives a true value while the service runs; return that value."""
        return wait_until(
            condition,
            what,
            timeout,
            details=lambda: self.text()[-3000:],
            alive=lambda: self.process.poll() is not None and f"exited with {self.process.returncode}",
        )

    def wait_for(self, pattern, count=1, timeout=PATIENCE_S):
        """Wait until ``pattern`` occurs ``count`` times in the log; return the matching lines."""

        def found():
            lines = [line for line in self.text().splitlines() if re.search(pattern, line)]
            return lines if len(lines) >= count else None

        return self.wait_until(found, f"{count} x {pattern!r}", timeout)

    def python(self):
        """The Python process under runuser."""
        (child,) = psutil.Process(self.process.pid).children()  # runuser's child: env, which became Python
        return child

    def stop(self):
        """SIGTERM, as a process manager stops it; return its exit status."""
        if self.process.poll() is None:
            self.python().send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def make_service_course(prefix, config_lines=()):
    """An exchange with the instructor and three students, the assignment released, inbound set up."""
    ex = make_exchange((INSTRUCTOR, *STUDENTS), prefix=prefix)
    course = ex["course"]
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.GuardedExecute.timeout = {CELL_TIME_LIMIT_S}\n")
        config.writelines(f"{line}\n" for line in config_lines)
    nbgrader(ex, INSTRUCTOR, "generate_assignment", ASSIGNMENT, cwd=course)
    nbgrader(ex, INSTRUCTOR, "release_assignment", ASSIGNMENT, cwd=course)
    inbound = ex["root"] / COURSE / "inbound"
    as_user(ex, INSTRUCTOR, "chgrp", GRADERS, str(inbound))
    as_user(ex, INSTRUCTOR, "chmod", "2733", str(inbound))
    for student in STUDENTS:
        nbgrader(ex, student, "fetch_assignment", ASSIGNMENT)
    return ex


def submit(ex, student, nb):
    """Save ``nb`` (a notebook, or text for a broken file) as the student's copy and submit it."""
    path = ex["homes"][student] / ASSIGNMENT / NAME
    if isinstance(nb, str):
        staged = ex["base"] / f"staged-{time.monotonic_ns()}.ipynb"
        staged.write_text(nb)
        staged.chmod(0o644)
        as_user(ex, student, "cp", str(staged), str(path))
    else:
        write_as(ex, student, path, nb)
    nbgrader(ex, student, "submit", ASSIGNMENT)
    return latest_key(ex, student)


def latest_key(ex, student):
    """The inbound folder name of the student's newest submission (its timestamp from their nbgrader cache)."""
    cache = ex["homes"][student] / ".local" / "share" / "jupyter" / "nbgrader_cache" / COURSE
    names = python_as(ex, student, f"import os; print('\\n'.join(os.listdir({str(cache)!r})))", check=True)
    timestamp = max(name.split("+")[2] for name in names.stdout.split("\n") if name.count("+") == 2)
    (key,) = [p.name for p in (ex["root"] / COURSE / "inbound").glob(f"{student}+{ASSIGNMENT}+{timestamp}+*")]
    return key


def feedback_pages(ex, student):
    """{submission timestamp: feedback page text} after ``nbgrader fetch_feedback``."""
    nbgrader(ex, student, "fetch_feedback", ASSIGNMENT, check=False)
    folder = ex["homes"][student] / ASSIGNMENT / "feedback"
    return {p.parent.name: p.read_text() for p in folder.glob("*/*.html")} if folder.exists() else {}


def timestamp_of(key):
    return key.split("+")[2]


def ledger(ex):
    """{key: row dict} of the service's ledger."""
    with sqlite3.connect(ex["course"] / "grading_service" / "ledger.db") as db:
        db.row_factory = sqlite3.Row
        return {row["key"]: dict(row) for row in db.execute("SELECT * FROM submissions")}


def graded_lines(text, student, key):
    return [
        line for line in text.splitlines() if f"graded {student}/{ASSIGNMENT} ({timestamp_of(key)}" in line
    ]


def gradebook_total(ex, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{ex['course'] / 'gradebook.db'}") as book:
        return book.find_submission(ASSIGNMENT, student).score


def with_cell_code(nb, function, code):
    """A copy of ``nb`` whose solution cell of ``function`` runs ``code`` first, at the top level."""
    nb = copy.deepcopy(nb)
    (cell,) = [c for c in solution_cells(nb) if nbgrader_meta(c)["grade_id"] == function]
    cell.source = f"{code}\n{cell.source}"
    return nb


@pytest.fixture(scope="module")
def service():
    ex = make_service_course("dnn-service-test-")
    running = Running(ex, "serve", "--workers", "2")
    running.wait_for("serving ")
    yield ex, running
    running.stop()
    shutil.rmtree(ex["base"], ignore_errors=True)


# --- the defaults: two local workers ---------------------------------------------------------------------
def test_feedback_is_fetchable_seconds_after_submit(service):
    ex, running = service
    key = submit(ex, ALICE, SOURCE)
    pages = wait_until(
        lambda: (pages := feedback_pages(ex, ALICE)) and timestamp_of(key) in pages and pages,
        "feedback fetchable after submit",
        FEEDBACK_WITHIN_S,
        interval=0.25,
        details=lambda: running.text()[-2000:],
    )
    assert f"Score: {FULL:.1f} / {FULL:.1f}" in pages[timestamp_of(key)]
    assert "It is the one your grade uses" in pages[timestamp_of(key)]
    assert gradebook_total(ex, ALICE) == FULL


def burst_notebooks():
    """BURST notebooks: the solution, each realistic mistake and each other correct version, repeated."""
    kinds = [SOURCE] + [mutate(SOURCE, f, *edits) for f, edits in mutations(ASSIGNMENT).items()]
    kinds += [edit(SOURCE, function, edits) for _, function, edits, _ in variants(ASSIGNMENT)]
    return [kinds[i % len(kinds)] for i in range(BURST)]


def test_a_burst_is_graded_once_each_with_autograde_grades(service, tmp_path):
    ex, running = service
    keys = {}
    for i, nb in enumerate(burst_notebooks()):
        student = STUDENTS[i % len(STUDENTS)]
        keys[submit(ex, student, nb)] = student
    for key, student in keys.items():
        running.wait_for(re.escape(f"graded {student}/{ASSIGNMENT} ({timestamp_of(key)}"))
    rows = ledger(ex)
    for key, student in keys.items():
        assert rows[key]["state"] == "graded"
        assert len(graded_lines(running.text(), student, key)) == 1, f"{key} graded more than once"
    # make autograde on the same files, one student id per submission
    course = tmp_path / "course"
    course.mkdir()
    make_course(course)
    inbound = ex["root"] / COURSE / "inbound"
    ids = {}
    for i, key in enumerate(keys):
        ids[key] = f"burst-{i}"
        shutil.copytree(inbound / key, course / "submitted" / ids[key] / ASSIGNMENT)
    subprocess.run(
        [sys.executable, "-m", "coursekit", "--root", str(course), "autograde", ASSIGNMENT, "-j", "2"],
        check=True, capture_output=True,
    )  # fmt: skip
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        expected = {key: book.find_submission(ASSIGNMENT, ids[key]).score for key in keys}
    assert {key: rows[key]["score"] for key in keys} == expected
    assert len(set(expected.values())) > 1, "the burst should hold different scores"
    # the gradebook holds each student's latest submission (GradingService.counts = "latest")
    for student in STUDENTS:
        latest = max((k for k, s in keys.items() if s == student), key=timestamp_of)
        assert gradebook_total(ex, student) == rows[latest]["score"]
        assert [k for k, r in rows.items() if r["student"] == student and r["counts"]] == [latest]


def test_an_infinite_loop_costs_its_own_time_limit_and_the_queue_moves(service):
    ex, running = service
    looping = with_cell_code(SOURCE, "initialize_parameters_he", "while True:\n    pass")
    loop_key = submit(ex, BOB, looping)
    quick_key = submit(ex, CAROL, SOURCE)
    quick = running.wait_for(re.escape(f"graded {CAROL}/{ASSIGNMENT} ({timestamp_of(quick_key)}"))
    loop = running.wait_for(re.escape(f"graded {BOB}/{ASSIGNMENT} ({timestamp_of(loop_key)}"))
    assert running.text().index(quick[0]) < running.text().index(loop[0]), "the loop held up the queue"
    assert 0 < ledger(ex)[loop_key]["score"] < FULL  # the loop's function lost its points, not the rest
    page = feedback_pages(ex, BOB)[timestamp_of(loop_key)]
    assert "timed out" in page.lower() or "time limit" in page.lower(), page[-2000:]


def test_a_broken_notebook_gets_a_page_saying_why(service):
    ex, running = service
    key = submit(ex, CAROL, '{"cells": [ this is not JSON')
    running.wait_for(re.escape(f"graded {CAROL}/{ASSIGNMENT} ({timestamp_of(key)}"))
    page = feedback_pages(ex, CAROL)[timestamp_of(key)]
    assert "not a valid notebook" in page and "score 0" in page
    assert ledger(ex)[key]["score"] == 0


def test_a_student_cannot_submit_in_anothers_name(service):
    ex, running = service
    inbound = ex["root"] / COURSE / "inbound"
    forged = inbound / f"{ALICE}+{ASSIGNMENT}+2026-01-01 00:00:00.000000 UTC+forged"
    code = (
        "import os, shutil; "
        f"os.makedirs({str(forged)!r}); "
        f"shutil.copy({str(ex['homes'][BOB] / ASSIGNMENT / NAME)!r}, {str(forged)!r}); "
        f"open({str(forged / 'timestamp.txt')!r}, 'w').write('2026-01-01 00:00:00.000000 UTC'); "
        f"open({str(forged / 'submission_secret.txt')!r}, 'w').write('0' * 128)"
    )
    python_as(ex, BOB, code, check=True)
    before = gradebook_total(ex, ALICE)
    running.wait_for(re.escape(f"refused {forged.name}: submitted in the name of '{ALICE}'"))
    assert ledger(ex)[forged.name]["state"] == "refused"
    assert gradebook_total(ex, ALICE) == before


def test_a_student_cannot_read_anothers_feedback(service):
    ex, _ = service
    feedback = ex["root"] / COURSE / "feedback"
    result = python_as(ex, BOB, f"import os; os.listdir({str(feedback)!r})")
    assert result.returncode != 0 and "PermissionError" in result.stderr, "bob could list the feedback"
    state = ex["course"] / "grading_service"
    result = python_as(ex, BOB, f"import os; os.listdir({str(state)!r})")
    assert result.returncode != 0 and "PermissionError" in result.stderr, "bob could read the service's state"
    mine = set(feedback_pages(ex, BOB))
    bobs = {timestamp_of(k) for k, r in ledger(ex).items() if r["student"] == BOB and r["state"] == "graded"}
    assert mine == bobs


def test_only_holders_of_the_credentials_can_queue_work(service):
    ex, running = service
    assert running.process.poll() is None
    address = re.search(r"scheduler (tls://\S+)", running.text()).group(1)
    tls = ex["course"] / "grading_service" / "tls"
    plain = f"from distributed import Client; c = Client({address!r}, timeout=5); print(c.submit(sum, [1, 2]).result())"
    with_credentials = (
        "from distributed import Client; from distributed.security import Security; "
        f"s = Security(require_encryption=True, tls_ca_file='{tls}/ca.pem', tls_client_cert='{tls}/cert.pem', "
        f"tls_client_key='{tls}/key.pem'); c = Client({address!r}, security=s, timeout=5); "
        "print(c.submit(sum, [1, 2]).result())"
    )
    result = python_as(ex, BOB, plain)
    assert result.returncode != 0 and "3" not in result.stdout.split(), "bob queued work without credentials"
    result = python_as(ex, BOB, with_credentials)
    assert result.returncode != 0 and "PermissionError" in result.stderr, "bob could read the credentials"
    # The control: the graders' account, with the credentials, can.
    result = as_user(ex, INSTRUCTOR, sys.executable, "-c", with_credentials)
    assert result.stdout.split()[-1] == "3"
    assert (tls / "key.pem").stat().st_mode & 0o077 == 0


def kernel_worker(running):
    """The worker process (a child of the service) that is running a notebook kernel now, or None."""
    for worker in running.python().children():
        if any("ipykernel" in " ".join(p.cmdline()) for p in worker.children(recursive=True)):
            return worker
    return None


def test_a_killed_worker_s_job_is_retried_and_recorded_once(service):
    ex, running = service
    slow = with_cell_code(SOURCE, "initialize_parameters_zeros", "import time; time.sleep(4)")
    key = submit(ex, ALICE, slow)
    worker = running.wait_until(lambda: kernel_worker(running), "a worker grading")
    worker.kill()
    running.wait_for(re.escape(f"graded {ALICE}/{ASSIGNMENT} ({timestamp_of(key)}"))
    time.sleep(2)  # a second recording would show now
    assert len(graded_lines(running.text(), ALICE, key)) == 1
    assert ledger(ex)[key]["score"] == FULL
    assert gradebook_total(ex, ALICE) == FULL


def test_a_restart_grades_every_queued_submission_once(service):
    ex, running = service
    slow = with_cell_code(SOURCE, "initialize_parameters_zeros", "import time; time.sleep(2)")
    keys = {submit(ex, student, slow): student for student in STUDENTS}
    assert running.stop() == 0
    assert "stopping" in running.text()
    restarted = Running(ex, "serve", "--workers", "2", name="service-restarted")
    try:
        # Some may have been graded before the stop: the ledger, not the new log, says when all are.
        restarted.wait_until(
            lambda: all(ledger(ex)[key]["state"] == "graded" for key in keys),
            "every queued submission graded after the restart",
        )
        time.sleep(2)  # a second recording would show now
        both = running.text() + restarted.text()
        for key, student in keys.items():
            assert len(graded_lines(both, student, key)) == 1
            assert ledger(ex)[key]["state"] == "graded"
    finally:
        assert restarted.stop() == 0
    service_keys_graded_twice = [
        k
        for k, r in ledger(ex).items()
        if r["state"] == "graded" and len(graded_lines(both, r["student"], k)) > 1
    ]
    assert not service_keys_graded_twice


# --- policies ----------------------------------------------------------------------------------------------
def set_due_date(ex, when):
    """Set the assignment's due date in the course gradebook (a datetime, UTC), as formgrader would."""
    code = (
        "from nbgrader.api import Gradebook; from nbgrader.utils import parse_utc; "
        f"b = Gradebook('sqlite:///{ex['course'] / 'gradebook.db'}'); "
        f"b.update_or_create_assignment({ASSIGNMENT!r}, duedate=parse_utc({when.strftime('%Y-%m-%d %H:%M:%S UTC')!r})); "
        "b.close()"
    )
    as_user(ex, INSTRUCTOR, sys.executable, "-c", code)


#: Seconds from the start of the policies test to the assignment's due date: room for three gradings.
DUE_IN_S = 60


def test_attempt_limit_score_only_feedback_best_counts_and_the_due_date():
    ex = make_service_course(
        "dnn-service-policies-",
        [
            'c.GradingService.feedback_before_deadline = "score"',
            "c.GradingService.max_attempts = 2",
            'c.GradingService.counts = "best"',
        ],
    )
    running = Running(ex, "serve", "--workers", "1")
    try:
        running.wait_for("serving ")
        due = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) + timedelta(seconds=DUE_IN_S)
        set_due_date(ex, due)
        function = "initialize_parameters_he"
        wrong = mutate(SOURCE, function, *mutations(ASSIGNMENT)[function])
        lost = points(SOURCE)[f"test_{function}"]
        first = submit(ex, ALICE, SOURCE)
        running.wait_for(re.escape(f"graded {ALICE}/{ASSIGNMENT} ({timestamp_of(first)}"))
        second = submit(ex, ALICE, wrong)
        running.wait_for(re.escape(f"graded {ALICE}/{ASSIGNMENT} ({timestamp_of(second)}"))
        third = submit(ex, ALICE, wrong)
        running.wait_for(re.escape(f"deferred {ALICE}/{ASSIGNMENT} ({timestamp_of(third)}"))
        pages = feedback_pages(ex, ALICE)
        assert datetime.now(timezone.utc).replace(tzinfo=None) < due, "too slow: the due date passed already"
        stem = NAME.removesuffix(".ipynb")
        assert f"{stem}: {FULL:g} / {FULL:g}" in pages[timestamp_of(first)]
        assert f"{stem}: {FULL - lost:g} / {FULL:g}" in pages[timestamp_of(second)]
        assert "standard deviation" not in pages[timestamp_of(second)], "score only, no checks"
        assert "Your grade uses another submission" in pages[timestamp_of(second)]
        assert "received, not graded yet" in pages[timestamp_of(third)]
        assert gradebook_total(ex, ALICE) == FULL  # the best, not the latest
        assert ledger(ex)[third]["state"] == "deferred"

        # The due date passes: the deferred submission is graded (on time, not the best: it does not
        # count), the counted submission's full feedback goes out, and a submission now is late.
        time.sleep(max(0.0, (due - datetime.now(timezone.utc).replace(tzinfo=None)).total_seconds()) + 1)
        running.wait_for(re.escape(f"graded {ALICE}/{ASSIGNMENT} ({timestamp_of(third)}"))
        running.wait_for(re.escape(f"released full feedback of {ALICE}/{ASSIGNMENT}"))
        assert gradebook_total(ex, ALICE) == FULL
        pages = feedback_pages(ex, ALICE)
        assert f"Score: {FULL:.1f} / {FULL:.1f}" in pages[timestamp_of(first)]
        late = submit(ex, BOB, SOURCE)
        line = running.wait_for(re.escape(f"graded {BOB}/{ASSIGNMENT} ({timestamp_of(late)}"))[0]
        assert ", late)" in line and "feedback: full" in line
        assert "after the due date" in feedback_pages(ex, BOB)[timestamp_of(late)]
    finally:
        running.stop()
        shutil.rmtree(ex["base"], ignore_errors=True)


# --- workers on other machines -------------------------------------------------------------------------
def test_two_separately_started_workers_share_one_queue():
    port = free_port()
    ex = make_service_course(
        "dnn-service-remote-",
        ["c.GradingService.workers = 0", f'c.GradingService.scheduler_address = "tls://127.0.0.1:{port}"'],
    )
    running = Running(ex, "serve")
    workers = []
    try:
        running.wait_for("serving ")
        credentials = ex["course"] / "grading_service" / "tls"
        for name in ("machine-a", "machine-b"):
            workers.append(
                Running(
                    ex,
                    "worker",
                    f"tls://127.0.0.1:{port}",
                    "--credentials",
                    str(credentials),
                    "--name",
                    name,
                    name=name,
                )
            )
        keys = {submit(ex, student, SOURCE): student for student in (ALICE, BOB, CAROL, ALICE)}
        lines = [
            running.wait_for(re.escape(f"graded {student}/{ASSIGNMENT} ({timestamp_of(key)}"))[0]
            for key, student in keys.items()
        ]
        used = {re.search(r" on (\S+);", line).group(1) for line in lines}
        assert len(used) == 2, f"one worker took every job: {lines}"
    finally:
        for worker in workers:
            worker.stop()
        running.stop()
        shutil.rmtree(ex["base"], ignore_errors=True)
