"""What the service decides for each graded submission (issue 23 items 1, 2, 3, 5, 7, and the policies).

Late penalties as the course gradebook's due date and the student's extension give them; which
submission counts; what a student sees before and after their due date; attempt limits. The service
runs in this process on a real gradebook and exchange, with a clock the tests move instead of waiting
for a due date (the first service's test waited 60 s for one). These take over the policy assertions
of tests/system/test_service.py's former ``test_attempt_limit_score_only_feedback_best_counts_and_the_due_date``.
"""

from datetime import timedelta

import pytest

from tests.support.service import FULL, NOTEBOOK, SOURCE_PATH, GraderEngine

HOUR = 3600.0
DAY = 24 * HOUR


def entry(running, key):
    return running.service.ledger.get(key)


def lines(running, word, key):
    return [
        line for line in running.log().splitlines() if line.split(" ", 1)[1].startswith(word) and key in line
    ]


@pytest.mark.slow  # two real gradings
def test_late_penalties_and_extensions_as_the_course_gradebook_gives_them(sc, serve, clock):
    """Items 1 and 2, with the real grader: a late submission keeps nbgrader's penalty ('zero': the
    whole score), an extended student's on time."""
    sc.set_deadline(due=clock.now - HOUR, extensions={"bob": timedelta(days=1)})
    running = serve(engine=GraderEngine(sc.root))
    late, extended = sc.submit("ada", SOURCE_PATH.read_bytes()), sc.submit("bob", SOURCE_PATH.read_bytes())
    running.step()
    assert sc.gradebook("ada")[:2] == (FULL, FULL), "late: the penalty takes the whole score"
    assert sc.gradebook("bob")[:2] == (FULL, 0.0), "on time with the extension"
    assert (entry(running, late).score, entry(running, late).late) == (0.0, 1)
    assert (entry(running, extended).score, entry(running, extended).late) == (FULL, 0)
    assert "Late submission penalty" in sc.page(late) and "(after the due date)" in sc.page(late)
    assert "Late submission penalty" not in sc.page(extended)


def test_an_extension_counts_for_best_and_holds_back_full_feedback(sc, serve, clock):
    """Item 2: lateness, counts = best and the release of full feedback read the student's extension."""
    due = clock.now + HOUR
    sc.set_deadline(due=due, extensions={"ada": timedelta(days=2)})
    running = serve(counts="best", feedback_before_deadline="score")
    low = sc.submit("ada", {"score": 2})
    bob = sc.submit("bob", {"score": 4})
    running.step()
    clock.now = due + HOUR  # after the class's due date, within ada's extension
    better = sc.submit("ada", {"score": 5})
    running.step(2)
    assert not entry(running, better).late and entry(running, better).counts, (
        "on time for ada: the best counts"
    )
    assert sc.gradebook("ada")[0] == FULL
    assert f"{NOTEBOOK}: 5 / 5" in sc.page(better), "still before ada's due date: the score only"
    assert lines(running, "released full feedback", bob), "bob's due date passed: his full feedback"
    assert not lines(running, "released full feedback", low) and not lines(
        running, "released full feedback", better
    )
    assert "Score: 4.0" in sc.page(bob)
    clock.now = due + 2 * DAY + 1
    running.step()
    assert lines(running, "released full feedback", better) and "Score: 5.0 / 5.0" in sc.page(better)
    assert f"{NOTEBOOK}: 2 / 5" in sc.page(low), "the one that does not count keeps its score page"


def test_the_latest_is_the_latest_submitted_not_the_last_graded(sc, serve, clock):
    """Item 3: ties were decided by which job finished last, and times compared as text."""
    running = serve()
    first = sc.submit("ada", {"score": 5}, claimed="2026-11-20 13:30:00.000000 +0100")
    running.service.engine.hang.add(first)  # graded after the newer one
    running.step()
    clock.advance(60)
    second = sc.submit("ada", {"score": 3}, claimed="2026-11-20 12:45:00.000000 UTC")
    running.step()
    running.service.engine.hang.clear()
    running.step()
    assert entry(running, second).counts and not entry(running, first).counts
    assert sc.gradebook("ada")[0] == 3.0
    assert "Your grade uses another submission" in sc.page(first)


