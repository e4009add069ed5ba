"""The grading service's pages before a due date (coursekit.feedback, coursekit.service.outbox) and its ledger.

The service end to end is tests/system/test_service.py; these are the parts it builds on, on made-up data:
which public checks passed (an error on a hidden-test line means the public part passed), the score
and public pages, and the ledger's attempts, counted submission, outbox and transactions (issue 23
item 4: a decision and what it implies are written together), and its upgrade from the first
service's layout.
"""

import sqlite3

import nbformat

from coursekit.feedback import HIDDEN_TESTS, public_checks, public_page, with_note
from coursekit.precheck import Problem
from coursekit.service.inbox import Submission
from coursekit.service.jobs import JobResult
from coursekit.service.ledger import Ledger
from coursekit.service.outbox import pages_for
from coursekit.workers import NotebookScores, Outcome

TEST_SOURCE = (
    f"assert x > 0, 'x must be positive'\nassert x < 9\n{HIDDEN_TESTS}\nassert x == 3\n### END HIDDEN TESTS"
)


def graded_test_cell(grade_id, error_line=None):
    """A graded test cell as nbgrader's autograde leaves it, failing on ``error_line`` (1-based) if given."""
    cell = nbformat.v4.new_code_cell(TEST_SOURCE)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": 1}
    if error_line:
        # IPython's traceback, with its colour codes, names the cell's line that raised.
        frame = f"\x1b[0;32mCell \x1b[0;32mIn[7], line {error_line}\x1b[0m\n\x1b[1;32m----> {error_line}\x1b[0m assert"
        cell.outputs = [
            nbformat.v4.new_output(
                "error", ename="AssertionError", evalue="x must be positive", traceback=["---", frame]
            )
        ]
    return cell


def graded(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("text"), *cells]
    return nb


def test_public_checks_tell_a_public_failure_from_a_hidden_one():
    nb = graded(
        graded_test_cell("passes"),
        graded_test_cell("public-fails", error_line=1),
        graded_test_cell("hidden-fails", error_line=4),
    )
    assert public_checks(nb) == [
        ("passes", True, ""),
        ("public-fails", False, "AssertionError: x must be positive"),
        ("hidden-fails", True, ""),
    ]


def test_the_public_page_shows_no_score_and_no_hidden_result():
    page = public_page("Initialization", [("a", True, ""), ("b", False, "AssertionError: <shape>")])
    assert (
        "a: public checks passed" in page and "b: public checks failed: AssertionError: &lt;shape&gt;" in page
    )
    assert "/ " not in page.split("<h1>")[1].split("</h1>")[0]


def result(scores, problems=(), graded_nb=None):
    outcome = Outcome("initialization", "ada", ok=True, problems=list(problems))
    outcome.notebooks = {"Initialization": NotebookScores(None, scores)}
    feedback = {"Initialization.html": b"<html><body><p>Score: full page</p></body></html>"}
    notebooks = {"Initialization.ipynb": nbformat.writes(graded_nb).encode()} if graded_nb else {}
    return JobResult("key", outcome, feedback, notebooks, "host:1")


def test_pages_for_each_feedback_mode():
    maxima = {"Initialization": 5.0}
    some = result({"a": 2.0, "b": 1.0, "c": None}, graded_nb=graded(graded_test_cell("c", error_line=1)))
    full = pages_for("full", some, maxima, "<p>NOTE</p>")["Initialization.html"].decode()
    assert full.startswith("<html><body><p>NOTE</p>") and "full page" in full
    score = pages_for("score", some, maxima, "")["Initialization.html"].decode()
    assert "Initialization: 3 / 5" in score and "full page" not in score
    public = pages_for("public", some, maxima, "")["Initialization.html"].decode()
    assert "c: public checks failed" in public and "3 / 5" not in public
    # A notebook that could not be graded shows why, whatever the mode.
    broken = result(
        {}, problems=[Problem("ada", "initialization", "Initialization.ipynb", "not a valid notebook")]
    )
    broken.feedback = {"Initialization.html": b"<html><body>not a valid notebook</body></html>"}
    assert b"not a valid notebook" in pages_for("score", broken, maxima, "")["Initialization.html"]


