"""The grading service's policies as pure functions (coursekit.service.policy, coursekit.gradebook.Deadline).

Issue 23 items 2, 3 and 5 come down to these: a deadline is the assignment's due date plus the
student's extension, compared as an instant; which submission counts is decided by the service's
times, never by text or by which job finished last; an attempt counts in the window it was taken in.
"""

from datetime import datetime, timedelta, timezone

from coursekit.gradebook import Deadline, Deadlines
from coursekit.service.policy import Graded, admission, backoff, counts, feedback_mode

HOUR = 3600.0
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc).timestamp()
DUE = datetime(2026, 11, 20, 12, 0)  # naive UTC, as nbgrader's gradebook keeps it


def test_a_deadline_is_the_due_date_plus_the_students_extension_as_an_instant():
    plain, extended = Deadline(DUE), Deadline(DUE, timedelta(days=2))
    assert plain.instant == T0 and extended.instant == T0 + 48 * HOUR
    assert plain.late(T0 + 1) and not extended.late(T0 + 1)
    assert extended.passed(T0 + 48 * HOUR) and not extended.passed(T0 + 47 * HOUR)
    assert Deadline().instant is None and not Deadline().late(T0) and not Deadline().passed(T0)
    deadlines = Deadlines({"a": DUE}, {("a", "ada"): timedelta(hours=5)})
    assert deadlines.of("a", "ada").instant == T0 + 5 * HOUR
    assert deadlines.of("a", "bob").instant == T0
    assert deadlines.of("b", "ada") == Deadline()


def test_times_in_other_zones_order_as_instants_not_as_text():
    # 13:30 in UTC+1 is 12:30 UTC: earlier than 12:45 UTC, though "13:30" sorts after "12:45".
    east, utc = "2026-11-20 13:30:00+01:00", "2026-11-20 12:45:00+00:00"
    assert east > utc  # the text comparison the first service made
    as_instant = {t: datetime.fromisoformat(t).timestamp() for t in (east, utc)}
    first, second = (
        Graded("k-east", as_instant[east], 5.0, False),
        Graded("k-utc", as_instant[utc], 3.0, False),
    )
    assert counts("latest", second, first) and not counts("latest", first, second)


def test_the_latest_counts_by_time_then_key_whatever_finishes_last():
    older, newer = Graded("k1", T0, 5.0, False), Graded("k2", T0 + 60, 1.0, False)
    assert counts("latest", newer, older)
    assert not counts("latest", older, newer)  # the older one finishing last does not take over
    tie_a, tie_b = Graded("a", T0, 1.0, False), Graded("b", T0, 2.0, False)
    assert counts("latest", tie_b, tie_a) and not counts("latest", tie_a, tie_b)
    assert counts("latest", older, None) and counts("latest", older, older)


def test_the_best_counts_on_time_before_late_then_score_then_time():
    on_time_low, on_time_high = Graded("k1", T0, 2.0, False), Graded("k2", T0 + 60, 5.0, False)
    late_high = Graded("k3", T0 + 120, 5.0, True)
    assert counts("best", on_time_high, on_time_low)
    assert not counts("best", on_time_low, on_time_high)
    assert not counts("best", late_high, on_time_low), "a late submission never beats an on-time one"
    assert counts("best", on_time_low, late_high)
    assert counts("best", Graded("k4", T0 + 180, 0.0, True), late_high), "among late ones, the newer"
    same = Graded("k5", T0 + 240, 5.0, False)
    assert counts("best", same, on_time_high), "a tie in score: the newer"


def test_attempts_count_in_the_window_they_were_taken_in():
    window = 24 * HOUR
    assert admission([], T0, 2, window, False) == (True, None)
    assert admission([T0], T0 + HOUR, 2, window, False) == (True, None)
    assert admission([T0, T0 + HOUR], T0 + 2 * HOUR, 2, window, False) == (False, T0 + window)
    assert admission([T0, T0 + HOUR], T0 + window + 1, 2, window, False) == (True, None)
    # an attempt taken late (a deferred submission graded after downtime) counts from then
    assert admission([T0 - 30 * HOUR, T0], T0 + HOUR, 1, window, False) == (False, T0 + window)
    assert admission([T0, T0], T0, 0, window, False) == (True, None), "0: no limit"
    assert admission([T0, T0], T0, 1, window, True) == (True, None), "no limit after the due date"


def test_feedback_mode_and_backoff():
    assert feedback_mode("score", True, False) == "score"
    assert feedback_mode("score", True, True) == "full"
    assert feedback_mode("public", False, False) == "full", "without a due date"
    assert [backoff(n, 60) for n in (1, 2, 3, 6, 7, 20)] == [1.0, 2.0, 4.0, 32.0, 60.0, 60.0]
