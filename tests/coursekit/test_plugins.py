"""The course's own release preprocessor (starter code in place of the solution stub), and its pipelines."""

import nbformat
import pytest
from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import ClearSolutions
from traitlets.config import PyFileConfigLoader

from coursekit.plugins import STARTER_KEY, StarterCode, insert_starter_code, starter_code
from tests.support import REPO

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
SOURCE = '''def f(x):
    """Double x, plus one."""
    y = 2 * x
    ### BEGIN SOLUTION
    z = y + 1
    ### END SOLUTION
    return z'''
META = {
    "grade": False,
    "grade_id": "f",
    "locked": False,
    "schema_version": 3,
    "solution": True,
    "task": False,
}


def release(cells):
    """Run ClearSolutions then StarterCode, as generate_assignment does, on a notebook of these cells."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    resources = {}
    for preprocessor in (ClearSolutions(code_stub={"python": STUB}), StarterCode(code_stub=STUB)):
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def solution_cell(source=SOURCE, starter=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = dict(META)
    if starter is not None:
        cell.metadata[STARTER_KEY] = {"starter_code": starter}
    return cell


def test_starter_code_replaces_the_stub_with_the_regions_indentation():
    (cell,) = release([solution_cell(starter=["# one bug below", "z = y - 1"])]).cells
    assert cell.source == (
        'def f(x):\n    """Double x, plus one."""\n    y = 2 * x\n    # one bug below\n    z = y - 1\n    return z'
    )
    assert STARTER_KEY not in cell.metadata, "the release does not carry the metadata entry"
    assert cell.metadata["nbgrader"]["solution"], "the cell stays the student's solution cell"


def test_starter_code_may_be_one_string_and_keeps_blank_lines_unindented():
    (cell,) = release([solution_cell(starter="a = 1\n\nz = a\n")]).cells
    assert "    a = 1\n\n    z = a\n    return z" in cell.source


def test_cells_without_starter_code_get_the_stub():
    (cell,) = release([solution_cell()]).cells
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in cell.source


def test_starter_code_outside_a_solution_cell_is_an_error():
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata[STARTER_KEY] = {"starter_code": "x = 2"}
    with pytest.raises(RuntimeError, match="only allowed in solution code cells"):
        release([cell])


def test_a_cell_needs_exactly_one_stub_to_replace():
    with pytest.raises(RuntimeError, match="found 0"):
        insert_starter_code("def f():\n    return 1", "x = 1", STUB)
    two = "    # YOUR CODE HERE\n    raise NotImplementedError()\n" * 2
    with pytest.raises(RuntimeError, match="found 2"):
        insert_starter_code(two, "x = 1", STUB)


def test_starter_code_reads_strings_and_lists_of_lines():
    assert starter_code(solution_cell()) is None
    assert starter_code(solution_cell(starter=["a", "b"])) == "a\nb"
    assert starter_code(solution_cell(starter="a\nb")) == "a\nb"


def step_names(steps):
    """A pipeline's step names, whether it lists classes or dotted names."""
    return [(step if isinstance(step, str) else step.__name__).rsplit(".", 1)[-1] for step in steps]


def test_course_config_adds_starter_code_right_after_clear_solutions():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    names = step_names(config.GenerateAssignment.preprocessors)
    defaults = step_names(GenerateAssignment.class_traits()["preprocessors"].default())
    assert [n for n in names if n != "StarterCode"] == defaults, "nbgrader's steps are kept"
    assert names[names.index("ClearSolutions") + 1] == "StarterCode"
    assert config.StarterCode.code_stub == config.ClearSolutions.code_stub["python"]


@pytest.mark.parametrize(
    "converter, pipeline, expected",
    [
        (Autograde, "autograde_preprocessors", {"Execute": "GuardedExecute InertOutputs"}),
        (Autograde, "sanitize_preprocessors", {"DeduplicateIds": "DeduplicateIds ForgetForeignMetadata"}),
        (GenerateFeedback, "preprocessors", {"GetGrades": "GetGrades ClearHiddenTests ConciseErrors"}),
    ],
)
def test_course_pipelines_are_nbgraders_defaults_with_the_course_steps(converter, pipeline, expected):
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    defaults = step_names(converter.class_traits()[pipeline].default())
    wanted = [name for step in defaults for name in expected.get(step, step).split()]
    assert step_names(config[converter.__name__][pipeline]) == wanted
