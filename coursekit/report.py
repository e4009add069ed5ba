"""The instructor's class report: one self-contained HTML page of what the class missed, and why.

Built from the gradebook and the course folder alone, so it can be rebuilt at any time (``python -m
coursekit report``), e.g. after a grading service has been grading all week::

    write_report(root, db_url)      # -> root/report.html

Per assignment the page shows the distribution of total scores, the exercises ordered from the most
missed (points, mean score, share of students who lost points), the **misconceptions** -- the
failed-check messages students received, grouped by the mistake they point at -- and the late,
ungradable (problems.csv) and flagged (tamper_report.csv) submissions, then a table of every student's
scores. Plots are PNG images drawn with matplotlib's Agg canvas and inlined as base64; the page loads
nothing from the network (its Content-Security-Policy forbids it) and opens from disk.

Where the data comes from:

- scores, totals, late penalties, submission times and due dates: the gradebook
  (``coursekit.scores``, one query each);
- the messages: the error outputs of the grade cells that lost points, in
  ``autograded/<student>/<assignment>/<notebook>.ipynb`` (the text feedback shows: ``Name: message``);
  each such notebook is read once;
- ``problems.csv`` and ``tamper_report.csv`` in the course folder, as the last ``autograde`` wrote them.

Grouping (``message_key``): two messages are the same mistake when they are equal after numbers,
numeric arrays, shapes, numpy scalar reprs, quoted free text and file paths are replaced by
placeholders, and whitespace is collapsed. Names of variables that contain digits (``dW1``, ``beta1``,
``n_1``) are kept, and so are quoted identifiers (dictionary keys such as ``'db1'``): they say *which*
thing is wrong. Every message is anonymised first (``anonymise``): the student's id, names and e-mail
address (and any other student's, as whole words) become ``<student>``, and file paths ``<path>``.
"""

import base64
import csv
import html
import io
import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from coursekit import COURSE_ROOT
from coursekit.scores import course_order, read_exercises, read_submissions

#: Characters of an example message shown on the page.
EXAMPLE_CHARS = 600
#: Names, ids and e-mail addresses shorter than this are not scrubbed from messages (too many false hits).
MIN_IDENTITY_CHARS = 3

# --- messages: anonymise, then normalise -----------------------------------------------------------
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?(?:[/\\][\w.\-~+@]+){2,}[/\\]?")
TOKEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+(?:[-.]\w+)*")
NUMPY_SCALAR = re.compile(r"\bnp\.(?:float|int|uint|complex|bool_?)\d*\(([^()]*)\)")
ARRAY_REPR = re.compile(r"\barray\(\s*\[[^()]*\]\s*(?:,\s*dtype=[\w.]+\s*)?\)")
_ARRAY_CHARS = r"(?:[\s\d.,eE+\-\[\]]|nan|inf|\.\.\.)"
NUMERIC_ARRAY = re.compile(rf"(?<![\w\]\)])\[{_ARRAY_CHARS}*\d{_ARRAY_CHARS}*\]")
SHAPE = re.compile(r"\(\s*\d+\s*,(?:\s*\d+\s*,)*\s*(?:\d+\s*)?\)")
QUOTED = re.compile(r"""(?<!\w)(['"])((?:\\.|(?!\1)[^\\\n])*)\1(?!\w)""")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?!\w)|\b(?:nan|inf)\b")
WHITESPACE = re.compile(r"\s+")


def _quoted(match):
    text = match.group(2)
    return match.group(0) if re.fullmatch(r"\w*", text) else f"{match.group(1)}…{match.group(1)}"


