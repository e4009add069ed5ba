"""The class report: grouping of failed-check messages, anonymity, numbers, and the page in a browser.

The unit tests pin the normalisation rules; the others read the report ``make autograde`` wrote for
the class of tests/support/report_class.py (45 graded submissions with planted mistakes).
"""

import csv
import html
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from nbgrader.api import Gradebook

from coursekit.report import (
    AssignmentReport,
    Misconception,
    anonymise,
    cell_messages,
    collect,
    message_key,
    render,
)
from coursekit.scores import Exercise, Submission
from tests.support.browser import chromium_missing
from tests.support.report_class import BROKEN, FLAGGED, LATE, PEOPLE, PLANTED


# --- the normalisation rules -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "key"),
    [
        (
            "W1 has shape (3, 2), expected (n_1, n_0) = (2, 3)",
            "W1 has shape <shape>, expected (n_1, n_0) = <shape>",
        ),
        (
            "W1 is [[1.05 1.9 ]], expected W1 - 0.1 * dW1 = [[0.95, 2.1]]",
            "W1 is <array>, expected W1 - <n> * dW1 = <array>",
        ),
        ("W1 is [[-1.99999990e+07  2.10540925e+00]]", "W1 is <array>"),
        ("got array([[1., 2.],\n       [3., 4.]]) and np.float64(0.5)", "got <array> and <n>"),
        ("rate -0.0356401, but dW1 predicts 1e-3 (nan, inf)", "rate <n>, but dW1 predicts <n> (<n>, <n>)"),
        (
            "with keep_prob = 0.7, D1 keeps 30.3% of the units",
            "with keep_prob = <n>, D1 keeps <n>% of the units",
        ),
        # which key is wrong stays; free text a student printed does not
        (
            "s['db1'] has shape (5, 2), expected b1's shape (5, 1)",
            "s['db1'] has shape <shape>, expected b1's shape <shape>",
        ),
        ("got ['W1', 'W2', 'b1', 'b2']", "got ['W1', 'W2', 'b1', 'b2']"),
        (
            "print exactly one line, got 'gradient check passed\\ndifference = 2.1e-09\\n'",
            "print exactly one line, got '…'",
        ),
        ("/tmp/ipykernel_81/3321.py:4: RuntimeWarning: overflow", "<path>:<n>: RuntimeWarning: overflow"),
        ("  two\n  lines  ", "two lines"),
    ],
)
def test_message_key_leaves_out_what_varies(message, key):
    assert message_key(message) == key


def test_messages_that_differ_only_in_numbers_share_a_key():
    a = "expected 1.299001 (cross-entropy 0.299001 plus 0.5 / (2 * 4) * 16), got 2.299001"
    b = "expected 1.299001 (cross-entropy 0.299001 plus 0.5 / (2 * 4) * 16), got 0.702094"
    assert message_key(a) == message_key(b)
    assert message_key("dW1 is wrong") != message_key("db2 is wrong")


def test_anonymise_removes_names_ids_addresses_and_paths():
    own = {"s-grace", "grace", "hopper", "grace.hopper@uni.example"}
    text = "ValueError: Grace HOPPER (s-grace, grace.hopper@uni.example) in /home/s-grace/x.py; ask alan"
    assert anonymise(text, own, frozenset({"alan"})) == (
        "ValueError: <student> <student> (<student>, <student>) in <path>; ask <student>"
    )
    # other students' names go only as whole words
    assert anonymise("a balance", (), frozenset({"alan"})) == "a balance"


def test_cell_messages_are_the_feedback_lines():
    cell = {
        "outputs": [
            {"output_type": "error", "ename": "AssertionError", "evalue": "W1 is wrong", "traceback": []}
        ]
    }
    assert cell_messages(cell) == ["AssertionError: W1 is wrong"]
    blank = {
        "outputs": [{"output_type": "error", "ename": "NotImplementedError", "evalue": "", "traceback": []}]
    }
    assert cell_messages(blank) == ["NotImplementedError"]
    warning = {
        "outputs": [
            {
                "output_type": "stream",
                "name": "stderr",
                "text": ["\n", "x.py:3: RuntimeWarning: overflow\n", "  y\n"],
            }
        ]
    }
    assert cell_messages(warning) == ["stderr: x.py:3: RuntimeWarning: overflow"]


