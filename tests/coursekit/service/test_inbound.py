"""The service's look at the inbound folder under hostile folders (issue 23 items 3, 8, 14; issue 22 item 7).

A student can make a submission folder by hand. Whatever it holds, one pass of the service must end,
never raise, refuse what it cannot grade with a reason, grade everyone else, and survive a restart into
the same state; the submission's time is the service's, not what timestamp.txt claims; and a pass costs
little however many folders sit there. The service runs in this process with a fake task queue (or the
real Grader where the grading itself matters), on a real gradebook and exchange.
"""

import json
import os
import threading
import time

import pytest

from coursekit.service.inbox import Inbox
from coursekit.service.serve import READ_BUDGET_S
from coursekit.submission import DEFAULT_LIMITS
from tests.support.service import FULL, NAME, GraderEngine

#: A pass over a few hostile folders must end well within this (it must never block).
PASS_PATIENCE_S = 20
#: Folders named like submissions, none complete: what a pass must not re-read every time.
CROWD = 20_000
#: The CPU time a pass may cost once the crowd has been looked at (the first service re-read all of them).
STEADY_PASS_S = 0.05


def step_in_time(running, passes=1):
    """running.step(passes), failing (instead of hanging the test run) if a pass blocks."""
    errors = []

    def steps():
        try:
            running.step(passes)
        except BaseException as error:  # noqa: BLE001 -- reported below
            errors.append(error)

    thread = threading.Thread(target=steps, daemon=True)
    thread.start()
    thread.join(PASS_PATIENCE_S)
    assert not thread.is_alive(), f"a pass of the service blocked for {PASS_PATIENCE_S} s:\n{running.log()}"
    if errors:
        raise errors[0]


def state(running, key):
    return running.service.ledger.get(key)


def test_hostile_folders_are_refused_and_everyone_else_is_graded(sc, serve):
    running = serve()
    pipe = sc.submit("eve", {"score": 5}, secret=os.mkfifo)
    not_utf8 = sc.submit("mallory", {"score": 5}, secret=b"\xff" * 128)
    ok = sc.submit("ada", {"score": 5}, claimed="\xff\xfe not a time")  # timestamp.txt is shown, not read
    sparse = sc.submit("bob", {"score": 5}, extra={"huge.bin": lambda path: os.truncate(path, 64 * 1024**3)})
    step_in_time(running, 2)
    assert state(running, pipe).state == "refused"
    assert "submission_secret.txt is not a file" in state(running, pipe).detail
    assert state(running, not_utf8).state == "refused"
    assert "is not nbgrader's" in state(running, not_utf8).detail
    assert state(running, ok).state == "graded" and sc.gradebook("ada")[0] == FULL
    assert state(running, sparse).state == "graded" and sc.gradebook("bob")[0] == FULL
    assert json.loads(state(running, sparse).refused)[0][1].startswith("is 65536.0 MiB, more than the limit")
    # A restart (the hub restarts the service into the same state) neither re-reads nor stops on them.
    running.stop()
    again = serve()
    step_in_time(again, 2)
    assert "refused" not in again.log() and "graded" not in again.log()


def test_a_linked_notebook_is_not_read_and_its_page_says_why(sc, serve):
    """Issue 22 item 7: a link to the source notebook scored full marks and leaked the solutions."""
    running = serve(engine=GraderEngine(sc.root))
    source = next((sc.root / "notebooks" / "initialization").glob("*.ipynb"))
    key = sc.submit("eve", source)
    running.step()  # grades for real (the canary too, the first time): no time guard
    entry = state(running, key)
    assert entry.state == "graded" and entry.score == 0
    page = sc.page(key)
    assert "is a symbolic link: it was not followed" in page
    assert "BEGIN SOLUTION" not in page and "np.sqrt(2" not in page
    assert not (sc.root / "submitted" / "eve" / "initialization" / NAME).exists()


def test_files_not_readable_yet_are_read_again_then_graded_without_them(sc, serve, clock, monkeypatch):
    """A folder whose permissions nbgrader is still setting was refused for good by the first service."""
    import coursekit.submission

    real_open, denied = os.open, {"notes.txt"}

    def open_(path, flags, *args, **kwargs):
        if path in denied:
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(coursekit.submission.os, "open", open_)
    running = serve(unreadable_minutes=1.0)
    key = sc.submit("ada", {"score": 5}, extra={"notes.txt": b"mine"})
    step_in_time(running)
    assert state(running, key) is None, "not taken while a file may still become readable"
    assert "notes.txt could not be read (Permission denied); looked at again" in running.log()
    clock.advance(61)
    step_in_time(running)
    entry = state(running, key)
    assert entry.state == "graded" and sc.gradebook("ada")[0] == FULL
    assert json.loads(entry.refused) == [["notes.txt", "could not be read (Permission denied)"]]