def test_with_note_goes_first_in_the_body():
    assert with_note("<html><body>x</body></html>", "<p>n</p>") == "<html><body><p>n</p>x</body></html>"
    assert with_note("page", "") == "page"


def submission(key, student="ada", submitted=None):
    return Submission(key, student, "initialization", student, "0" * 128, "claimed", submitted or 0.0, {})


def test_ledger_attempts_and_the_counted_submission(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    for i, seen in enumerate((100.0, 200.0, 300.0)):
        ledger.add(submission(f"k{i}", submitted=seen), "queued", seen, attempt=1, attempt_at=seen)
    ledger.add(submission("k3", submitted=400.0), "queued", 400.0)  # not an attempt (e.g. refused later)
    assert [t for t in ledger.attempts("ada", "initialization") if t >= 150.0] == [200.0, 300.0]
    ledger.decide("k0", 5.0, 5.0, True, False, "full", {"record": 0.0})
    ledger.decide("k1", 3.0, 5.0, True, False, "full", {"record": 0.0, "release:now": 0.0})
    assert ledger.counted("ada", "initialization").key == "k1"
    assert [e.counts for e in ledger.of("ada", "initialization")] == [0, 1, 0, 0]
    # k0's pending record is dropped: the gradebook is to hold k1
    assert {(a.key, a.action) for a in ledger.actions()} == {("k1", "record"), ("k1", "release:now")}
    ledger.decide("k2", 1.0, 5.0, False, False, "full", {})
    assert ledger.counted("ada", "initialization").key == "k1"
    assert {e.key for e in ledger.in_state("graded")} == {"k0", "k1", "k2"}
    ledger.close()
    # The ledger is durable: a new process sees the same state.
    assert Ledger(tmp_path / "ledger.db").counted("ada", "initialization").key == "k1"


def test_a_decision_and_its_actions_are_written_together(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.add(submission("k0"), "queued", 1.0, attempt=1, attempt_at=1.0)
    ledger.plan("k0", "release:full", 99.0)
    try:
        with ledger.transaction():
            ledger.decide("k0", 5.0, 5.0, True, False, "score", {"record": 0.0})
            raise RuntimeError("killed between the two")
    except RuntimeError:
        pass
    assert ledger.get("k0").state == "queued" and not ledger.get("k0").counts
    assert [a.action for a in ledger.actions()] == ["release:full"]
    assert ledger.actions(now=50.0) == [], "an action waits for its time"
    ledger.postpone("k0", "release:full", 120.0, "the exchange is full")
    (action,) = ledger.actions()
    assert (action.not_before, action.tries, action.error) == (120.0, 1, "the exchange is full")


#: The first grading service's ledger (main before issue 23), as a running class may have it.
VERSION_1 = """
CREATE TABLE submissions (key TEXT PRIMARY KEY, student TEXT NOT NULL, assignment TEXT NOT NULL,
    timestamp TEXT NOT NULL, seen REAL NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
    not_before REAL, graded REAL, score REAL, max_score REAL, counts INTEGER NOT NULL DEFAULT 0,
    full_released INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '');
INSERT INTO submissions (key, student, assignment, timestamp, seen, state, attempt, score, counts)
    VALUES ('k0', 'ada', 'initialization', '2026-11-20 12:00:00 UTC', 1000.0, 'graded', 1, 5.0, 1),
           ('k1', 'ada', 'initialization', '2026-11-20 12:05:00 UTC', 1300.0, 'queued', 1, NULL, 0);
"""


def test_a_ledger_of_the_first_service_is_brought_up_to_date(tmp_path):
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        db.executescript(VERSION_1)
    ledger = Ledger(tmp_path / "ledger.db")
    k0, k1 = ledger.get("k0"), ledger.get("k1")
    assert (k0.submitted, k0.attempt_at, k0.mode, k0.counts) == (1000.0, 1000.0, "full", 1)
    assert (k1.state, k1.submitted, k1.refused) == ("queued", 1300.0, "[]")
    assert ledger.attempts("ada", "initialization") == [1000.0, 1300.0]
    assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == 2