def message_key(message):
    """The mistake a (anonymised) message points at: the message with the numbers it quotes left out.

    >>> message_key("W1 has shape (3, 2), expected (n_1, n_0) = (2, 3)")
    'W1 has shape <shape>, expected (n_1, n_0) = <shape>'
    >>> message_key("W1 is [[1.05 1.9 ]], expected W1 - 0.1 * dW1 = [[0.95, 2.1]]")
    'W1 is <array>, expected W1 - <n> * dW1 = <array>'
    """
    text = PATH.sub("<path>", message)
    text = ARRAY_REPR.sub("<array>", text)
    text = NUMPY_SCALAR.sub(r"\1", text)
    text = QUOTED.sub(_quoted, text)
    text = NUMERIC_ARRAY.sub("<array>", text)
    text = SHAPE.sub("<shape>", text)
    text = NUMBER.sub("<n>", text)
    return WHITESPACE.sub(" ", text).strip()


def identities(students):
    """{student id: lower-cased strings that identify them} from gradebook Student rows."""
    found = {}
    for student in students:
        words = {student.id, student.email or ""}
        for name in (student.first_name, student.last_name):
            words.update((name or "").split())
        found[student.id] = {w.lower() for w in words if len(w) >= MIN_IDENTITY_CHARS}
    return found


def anonymise(message, own=(), everyone=frozenset()):
    """``message`` without file paths and without the strings that identify a student.

    ``own``: the student's own identifying strings, removed wherever they occur (also inside words);
    ``everyone``: every student's, removed where a whole word (or e-mail address) equals one.
    """
    text = PATH.sub("<path>", ANSI.sub("", message))
    for word in sorted(own, key=len, reverse=True):
        text = re.sub(re.escape(word), "<student>", text, flags=re.IGNORECASE)
    if everyone:
        text = TOKEN.sub(lambda m: "<student>" if m.group().lower() in everyone else m.group(), text)
    return text


def _text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def cell_messages(cell):
    """The check messages a graded cell's outputs show: ``Name: message`` per error, as feedback does.

    A cell without an error output that still lost its points wrote to stderr (nbgrader scores that
    0); its first stderr line is the message then.
    """
    messages = []
    outputs = cell.get("outputs", [])
    for output in outputs:
        if output.get("output_type") == "error":
            ename, evalue = output.get("ename", ""), _text(output.get("evalue")).strip()
            messages.append(f"{ename}: {evalue}" if evalue else ename)
    if not messages:
        stderr = "".join(
            _text(o.get("text"))
            for o in outputs
            if o.get("output_type") == "stream" and o.get("name") == "stderr"
        )
        lines = [line for line in stderr.splitlines() if line.strip()]
        if lines:
            messages.append(f"stderr: {lines[0].strip()}")
    return messages


def graded_cells(path):
    """{grade id: cell} of the graded cells of a notebook file, read once as plain JSON."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    return {
        cell["metadata"]["nbgrader"]["grade_id"]: cell
        for cell in nb.get("cells", [])
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
        and "grade_id" in cell["metadata"]["nbgrader"]
    }


# --- the data of the page ----------------------------------------------------------------------------
@dataclass
class Misconception:
    """Failed-check messages of one exercise that point at the same mistake."""

    key: str
    students: set = field(default_factory=set)
    examples: Counter = field(default_factory=Counter)

    @property
    def count(self):
        return len(self.students)

    @property
    def example(self):
        """The most frequent anonymised wording (the first seen among equals)."""
        return self.examples.most_common(1)[0][0]


@dataclass
class AssignmentReport:
    name: str
    max_score: float
    duedate: object
    submissions: dict  # student -> coursekit.scores.Submission
    exercises: list  # coursekit.scores.Exercise, most missed first
    misconceptions: dict  # exercise name -> [Misconception], most frequent first
    silent: dict  # exercise name -> students who lost points without a message we could read
    ungradable: list  # problems.csv rows of this assignment
    flagged: list  # tamper_report.csv rows of this assignment
    students: int  # students in the gradebook

    @property
    def late(self):
        return sorted(
            (s for s in self.submissions.values() if s.seconds_late > 0), key=lambda s: -s.seconds_late
        )


def _read_csv(path):
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _most_missed(exercise):
    return (-exercise.share_lost, exercise.mean / exercise.max_score if exercise.max_score else 0)


def collect(root, db_url, assignments=None):
    """The report's data, one ``AssignmentReport`` per assignment (default: all in the gradebook)."""
    from nbgrader.api import Gradebook

    root = Path(root)
    with Gradebook(db_url) as gradebook:
        names = list(assignments or course_order(a.name for a in gradebook.assignments))
        students = gradebook.students
        who = identities(students)
        everyone = frozenset().union(*who.values()) if who else frozenset()
        submissions = read_submissions(gradebook, names)
        exercises = read_exercises(gradebook, names)
        info = {a.name: (a.duedate, a.max_score) for a in gradebook.assignments if a.name in names}
        total_students = len(students)

    problems = _read_csv(root / "problems.csv")
    tampering = _read_csv(root / "tamper_report.csv")
    reports = []
    for name in names:
        ordered = sorted(exercises.get(name, []), key=_most_missed)
        misconceptions, silent = _misconceptions(root, name, ordered, who, everyone)
        duedate, max_score = info.get(name, (None, 0.0))
        reports.append(
            AssignmentReport(
                name=name,
                max_score=float(max_score or 0),
                duedate=duedate,
                submissions=submissions.get(name, {}),
                exercises=ordered,
                misconceptions=misconceptions,
                silent=silent,
                ungradable=None if problems is None else [r for r in problems if r.get("assignment") == name],
                flagged=None if tampering is None else [r for r in tampering if r.get("assignment") == name],
                students=total_students,
            )
        )
    return reports


