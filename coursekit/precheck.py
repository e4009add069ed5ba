"""The checks before grading: what keeps a submitted notebook from being graded at all.

A notebook that is missing from the submission (often renamed, e.g. "Initialization (1).ipynb"), is
not a valid notebook (truncated, not JSON), or was not read at all (a symbolic link, a named pipe, too
large: ``coursekit.submission``) is a ``Problem``: it scores 0, the student's feedback page for it
says why, and problems.csv lists it; the student's other notebooks are graded as usual.
"""

from dataclasses import dataclass
from pathlib import Path

import nbformat

from coursekit.course import notebook_names, submitted_folder


@dataclass
class Problem:
    """Why one notebook of one submission could not be graded, in words for the student."""

    student: str
    assignment: str
    notebook: str  # the source notebook's file name
    message: str


def check_submission(root, assignment, student, folder=None, refused=()):
    """Problems that keep a submitted notebook from being graded, each named for the student.

    ``folder``: where the submission is (default: the course's submitted/<student>/<assignment>/),
    a copy of what was read of it; ``refused``: the ``coursekit.submission.Refusal``s of that read.
    """
    folder = Path(folder) if folder else submitted_folder(student, assignment, root)
    expected = notebook_names(assignment, root)
    present = sorted(p.name for p in folder.glob("*.ipynb"))
    not_read = {r.path: r for r in refused}
    problems = []
    for name in expected:
        path = folder / name
        if name in not_read or (not path.exists() and "" in not_read):  # a whole-folder refusal: why
            message = (
                not_read[name].message if name in not_read else f"{name} was not read: {not_read[''].message}"
            )
            problems.append(Problem(student, assignment, name, message))
            continue
        if not path.exists():
            others = [p for p in present if p not in expected]
            hint = f" (found {', '.join(others)}: notebooks must keep their original name)" if others else ""
            problems.append(
                Problem(student, assignment, name, f"{name} is missing from the submission{hint}")
            )
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # noqa: BLE001 -- any parse error is the student's to fix
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            problems.append(
                Problem(student, assignment, name, f"{name} is not a valid notebook: {first_line}")
            )
    return problems