def test_everything_from_students_is_escaped():
    hostile = "<img src=x onerror=alert(1)>"
    student = "<b>eve</b>"
    exercise = Exercise("a1", "Nb", "test_f", 1.0, {student: 0.0})
    group = Misconception(f"AssertionError: {hostile}", {student}, Counter({f"AssertionError: {hostile}": 1}))
    report = AssignmentReport(
        name="a1",
        max_score=1.0,
        duedate=None,
        submissions={student: Submission("a1", student, 0.0, 1.0, 0.0, None, None)},
        exercises=[exercise],
        misconceptions={"test_f": [group]},
        silent={},
        ungradable=[{"student": student, "notebook": "Nb.ipynb", "problem": hostile}],
        flagged=[{"student": student, "notebook": "Nb.ipynb", "cell": "1", "finding": f"</table>{hostile}"}],
        students=1,
    )
    page = render([report])
    assert hostile not in page and student not in page and "</table><img" not in page
    assert html.escape(hostile) in page and html.escape(student) in page


def small_report():
    """One assignment of three students, two exercises: totals 3, 3 and 1 of 3 points."""
    scores = {"s1": (1.0, 2.0), "s2": (1.0, 2.0), "s3": (0.0, 1.0)}
    exercises = [
        Exercise("a1", "Nb", "test_f", 1.0, {s: f for s, (f, _) in scores.items()}),
        Exercise("a1", "Nb", "test_g", 2.0, {s: g for s, (_, g) in scores.items()}),
    ]
    return AssignmentReport(
        name="a1",
        max_score=3.0,
        duedate=None,
        submissions={s: Submission("a1", s, f + g, 3.0, 0.0, None, None) for s, (f, g) in scores.items()},
        exercises=exercises,
        misconceptions={
            "test_f": [Misconception("AssertionError: f", {"s3"}, Counter({"AssertionError: f": 1}))]
        },
        silent={},
        ungradable=[],
        flagged=[{"student": "s2", "notebook": "Nb.ipynb", "cell": "1", "finding": "import os"}],
        students=3,
    )


def test_plots_are_described_with_their_numbers():
    page = render([small_report()])
    histogram, bars = re.findall(r"<img alt='([^']*)'", page)
    assert "3 submission(s), out of 3 points" in histogram and "2 at 3; 1 at 1." in histogram
    assert bars.endswith(": f (1 pt) 33%, mean score 0.67; g (2 pt) 33%, mean score 1.67.")


def test_tables_have_captions_column_headers_and_scroll_from_the_keyboard():
    page = render([small_report()])
    tables = re.findall(
        r"(<div[^>]*>)<table class='([^']*)'><caption>([^<]+)</caption><thead><tr>(.*?)</tr>", page
    )
    assert [cls for _, cls, _, _ in tables] == [
        "overview",
        "exercises",
        "misconceptions",
        "flagged sortable",
        "students sortable",
    ]
    for box, cls, caption, head in tables:
        # a box that scrolls sideways takes the keyboard's focus, named by the table's caption
        assert box == f"<div class='scroll' role='region' tabindex='0' aria-label='{caption}'>"
        headers = re.findall(r"<th scope='col'(?: class='num')?>(.*?)</th>", head)
        assert len(headers) == head.count("<th")
        # in a sortable table, each heading is a button: Tab reaches it, Enter and Space sort
        assert all(h.startswith("<button type='button'>") for h in headers) == ("sortable" in cls)


# --- reading the page --------------------------------------------------------------------------------
class Tables(HTMLParser):
    """Every <table> of the page: its class, section, exercise heading, header and cells (text, data-value)."""

    def __init__(self):
        super().__init__()
        self.tables, self.section, self.exercise, self.table, self.cell = [], None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section, self.exercise = attrs.get("data-assignment"), None
        elif tag == "h4":
            self.exercise = attrs.get("data-exercise")
        elif tag == "table":
            self.table = SimpleNamespace(
                cls=attrs.get("class", ""), section=self.section, exercise=self.exercise, header=[], rows=[]
            )
        elif tag == "tr" and self.table is not None:
            self.table.rows.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = [tag, "", attrs.get("data-value")]

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            kind, text, value = self.cell
            if kind == "th":
                self.table.header.append(text)
            else:
                self.table.rows[-1].append(SimpleNamespace(text=text, value=value))
            self.cell = None
        elif tag == "tr" and self.table is not None and not self.table.rows[-1]:
            self.table.rows.pop()  # the header row
        elif tag == "table" and self.table is not None:
            self.tables.append(self.table)
            self.table = None