def _misconceptions(root, assignment, exercises, who, everyone):
    """Group the messages of every exercise that lost points; read each notebook involved once."""
    wanted = {}  # (student, notebook) -> [exercise]
    for exercise in exercises:
        for student in exercise.lost():
            wanted.setdefault((student, exercise.notebook), []).append(exercise)
    groups = {e.name: {} for e in exercises}
    silent = Counter()
    for (student, notebook), lost in sorted(wanted.items()):
        path = root / "autograded" / student / assignment / f"{notebook}.ipynb"
        try:
            cells = graded_cells(path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            cells = {}  # not graded (problems.csv says why), or not a readable notebook
        for exercise in lost:
            messages = cell_messages(cells[exercise.name]) if exercise.name in cells else []
            if not messages:
                silent[exercise.name] += 1
            for message in dict.fromkeys(messages):
                text = anonymise(message, who.get(student, ()), everyone)
                key = message_key(text)
                group = groups[exercise.name].setdefault(key, Misconception(key))
                group.students.add(student)
                group.examples[text[:EXAMPLE_CHARS]] += 1
    ordered = {
        name: sorted(found.values(), key=lambda g: (-g.count, g.key)) for name, found in groups.items()
    }
    return ordered, dict(silent)


# --- plots ---------------------------------------------------------------------------------------
def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bins(totals, max_score):
    """(top, step, edges) of the histogram of total scores: one bar per point, or 40 bars in all."""
    import numpy as np

    top = max(max_score, max(totals, default=0))
    step = 1.0 if top <= 40 else top / 40
    return top, step, np.arange(-step / 2, top + step, step)


def histogram_png(totals, max_score):
    """Base64 PNG: how many students reached each total score."""
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state

    figure = Figure(figsize=(6.4, 2.8))
    axes = figure.add_subplot()
    top, _, edges = _bins(totals, max_score)
    axes.hist(totals, bins=edges, color="#4C72B0", edgecolor="white")
    axes.set_xlabel(f"total score (of {top:g})")
    axes.set_ylabel("students")
    axes.set_xlim(edges[0], edges[-1])
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    return _png(figure)


def exercises_png(exercises):
    """Base64 PNG: per exercise, the share of students who lost points, most missed on top."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 0.9 + 0.38 * len(exercises)))
    axes = figure.add_subplot()
    labels = [f"{e.name.removeprefix('test_')} ({e.max_score:g} pt)" for e in exercises]
    shares = [100 * e.share_lost for e in exercises]
    positions = range(len(exercises))[::-1]
    axes.barh(list(positions), shares, color="#C44E52")
    axes.set_yticks(list(positions), labels, fontsize=8)
    for y, exercise, share in zip(positions, exercises, shares):
        axes.text(share + 1, y, f"mean {exercise.mean:.2f}", va="center", fontsize=7)
    axes.set_xlim(0, 115)
    axes.set_xlabel("students who lost points (%)")
    figure.tight_layout()
    return _png(figure)


# The plots' text alternatives say what a sighted reader takes from them, with the numbers.
def histogram_alt(totals, max_score):
    """What the histogram of ``totals`` shows: how many students have each total, highest first."""
    import numpy as np

    top, step, edges = _bins(totals, max_score)
    counts, _ = np.histogram(totals, bins=edges)
    bars = [
        f"{count} at {(low + high) / 2:g}" if step == 1 else f"{count} between {low:g} and {high:g}"
        for count, low, high in zip(counts, edges[:-1], edges[1:])
        if count
    ]
    return (
        f"Histogram of the total scores of {len(totals)} submission(s), out of {top:g} points, before late "
        f"penalties; students per total, highest first: {'; '.join(reversed(bars))}."
    )


def exercises_alt(exercises):
    """What the bar chart of ``exercises`` shows: each one's share of students who lost points."""
    shares = "; ".join(
        f"{e.name.removeprefix('test_')} ({e.max_score:g} pt) {100 * e.share_lost:.0f}%, mean score {e.mean:.2f}"
        for e in exercises
    )
    return (
        "Bar chart of the share of students who lost points on each exercise, most missed first (the "
        f"table below has the same numbers): {shares}."
    )


# --- the page ----------------------------------------------------------------------------------------
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0; } h2 { border-top: 2px solid #ccc; padding-top: .8em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1.2em; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; background: #f3f3f3; }
table.sortable th button { font: inherit; color: inherit; background: none; border: 0; padding: 0; margin: 0;
  cursor: pointer; text-align: inherit; }
caption { text-align: left; font-weight: 600; padding: .2em 0; }
:focus-visible { outline: 2px solid #1d4f7c; outline-offset: 2px; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
.example { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .85em; }
.key { font-family: ui-monospace, monospace; font-size: .85em; color: #555; }
.muted { color: #666; } img { max-width: 100%; } .scroll { overflow-x: auto; }
table.students td:first-child { white-space: nowrap; }
"""

SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, column) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function value(row) {
        var cell = row.cells[column];
        var v = cell.getAttribute("data-value");
        return v === null ? cell.textContent.trim() : v;
      }
      rows.sort(function (a, b) {
        var x = value(a), y = value(b), nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def _e(value):
    return html.escape(str(value), quote=True)


def _num(value, digits=None):
    """A table cell holding a number, with its exact value for sorting."""
    shown = f"{value:.{digits}f}" if digits is not None else f"{value:g}"
    return f"<td class='num' data-value='{value!r}'>{shown}</td>"


def _table(headers, rows, cls, caption, numeric=()):
    """A table with a caption and column headers, in a box that scrolls sideways when it is too wide.

    The box can take the keyboard's focus (so that it can be scrolled without a mouse) and is named
    by the caption. In a sortable table each column's heading is a button.
    """
    sortable = "sortable" in cls.split()
    head = "".join(
        ("<th scope='col' class='num'>" if h in numeric else "<th scope='col'>")
        + (f"<button type='button'>{_e(h)}</button>" if sortable else _e(h))
        + "</th>"
        for h in headers
    )
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return (
        f"<div class='scroll' role='region' tabindex='0' aria-label='{_e(caption)}'>"
        f"<table class='{cls}'><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _td(value):
    return f"<td>{_e(value)}</td>"


def _duration(seconds):
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or "< 1 min"


def _anchor(name):
    return "a-" + re.sub(r"[^\w-]", "-", name)


OVERVIEW = [
    "assignment",
    "submissions",
    "points",
    "mean total",
    "median total",
    "late",
    "ungradable",
    "flagged",
]


def _students_in(rows):
    return {row.get("student") for row in rows or []}


def _overview(reports):
    rows = []
    for r in reports:
        totals = [s.score for s in r.submissions.values()]
        rows.append(
            [f"<td><a href='#{_anchor(r.name)}'>{_e(r.name)}</a></td>", _num(len(totals)), _num(r.max_score),
             _num(statistics.fmean(totals) if totals else 0.0, 2), _num(statistics.median(totals) if totals else 0.0),
             _num(len(r.late)), _num(len(_students_in(r.ungradable))), _num(len(_students_in(r.flagged)))]
        )  # fmt: skip
    return _table(OVERVIEW, rows, "overview", "The assignments", numeric=OVERVIEW[1:])


def _image(alt, png):
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{png}'>"


def _totals_part(r, totals):
    return (
        "<h3>Total scores</h3>"
        f"<p>mean {statistics.fmean(totals):.2f}, median {statistics.median(totals):g}, lowest {min(totals):g}, "
        f"highest {max(totals):g} (before late penalties).</p>"
        + _image(histogram_alt(totals, r.max_score), histogram_png(totals, r.max_score))
    )


EXERCISES = ["exercise", "notebook", "points", "students", "mean score", "lost points (%)"]


def _exercises_part(r):
    out = "<h3>Exercises, most missed first</h3>"
    if not r.exercises:
        return out
    rows = [
        [_td(e.name), _td(e.notebook), _num(e.max_score), _num(e.students), _num(e.mean, 3),
         _num(round(100 * e.share_lost, 1), 1)]
        for e in r.exercises
    ]  # fmt: skip
    return (
        out
        + _image(exercises_alt(r.exercises), exercises_png(r.exercises))
        + _table(
            EXERCISES, rows, "exercises", f"{r.name}: exercises, most missed first", numeric=EXERCISES[2:]
        )
    )


MISCONCEPTIONS = ["students", "mistake (numbers left out)", "example"]
MISCONCEPTIONS_INTRO = (
    "<h3>Misconceptions</h3><p class='muted'>The messages of the failed checks, grouped by the mistake they "
    "point at (messages that differ only in the numbers, arrays or shapes they quote are one group), with the "
    "number of students and one anonymised example each.</p>"
)


def _misconceptions_part(r):
    out = [MISCONCEPTIONS_INTRO]
    for e in r.exercises:
        lost = len(e.lost())
        if not lost:
            continue
        out.append(f"<h4 data-exercise='{_e(e.name)}'>{_e(e.name)}: {lost} student(s) lost points</h4>")
        rows = [
            [_num(g.count), f"<td class='key'>{_e(g.key)}</td>", f"<td class='example'>{_e(g.example)}</td>"]
            for g in r.misconceptions.get(e.name, [])
        ]
        if rows:
            caption = f"{e.name}: mistakes, most frequent first"
            out.append(_table(MISCONCEPTIONS, rows, "misconceptions", caption, numeric=MISCONCEPTIONS[:1]))
        if r.silent.get(e.name):
            out.append(
                f"<p class='muted'>{r.silent[e.name]} student(s) lost points here without a check message "
                "(notebook not graded -- see ungradable below -- or a score set by hand).</p>"
            )
    return "".join(out)


LATE = ["student", "submitted (UTC)", "due (UTC)", "late by", "penalty"]


def _late_part(r):
    late = r.late
    out = f"<h3>Late submissions: {len(late)}</h3>"
    if not late:
        return out
    rows = [
        [_td(s.student), _td(f"{s.timestamp:%Y-%m-%d %H:%M:%S}"), _td(f"{s.duedate:%Y-%m-%d %H:%M:%S}"),
         f"<td class='num' data-value='{s.seconds_late!r}'>{_e(_duration(s.seconds_late))}</td>", _num(s.penalty)]
        for s in late
    ]  # fmt: skip
    return out + _table(LATE, rows, "late sortable", f"{r.name}: late submissions, latest first")


def _listing(title, rows, source, columns, cls, caption):
    """A counted list of problems.csv or tamper_report.csv rows, or a note that the file is missing."""
    if rows is None:
        return f"<h3>{_e(title)}</h3><p class='muted'>{_e(source)} not found in the course folder.</p>"
    out = f"<h3>{_e(title)}: {len(_students_in(rows))} student(s)</h3>"
    if rows:
        rows = [[_td(row.get(c, "")) for c in columns] for row in rows]
        out += _table(columns, rows, f"{cls} sortable", caption)
    return out


def _students_part(r):
    ungradable, flagged = _students_in(r.ungradable), _students_in(r.flagged)
    rows = []
    for student, s in sorted(r.submissions.items()):
        notes = [
            s.seconds_late > 0 and "late",
            student in ungradable and "ungradable",
            student in flagged and "flagged",
        ]
        rows.append(
            [_td(student), _num(s.score), _num(s.penalty), _num(s.final_score)]
            + [_num(e.scores[student]) if student in e.scores else "<td></td>" for e in r.exercises]
            + [_td(", ".join(n for n in notes if n))]
        )
    headers = [
        "student",
        "score",
        "late penalty",
        "final",
        *(e.name.removeprefix("test_") for e in r.exercises),
    ]
    return (
        "<h3>Students</h3><p class='muted'>Click a column's heading to sort by it; exercises in the order above.</p>"
        + _table([*headers, "notes"], rows, "students sortable", f"{r.name}: students", numeric=headers[1:])
    )


def _section(r):
    totals = [s.score for s in r.submissions.values()]
    due = f"{r.duedate:%Y-%m-%d %H:%M} UTC" if r.duedate else "none set"
    head = (
        f"<section id='{_anchor(r.name)}' data-assignment='{_e(r.name)}'><h2>{_e(r.name)}</h2>"
        f"<p>{len(totals)} submission(s) from the gradebook's {r.students} student(s); {r.max_score:g} points; "
        f"due date {_e(due)}.</p>"
    )
    if not totals:
        return head + "<p class='muted'>No graded submissions yet.</p></section>"
    parts = [
        _totals_part(r, totals),
        _exercises_part(r),
        _misconceptions_part(r),
        _late_part(r),
        _listing(
            "Ungradable",
            r.ungradable,
            "problems.csv",
            ["student", "notebook", "problem"],
            "ungradable",
            f"{r.name}: notebooks that could not be graded",
        ),
        _listing(
            "Flagged for review",
            r.flagged,
            "tamper_report.csv",
            ["student", "notebook", "cell", "finding"],
            "flagged",
            f"{r.name}: submissions flagged for review",
        ),
        _students_part(r),
    ]
    return head + "".join(parts) + "</section>"


def render(reports, title="Class report"):
    """The whole page, as a string."""
    sections = "".join(_section(r) for r in reports)
    policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{policy}\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class='muted'>From the gradebook and the course folder; "
        "misconception examples are anonymised.</p>"
        f"{_overview(reports)}{sections}<script>{SCRIPT}</script></body></html>"
    )


def write_report(root=COURSE_ROOT, db_url=None, assignments=None, to=None):
    """Write the class report (default: ``<root>/report.html``) and return its path.

    Args:
        root: the course directory (autograded/, problems.csv and tamper_report.csv are read there).
        db_url: the gradebook's URL (the course's ``CourseDirectory.db_url``; required).
        assignments: assignment ids (default: every assignment in the gradebook).
        to: where to write the page.
    """
    if not db_url:
        raise ValueError("write_report needs the gradebook's db_url")
    path = Path(to) if to else Path(root) / "report.html"
    path.write_text(render(collect(root, db_url, assignments)), encoding="utf-8")
    return path
