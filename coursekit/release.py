"""Release an assignment to students, validate a notebook, and the learners' offline pages.

    release(root, ["initialization"])   # release/initialization/: solutions and hidden tests removed
    validate(path)                      # {} when every test passes; validate(path, invert=True) on a release
    write_offline(root)                 # html/<assignment>/<Name>.html from release/ (make html)

The first two go through nbgrader's Python API (see ``coursekit.course``), with the course's
configuration: ``StarterCode`` and the other release steps are in nbgrader_config.py.
"""

from pathlib import Path

import nbformat

from coursekit import COURSE_ROOT
from coursekit.course import assignments as course_assignments
from coursekit.course import nbgrader_api, nbgrader_environment, notebook_names, source_folder
from coursekit.pages import notebook_page


class ReleaseError(RuntimeError):
    """nbgrader could not generate an assignment; the message holds its log."""


def release(root=COURSE_ROOT, assignments=None):
    """Generate release/<assignment>/ for each of ``assignments`` (default: all); return their ids.

    As ``nbgrader generate_assignment --force``: the assignment's cells are recorded in the gradebook
    (created if needed), and release/<assignment>/ is written anew.
    """
    assignments = list(assignments or course_assignments(root))
    with nbgrader_environment():
        api = nbgrader_api(root)
        for assignment in assignments:
            result = api.generate_assignment(assignment, force=True, create=True)
            if not result["success"]:
                raise ReleaseError(
                    f"generate_assignment {assignment} failed:\n{result.get('error') or result.get('log')}"
                )
    return assignments


def validate(notebook, invert=False):
    """Execute a notebook as ``nbgrader validate`` does and return its results dict.

    The dict is empty when the notebook passes (with ``invert``: when every test fails); otherwise
    it holds "failed", "passed" (invert) or "changed" entries. Unlike the command line, whose exit
    status is 0 either way, this lets a caller act on the outcome.
    """
    from nbgrader.validator import Validator

    return Validator(invert=invert).validate(str(notebook))


# --- the learners' offline copy (make html) ---------------------------------------------------------------
def student_version(released, source):
    """The released notebook with the committed outputs of the source's explanation and experiment cells.

    A release has no outputs (nbgrader clears them); a reader of the offline page needs the figures
    and printed results the text talks about. They come from the source notebook, cell by cell (a
    release keeps its source's cell ids), except for solution and test cells: those would show the
    instructor's solution at work.

    Arguments:
    released, source -- NotebookNodes of release/<assignment>/<Name>.ipynb and its source notebook

    Returns:
    a new NotebookNode
    """
    nb = nbformat.from_dict(released)
    committed = {cell.get("id"): cell for cell in source.cells}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        original = committed.get(cell.get("id"))
        if cell.cell_type != "code" or original is None or meta.get("solution") or meta.get("grade"):
            continue
        cell.outputs = original.get("outputs", [])
        cell.execution_count = original.get("execution_count")
    return nb


def write_offline(root=COURSE_ROOT, assignments=None, to=None):
    """Write each released notebook's student version as an accessible page; return the pages' paths.

    Args:
        root: the course directory, with release/<assignment>/ (``make html`` makes it first).
        assignments: assignment ids (default: all).
        to: the folder of the pages (default: ``<root>/html``); one page per notebook,
            ``<to>/<assignment>/<Name>.html``.

    Raises:
        FileNotFoundError: an assignment has not been released.
    """
    root = Path(root)
    to = Path(to) if to else root / "html"
    written = []
    for assignment in assignments or course_assignments(root):
        for name in notebook_names(assignment, root):
            source_path = source_folder(assignment, root) / name
            released_path = root / "release" / assignment / name
            if not released_path.exists():
                raise FileNotFoundError(
                    f"{released_path} not found: release the assignment first (make release, or make html)"
                )
            nb = student_version(
                nbformat.read(released_path, as_version=4), nbformat.read(source_path, as_version=4)
            )
            page = to / assignment / f"{source_path.stem}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(notebook_page(nb, source_path.stem), encoding="utf-8")
            written.append(page)
    return written
