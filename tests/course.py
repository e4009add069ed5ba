"""Building throw-away nbgrader courses for the grading tests.

A course is a temporary copy of the repository's nbgrader_config.py and notebooks/, in which the
tests release assignments, drop crafted submissions into submitted/<student>/<assignment>/ and
autograde them with the same commands an instructor runs.
"""

import importlib
import re
import shutil
import socket
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from coursekit.course import assignments, source_notebook  # noqa: F401 -- the tests import it from here

REPO = Path(__file__).resolve().parent.parent
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def solution_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("solution")]


def grade_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("grade")]


def points(nb):
    """{grade_id: points} of the autograded test cells."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in grade_cells(nb)}


def _module(assignment):
    return importlib.import_module(f"mutations_{assignment}")


def mutations(assignment):
    """{function name: (old, new)}: one realistic mistake per graded function, from tests/mutations_<id>.py."""
    return _module(assignment).MUTATIONS


def variants(assignment):
    """Extra submissions of tests/mutations_<id>.py, as [(student, function, edits, loses_points)].

    ``CORRECT_VARIANTS`` are other correct implementations, which must score full marks;
    ``MORE_MISTAKES`` are further realistic mistakes, which must lose exactly their function's points.
    Each entry is ``(label, function, [(old, new), ...])``.
    """
    module = _module(assignment)
    out = []
    for attribute, loses in (("CORRECT_VARIANTS", False), ("MORE_MISTAKES", True)):
        for label, function, edits in getattr(module, attribute, []):
            out.append((f"{'wrong' if loses else 'right'}-{label}", function, edits, loses))
    return out


def mutate(nb, function, old, new):
    """A copy of the source notebook whose solution of ``function`` has ``old`` replaced by ``new``."""
    return edit(nb, function, [(old, new)])


def edit(nb, function, edits):
    """A copy of the source notebook with each (old, new) replacement applied to ``function``'s solution."""
    nb = nbformat.from_dict(nb)
    (cell,) = [c for c in solution_cells(nb) if nbgrader_meta(c)["grade_id"] == function]
    for old, new in edits:
        assert old in cell.source, f"edit of {function}: {old!r} is not in its solution"
        cell.source = cell.source.replace(old, new)
    return nb


def make_course(root):
    """Copy the course configuration and sources into ``root``; return the assignment ids."""
    root = Path(root)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(
        REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    return assignments(root)


def submit(root, student, assignment, nb, name):
    folder = Path(root) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def scores(root, assignment, student):
    """{grade_id: (score, needs_manual_grade)} of one autograded submission."""
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return {
            grade.name: (grade.score, grade.needs_manual_grade)
            for notebook in submission.notebooks
            for grade in notebook.grades
        }
