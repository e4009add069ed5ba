"""What a student gets back for one submission: the one place feedback pages are made.

- a graded notebook: nbgrader's feedback page, through the course's GenerateFeedback pipeline
  (nbgrader_config.py: hidden tests removed, each error cut to its one-line message by
  ``coursekit.plugins.ConciseErrors``);
- a notebook that could not be graded (missing, renamed, not valid JSON, or nbgrader failed on it): a
  page at the same path saying why, and that it scored 0;
- the grading service's pages before a due date (``coursekit.service``): the score only, or which
  public checks passed; and the page of a submission held back by the attempt limit.
"""

import html
import re
from pathlib import Path

from coursekit.course import api_error


def write_feedback(api, outcome):
    """Write ``outcome``'s feedback pages with nbgrader's ``api``; return why nbgrader's failed, or ''."""
    error = ""
    if outcome.ok:
        result = api.generate_feedback(outcome.assignment, outcome.student, force=True)
        error = "" if result["success"] else api_error(result)
    if outcome.explained:
        folder = api.coursedir.format_path(
            api.coursedir.feedback_directory, outcome.student, outcome.assignment
        )
        explain(Path(folder), outcome.explained)
    return error


def explain(folder, problems):
    """A page per notebook of ``problems`` in ``folder``: why it was not graded."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in dict.fromkeys(p.notebook for p in problems):
        page = explain_page(name, [p.message for p in problems if p.notebook == name])
        (folder / name.replace(".ipynb", ".html")).write_text(page)


def explain_page(name, messages):
    """The page of a notebook that was not graded: why (``messages``), and that it scored 0."""
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(name)}</title></head>"
        f"<body><h1>{html.escape(name)}: not graded (score 0)</h1><ul>{items}</ul>"
        "<p>Fix the notebook and submit again; your other notebooks were graded as usual.</p></body></html>"
    )


# --- the grading service's pages (coursekit.service): what a student sees before the due date -------
#: The line of a test cell where nbgrader's hidden tests start.
HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")


def _page(title, body):
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def score_page(notebook, score, max_score, note=""):
    """The score of one graded notebook, without the notebook (feedback_before_deadline = 'score')."""
    return _page(
        f"{notebook}: {score:g} / {max_score:g}",
        f"<p>Your full feedback is released after the due date.</p>{note}",
    )


def public_checks(nb):
    """[(test cell id, passed, message)] of a graded notebook: did each test's public part pass?

    A test cell runs its public checks first, then nbgrader's hidden tests; an error on a line of the
    hidden part means the public checks passed.
    """
    results = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        lines = cell.source.splitlines()
        hidden = next((i + 1 for i, line in enumerate(lines) if HIDDEN_TESTS in line), len(lines) + 1)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            results.append((meta["grade_id"], True, ""))
            continue
        traceback = _ANSI.sub("", "\n".join(errors[0].get("traceback", [])))
        lines_hit = [int(n) for n in _CELL_LINE.findall(traceback)]
        in_hidden = bool(lines_hit) and lines_hit[0] > hidden
        message = f"{errors[0].get('ename', 'Error')}: {errors[0].get('evalue', '')}"
        results.append((meta["grade_id"], in_hidden, "" if in_hidden else message))
    return results


def public_page(notebook, results, note=""):
    """Which public checks of one graded notebook passed (feedback_before_deadline = 'public')."""
    items = "".join(
        f"<li>{html.escape(test)}: "
        + ("public checks passed" if passed else f"public checks failed: {html.escape(message)}")
        + "</li>"
        for test, passed, message in results
    )
    return _page(
        f"{notebook}: public checks",
        f"<ul>{items}</ul><p>Scores and full feedback are released after the due date.</p>{note}",
    )


def deferred_page(notebook, when):
    """A submission over the attempt limit: kept, and graded at ``when`` (a readable time)."""
    return _page(
        f"{notebook}: received, not graded yet",
        f"<p>You have used your graded attempts for now. This submission is kept and will be graded "
        f"at {html.escape(when)}, unless you submit again before then (the newest submission is the one "
        "graded).</p>",
    )


def refused_note(messages):
    """A note (HTML) on the files of a submission that were not read (``coursekit.submission``)."""
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    return f"<div class='coursekit-refused'><p>Not read from your submission:</p><ul>{items}</ul></div>"


def with_note(page, note):
    """An HTML page with ``note`` (HTML) at the top of its body."""
    if not note:
        return page
    head, body, rest = page.partition("<body>")
    return f"{head}{body}{note}{rest}" if body else note + page
