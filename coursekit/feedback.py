"""What a student gets back for one submission: the one place feedback pages are made.

- a graded notebook: nbgrader's feedback page, through the course's GenerateFeedback pipeline
  (nbgrader_config.py: hidden tests removed, each error cut to its one-line message by
  ``coursekit.plugins.ConciseErrors``);
- a notebook that could not be graded (missing, renamed, not valid JSON, or nbgrader failed on it): a
  page at the same path saying why, and that it scored 0.
"""

import html
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
        items = "".join(f"<li>{html.escape(p.message)}</li>" for p in problems if p.notebook == name)
        (folder / name.replace(".ipynb", ".html")).write_text(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head>"
            f"<body><h1>{html.escape(name)}: not graded (score 0)</h1><ul>{items}</ul>"
            "<p>Fix the notebook and submit again; your other notebooks were graded as usual.</p></body></html>"
        )
