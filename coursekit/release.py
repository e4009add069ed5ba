"""Release an assignment to students, and validate a notebook.

    release(root, ["initialization"])   # release/initialization/: solutions and hidden tests removed
    validate(path)                      # {} when every test passes; validate(path, invert=True) on a release

Both go through nbgrader's Python API (see ``coursekit.course``), with the course's configuration:
``StarterCode`` and the other release steps are in nbgrader_config.py.
"""

from coursekit import COURSE_ROOT
from coursekit.course import assignments as course_assignments
from coursekit.course import nbgrader_api, nbgrader_environment


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
