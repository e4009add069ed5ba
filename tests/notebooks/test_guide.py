"""The README's "Add or change an exercise", followed literally on a scratch copy of the course.

The worked example's code blocks are read from the README itself (so that the guide and this test cannot
drift apart): the specification goes into a scratch copy of helpers/specs/initialization.py, the three cells
into a scratch copy of the Initialization notebook (its opening only: the other exercises would only
slow grading down); the course is released, and a right and a wrong submission are autograded. The grading
kernels import the scratch helpers, as an instructor's kernels import their edited checkout: the scratch copy
lies outside the course folder (the sandbox never shows a course folder to a kernel) and is put first on the
kernels' import path through PYTHONPATH, which the course's configuration lets into the sandbox.
"""

import ast
import html
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from coursekit.autograde import autograde
from coursekit.release import release
from tests.support import REPO
from tests.support.course import edit, make_course, points, scores, source_notebook, submit

# One release and one autograde run of two submissions (nbgrader's start-up, a sandboxed kernel per worker):
# 14 s measured with the shared machine at a load of 4, 20-25 s when busier.
pytestmark = pytest.mark.slow

ASSIGNMENT, FUNCTION = "initialization", "he_std"


def guide():
    """The README section "Add or change an exercise": (its python code blocks, the mistake, the feedback)."""
    text = (REPO / "README.md").read_text()
    section = text.split("### Add or change an exercise", 1)[1].split("\n### ", 1)[0]
    blocks = [
        re.sub(r"^   ", "", b, flags=re.MULTILINE)
        for b in re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    ]
    mistake = ast.literal_eval(re.search(rf'`"{FUNCTION}": (\(.*?\))`', section).group(1))
    feedback = re.search(r"feedback\n`AssertionError: (.*?)`", section).group(1)
    return blocks, mistake, feedback


def cell(source, grade_id=None, **nbgrader):
    new = nbformat.v4.new_code_cell(source)
    if grade_id:
        new.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "task": False, **nbgrader}
    return new


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    (spec, solution, check, test), mistake, feedback = guide()
    root = tmp_path_factory.mktemp("guide")
    make_course(root)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(
            "\nfrom coursekit.kernel.sandbox import KERNEL_SETTINGS\n"
            'c.SandboxedKernelManager.env_allowed = [*KERNEL_SETTINGS, "PYTHONPATH"]\n'
        )
    # Readable by others: grading as root, kernels run as the sandbox's user (pytest's folders are private).
    scratch = Path(tempfile.mkdtemp(prefix="guide-helpers-"))
    scratch.chmod(0o755)
    shutil.copytree(REPO / "helpers", scratch / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    with open(scratch / "helpers" / "specs" / f"{ASSIGNMENT}.py", "a") as module:
        module.write("\n\n" + spec)
    path = source_notebook(ASSIGNMENT, root)
    nb = nbformat.read(path, as_version=4)
    # The notebook's opening (its first code cell imports run_checks and spec) and the new exercise: the other
    # exercises would only make grading slower.
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells[first_code + 1 :] = [
        nbformat.v4.new_markdown_cell("## Exercise 5: He's standard deviation"),
        cell(solution.strip(), FUNCTION, grade=False, locked=False, solution=True),
        cell(check.strip()),
        cell(test.strip(), f"test_{FUNCTION}", grade=True, locked=True, solution=False, points=1),
    ]
    nbformat.write(nb, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(
            "PYTHONPATH", str(scratch)
        )  # the kernels' helpers: the scratch copy with the new exercise
        release(root, [ASSIGNMENT])
        submit(root, "right", ASSIGNMENT, nb, path.name)
        submit(root, "wrong", ASSIGNMENT, edit(nb, FUNCTION, [mistake]), path.name)
        autograde(root, [ASSIGNMENT], jobs=2)
    yield root, nb, feedback
    shutil.rmtree(scratch)


def test_the_new_exercise_is_released_without_its_solution_or_hidden_values(course):
    root, _, _ = course
    released = (root / "release" / ASSIGNMENT / source_notebook(ASSIGNMENT).name).read_text()
    assert f'"grade_id": "test_{FUNCTION}"' in released and "n_prevs=(3, 50, 1000)" not in released
    assert "np.sqrt(2 / n_prev)" not in released


def test_a_right_submission_scores_full_marks_and_a_wrong_one_loses_the_exercise(course):
    root, nb, _ = course
    full = points(nb)
    assert full == {f"test_{FUNCTION}": 1}
    assert {k: s for k, (s, _) in scores(root, ASSIGNMENT, "right").items()} == full
    assert {k: s for k, (s, _) in scores(root, ASSIGNMENT, "wrong").items()} == dict(
        full, **{f"test_{FUNCTION}": 0}
    )


def test_the_feedback_says_what_the_guide_says(course):
    root, _, feedback = course
    (page,) = (root / "feedback" / "wrong" / ASSIGNMENT).glob("*.html")
    text = html.unescape(page.read_text())
    assert f"AssertionError: {feedback}" in text and "HIDDEN TESTS" not in text