def test_timestamp_txt_does_not_decide_the_submission_time(sc, serve, clock):
    """Item 3: a hand-made folder could be backdated to avoid being late."""
    sc.set_deadline(due=clock.now - 3600)
    running = serve()
    key = sc.submit("ada", {"score": 5}, claimed="2020-01-01 00:00:00.000000 UTC")
    step_in_time(running)
    entry = state(running, key)
    assert entry.submitted == clock.now and entry.late
    score, penalty, timestamp = sc.gradebook("ada")
    assert (score, penalty) == (FULL, FULL), "late, with nbgrader's 'zero' penalty"
    assert timestamp.replace(microsecond=0).isoformat(" ") == "2026-11-20 12:00:00"
    assert "(after the due date)" in sc.page(key)


def test_the_time_is_the_last_change_when_the_service_was_down(sc, serve, clock):
    """A folder made while the service was down is timed by its change time, not by the restart."""
    key = sc.submit("ada", {"score": 5})
    made = time.time()
    clock.now = made + 600  # the service comes back ten minutes later
    running = serve()
    step_in_time(running)
    assert abs(state(running, key).submitted - made) < 5


def test_a_crowd_of_incomplete_folders_costs_little_per_pass(sc, clock):
    """Item 14: every pass listed the whole folder and re-read every incomplete one."""
    for i in range(CROWD):
        os.mkdir(sc.inbound / f"x{i}+initialization+2026-11-20 12:00:00 UTC+{i}")
    inbox = Inbox(sc.inbound, DEFAULT_LIMITS, poll=0.5)
    clock.advance(-600)  # they were made ten minutes ago, and looked at then
    while inbox.look(clock.now, READ_BUDGET_S) or any(p.looks == 0 for p in inbox.pending.values()):
        pass
    clock.advance(600)
    costs = []  # the CPU time of each pass: what it costs the machine, whatever else runs on it
    for _ in range(10):  # five seconds of passes: each folder is due once in them, spread by the budget
        start = time.thread_time()
        assert inbox.look(clock.now, READ_BUDGET_S) == []
        costs.append(time.thread_time() - start)
        clock.advance(0.5)
    assert max(costs) < READ_BUDGET_S + STEADY_PASS_S, "no pass reads more than its budget"
    assert sorted(costs)[len(costs) // 2] < STEADY_PASS_S, f"most passes cost next to nothing: {costs}"
    key = sc.submit("ada", {"score": 5})
    clock.advance(0.5)
    assert [s.key for s in inbox.look(clock.now, READ_BUDGET_S)] == [key], "a new submission is seen at once"


def test_the_submission_is_taken_once_later_changes_do_not_count(sc, serve, clock):
    running = serve(max_attempts=1, attempt_window_hours=1)
    first = sc.submit("ada", {"score": 1})
    step_in_time(running)
    key = sc.submit("ada", {"score": 2})  # deferred: it waits on the service's copy
    clock.advance(1)
    step_in_time(running)
    assert state(running, key).state == "deferred"
    (sc.inbound / key / NAME).write_text('{"score": 5}')  # changed after it was taken
    clock.advance(3600)
    step_in_time(running, 2)
    assert state(running, first).state == state(running, key).state == "graded"
    assert state(running, key).score == 2.0


@pytest.mark.parametrize(
    "name",
    ["ada\n+initialization+2026-11-20 12:00:00 UTC+1", "ada\x1b[2J+initialization+2026-11-20 12:00:00 UTC+1"],
)
def test_a_malformed_name_is_refused_and_logged_on_one_line(sc, serve, name):
    running = serve()
    folder = sc.inbound / name
    folder.mkdir()
    (folder / "submission_secret.txt").write_text("0" * 128)
    step_in_time(running)
    (line,) = [line for line in running.log().splitlines() if line.split(" ", 1)[1].startswith("refused")]
    assert "malformed submission name" in line and line.isprintable()