def page_tables(text):
    parser = Tables()
    parser.feed(text)
    return parser.tables


def tables(report_tables, cls, section=None):
    return [t for t in report_tables if cls in t.cls.split() and (section is None or t.section == section)]


@pytest.fixture(scope="module")
def page(graded_class):
    text = (graded_class.root / "report.html").read_text()
    return SimpleNamespace(text=text, tables=page_tables(text))


# --- the class's report --------------------------------------------------------------------------------
@pytest.mark.slow
def test_misconception_groups_are_the_planted_mistakes(graded_class):
    found = {}
    for report in collect(graded_class.root, graded_class.db_url):
        for exercise, groups in report.misconceptions.items():
            if groups:
                found[(report.name, exercise)] = {frozenset(g.students) for g in groups}
    assert found == PLANTED


@pytest.mark.slow
def test_page_lists_each_group_with_its_count_most_frequent_first(page):
    shown = {
        (t.section, t.exercise): [int(row[0].text) for row in t.rows]
        for t in tables(page.tables, "misconceptions")
    }
    assert set(shown) == set(PLANTED)
    for place, groups in PLANTED.items():
        assert shown[place] == sorted((len(g) for g in groups), reverse=True), place


@pytest.mark.slow
def test_examples_are_anonymised(page, graded_class):
    with Gradebook(graded_class.db_url) as gradebook:
        ids = [s.id for s in gradebook.students]
    names = {word for person in PEOPLE.values() for word in person[:2]} | {
        person[2] for person in PEOPLE.values()
    }
    text = " ".join(
        cell.text for t in tables(page.tables, "misconceptions") for row in t.rows for cell in row
    )
    assert "<student>" in text and "<path>" in text  # the planted identity leak, scrubbed
    for word in ids + sorted(names) + ["/home/"]:
        assert word not in text, f"a misconception example shows {word!r}"


def number(cell):
    return float(cell.value)


@pytest.mark.slow
def test_numbers_on_the_page_equal_the_gradebooks(page, graded_class):
    with Gradebook(graded_class.db_url) as gradebook:
        for assignment, students in graded_class.students.items():
            graded = gradebook.find_assignment(assignment)
            submissions = {s.student_id: s for s in graded.submissions}
            # per student: score, late penalty, final score, and every exercise's score
            (table,) = tables(page.tables, "students", assignment)
            exercises = ["test_" + h for h in table.header[4:-1]]
            assert sorted(row[0].text for row in table.rows) == sorted(submissions)
            for row in table.rows:
                submission = submissions[row[0].text]
                assert number(row[1]) == pytest.approx(submission.score)
                assert number(row[2]) == pytest.approx(submission.late_submission_penalty)
                assert number(row[3]) == pytest.approx(
                    max(0, submission.score - submission.late_submission_penalty)
                )
                for exercise, cell in zip(exercises, row[4:-1]):
                    grade = gradebook.find_grade(exercise, notebook_name(graded), assignment, row[0].text)
                    assert number(cell) == pytest.approx(grade.score)
            # per exercise: points, students, mean and share who lost points, most missed first
            (table,) = tables(page.tables, "exercises", assignment)
            shares = []
            for row in table.rows:
                cell = gradebook.find_grade_cell(row[0].text, row[1].text, assignment)
                scores = [
                    gradebook.find_grade(cell.name, row[1].text, assignment, s).score for s in submissions
                ]
                assert number(row[2]) == cell.max_score
                assert number(row[3]) == len(scores)
                assert number(row[4]) == pytest.approx(sum(scores) / len(scores))
                lost = 100 * sum(s < cell.max_score for s in scores) / len(scores)
                assert number(row[5]) == pytest.approx(round(lost, 1))
                shares.append(lost)
            assert shares == sorted(shares, reverse=True)
            # the overview
            (overview,) = tables(page.tables, "overview")
            (row,) = [r for r in overview.rows if r[0].text == assignment]
            assert number(row[1]) == len(submissions) == len(students)
            assert number(row[2]) == graded.max_score
            assert number(row[3]) == pytest.approx(
                sum(s.score for s in submissions.values()) / len(submissions)
            )


def notebook_name(assignment):
    (notebook,) = assignment.notebooks
    return notebook.name