def test_attempts_count_when_they_are_taken_and_one_free_slot_goes_once(sc, serve, clock):
    """Item 5: a deferred submission graded later counted in the window it was seen in; after downtime
    a new and a deferred submission could both take one freed slot."""
    running = serve(max_attempts=1, attempt_window_hours=1)
    start = clock.now
    first = sc.submit("ada", {"score": 1})
    running.step()
    clock.advance(600)
    waiting = sc.submit("ada", {"score": 2})
    running.step()
    assert entry(running, waiting).state == "deferred"
    assert entry(running, waiting).not_before == start + HOUR
    assert "received, not graded yet" in sc.page(waiting)
    clock.now = start + 2 * HOUR  # the service was down: the slot freed meanwhile
    newest = sc.submit("ada", {"score": 3})
    running.step()
    assert entry(running, newest).state == "graded"
    assert entry(running, waiting).state == "superseded", "the newest waiting submission is the one graded"
    clock.advance(1800)  # within the hour of the attempt taken at start + 2 h
    later = sc.submit("ada", {"score": 4})
    running.step()
    assert entry(running, later).state == "deferred", "the attempt counts from when it was taken"
    assert entry(running, later).not_before == start + 3 * HOUR
    assert entry(running, first).state == "graded"


def test_policies_before_and_after_the_due_date(sc, serve, clock):
    """Two graded attempts a day, score-only feedback before the due date, the best counts; then the due
    date passes: the deferred submission is graded, the counted one's full feedback goes out, a
    submission now is late with full feedback."""
    due = clock.now + HOUR
    sc.set_deadline(due=due)
    running = serve(feedback_before_deadline="score", max_attempts=2, counts="best")
    first = sc.submit("ada", {"score": 5})
    running.step()
    second = sc.submit("ada", {"score": 3})
    running.step()
    third = sc.submit("ada", {"score": 3})
    running.step()
    assert lines(running, "deferred ada/initialization", third)
    assert f"{NOTEBOOK}: {FULL:g} / {FULL:g}" in sc.page(first)
    assert f"{NOTEBOOK}: 3 / {FULL:g}" in sc.page(second)
    assert "Score:" not in sc.page(second), "score only, not nbgrader's page"
    assert "Your grade uses another submission" in sc.page(second)
    assert "received, not graded yet" in sc.page(third)
    assert sc.gradebook("ada")[0] == FULL, "the best, not the latest"
    assert entry(running, third).state == "deferred"

    clock.now = due + 1
    running.step()
    assert lines(running, "graded ada/initialization", third), "graded at the due date"
    assert not entry(running, third).counts and not entry(running, third).late
    assert lines(running, "released full feedback of ada/initialization", first)
    assert sc.gradebook("ada")[0] == FULL
    assert f"Score: {FULL:.1f} / {FULL:.1f}" in sc.page(first)
    late = sc.submit("bob", {"score": 5})
    running.step()
    (line,) = lines(running, "graded bob/initialization", late)
    assert "(late)" in line and "feedback: full" in line
    assert "after the due date" in sc.page(late)


def test_each_page_goes_out_under_its_own_submissions_secret(sc, serve, clock):
    """Item 7: the full feedback after the due date was released under the secret in submitted/, which
    can hold another submission's."""
    due = clock.now + HOUR
    sc.set_deadline(due=due)
    running = serve(feedback_before_deadline="score", counts="latest")
    first = sc.submit("ada", {"score": 5})
    running.step()
    (sc.root / "submitted" / "ada" / "initialization" / "submission_secret.txt").write_text("f" * 128)
    clock.now = due + 1
    running.step()
    assert "Score: 5.0 / 5.0" in sc.page(first), "released under the submission's own secret"