@pytest.mark.slow
def test_late_ungradable_and_flagged_submissions_are_counted_and_listed(page, graded_class):
    (late,) = tables(page.tables, "late", "initialization")
    assert sorted(row[0].text for row in late.rows) == sorted(LATE)
    assert {row[0].text: row[3].text for row in late.rows}["init-ok-1"] == "21 h 30 min"
    assert "Late submissions: 3" in page.text and "Late submissions: 0" in page.text  # regularization: none
    (ungradable,) = tables(page.tables, "ungradable", "initialization")
    assert {row[0].text for row in ungradable.rows} == BROKEN
    with open(graded_class.root / "tamper_report.csv", newline="") as f:
        flagged_rows = [r for r in csv.DictReader(f) if r["assignment"] == "initialization"]
    (flagged,) = tables(page.tables, "flagged", "initialization")
    assert [[c.text for c in row] for row in flagged.rows] == [
        [r["student"], r["notebook"], r["cell"], r["finding"]] for r in flagged_rows
    ]
    assert FLAGGED in {row[0].text for row in flagged.rows}
    (overview,) = tables(page.tables, "overview")
    (row,) = [r for r in overview.rows if r[0].text == "initialization"]
    assert [number(c) for c in row[5:]] == [len(LATE), len(BROKEN), len({r["student"] for r in flagged_rows})]


@pytest.mark.slow
def test_summary_csv_has_the_pages_numbers(page, graded_class):
    # summary.csv covers the assignments of the last autograde run; the page, the whole gradebook.
    shown = {(t.section, row[0].text): row for t in tables(page.tables, "exercises") for row in t.rows}
    with open(graded_class.root / "summary.csv", newline="") as f:
        summary = list(csv.DictReader(f))
    assert {line["assignment"] for line in summary} >= {"initialization"}
    for line in summary:
        row = shown[(line["assignment"], line["exercise"])]
        assert float(line["points"]) == number(row[2]) and int(line["students"]) == number(row[3])
        assert float(line["mean_score"]) == pytest.approx(number(row[4]), abs=5e-4)
        assert 100 * float(line["share_lost_points"]) == pytest.approx(number(row[5]), abs=0.1)


@pytest.mark.slow
def test_report_command_rebuilds_the_page_from_the_gradebook(graded_class, tmp_path):
    target = tmp_path / "again.html"
    result = subprocess.run(
        [sys.executable, "-m", "coursekit", "--root", str(graded_class.root), "report", "--to", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    images = re.compile(r"base64,[A-Za-z0-9+/=]+")
    assert images.sub("", target.read_text()) == images.sub(
        "", (graded_class.root / "report.html").read_text()
    )


# --- in the browser --------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.system
@pytest.mark.skipif(bool(chromium_missing()), reason=chromium_missing())
def test_page_opens_from_disk_in_chromium(browser, graded_class):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    problems, requests = [], []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto((graded_class.root / "report.html").as_uri())
    page.wait_for_load_state("load")
    sizes = page.evaluate(
        "() => [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(sizes) == 2 * len(graded_class.students)  # a histogram and an exercise chart each
    assert all(done and width > 0 and height > 0 for done, width, height in sizes), sizes
    # sorting the students table by score
    table = page.locator("section[data-assignment='initialization'] table.students")
    table.locator("th", has_text="final").click()
    finals = [
        float(v)
        for v in table.locator("tbody tr td:nth-child(4)").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]
    assert finals == sorted(finals)
    table.locator("th", has_text="final").click()
    finals = [
        float(v)
        for v in table.locator("tbody tr td:nth-child(4)").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]
    assert finals == sorted(finals, reverse=True)
    page.close()
    assert problems == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


@pytest.mark.system
@pytest.mark.skipif(bool(chromium_missing()), reason=chromium_missing())
def test_students_table_sorts_from_the_keyboard(browser, graded_class):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto((graded_class.root / "report.html").as_uri())
    table = page.locator("section[data-assignment='initialization'] table.students")
    heading = table.locator("th", has_text="final")
    # Tab from the button before it (no mouse): focus lands on "final", Enter sorts, Space sorts back.
    table.locator("th", has_text="late penalty").locator("button").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "final"

    def finals():
        cells = table.locator("tbody tr td:nth-child(4)")
        return [float(v) for v in cells.evaluate_all("cells => cells.map(c => c.dataset.value)")]

    page.keyboard.press("Enter")
    assert heading.get_attribute("aria-sort") == "ascending" and finals() == sorted(finals())
    page.keyboard.press("Space")
    assert heading.get_attribute("aria-sort") == "descending"
    assert finals() == sorted(finals(), reverse=True)
    page.close()
