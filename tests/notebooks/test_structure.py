"""The grading contract every source notebook follows (static checks, no kernel needed)."""

import ast
import re
import textwrap

import nbformat
import pytest

from coursekit.course import assignments
from coursekit.plugins import insert_starter_code, starter_code
from helpers.notebook import EXPERIMENT_MARKER
from tests.support.course import SOLUTION_REGION, grade_cells, nbgrader_meta, solution_cells, source_notebook

NOTEBOOKS = {a: nbformat.read(source_notebook(a), as_version=4) for a in assignments()}
STUB_LINE = "raise NotImplementedError()"  # a one-line stand-in for the release's code stub
EXPERIMENT_CALLS = re.compile(r"\b(train|plot_\w+|plt\.\w+)\(")


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(params=list(NOTEBOOKS))
def nb(request):
    return NOTEBOOKS[request.param]


def test_each_solution_cell_holds_one_function_named_by_its_grade_id(nb):
    assert solution_cells(nb), "a source notebook has graded exercises"
    for cell in solution_cells(nb):
        meta = nbgrader_meta(cell)
        tree = ast.parse(cell.source)
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), (
            f"solution cell {meta['grade_id']} must hold only its function"
        )
        function = tree.body[0]
        assert function.name == meta["grade_id"]
        assert ast.get_docstring(function), f"{function.name} needs a docstring stating shapes"
        assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION") == 1
        assert not meta.get("grade") and not meta.get("locked")


def test_each_solution_is_followed_by_a_public_check_and_one_locked_test(nb):
    cells = code_cells(nb)
    for cell in solution_cells(nb):
        name = nbgrader_meta(cell)["grade_id"]
        i = cells.index(cell)
        check, test = cells[i + 1], cells[i + 2]
        assert not nbgrader_meta(check), f"the cell after {name} runs its public checks"
        meta = nbgrader_meta(test)
        assert meta.get("grade_id") == f"test_{name}" and meta.get("grade") and meta.get("locked")
        assert meta.get("points", 0) > 0
        docstring = test.source.split("\n", 1)[0]
        assert docstring.startswith('"""') and docstring.endswith('"""') and len(docstring) > 10, (
            f"test_{name} opens with a one-line docstring saying what it checks"
        )
        # The locked test runs the exercise's specification (helpers/specs/) through the engine, with its
        # visible values above the hidden region and other values inside it.
        runs_spec = re.compile(rf"assert_checks\(\s*{name},\s*spec\.{name}\(")
        visible, _, rest = test.source.partition("### BEGIN HIDDEN TESTS")
        assert runs_spec.search(visible), f"test_{name} runs the visible cases"
        assert "### END HIDDEN TESTS" in rest and runs_spec.search(rest), f"test_{name} has hidden cases"
        assert re.search(rf"run_checks\(\s*{name},\s*spec\.{name}\(\)\)", check.source), (
            f"{name}'s public check runs its specification's visible cases"
        )


def test_starter_code_releases_its_function_and_differs_from_the_solution(nb):
    """A solution cell may carry starter code for the release (coursekit.plugins.StarterCode)."""
    for cell in nb.cells:
        code = starter_code(cell)
        if code is None:
            continue
        meta = nbgrader_meta(cell)
        assert meta.get("solution") and cell.cell_type == "code", "starter code belongs to a solution cell"
        (region,) = SOLUTION_REGION.findall(cell.source)
        assert code.strip() != textwrap.dedent(region).strip(), f"{meta['grade_id']}: starter code = solution"
        stubbed = re.sub(r"### BEGIN SOLUTION\n.*?### END SOLUTION", STUB_LINE, cell.source, flags=re.DOTALL)
        released = insert_starter_code(stubbed, code, STUB_LINE, meta["grade_id"])
        tree = ast.parse(released)
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), (
            f"the released {meta['grade_id']} cell must hold only its function"
        )
        assert tree.body[0].name == meta["grade_id"]


def test_grade_cells_pair_with_solutions(nb):
    tests = [nbgrader_meta(c)["grade_id"] for c in grade_cells(nb)]
    functions = [nbgrader_meta(c)["grade_id"] for c in solution_cells(nb)]
    assert tests == [f"test_{f}" for f in functions]
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids))


def test_committed_outputs_are_complete_and_clean(nb):
    for cell in code_cells(nb):
        assert cell.execution_count is not None, f"not executed: {cell.source[:60]!r}"
        for output in cell.outputs:
            assert output.output_type != "error", f"error output in {cell.source[:60]!r}"
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                f"stderr in {cell.source[:60]!r}: {output.text[:200]}"
            )


def test_slow_work_is_marked_as_experiment(nb):
    graded = {id(c) for c in solution_cells(nb) + grade_cells(nb)}
    for cell in code_cells(nb):
        if id(cell) in graded or cell.source.lstrip().lower().startswith(EXPERIMENT_MARKER):
            continue
        calls = EXPERIMENT_CALLS.findall(cell.source)
        assert not calls, f"training/plotting outside an experiment cell ({calls}): {cell.source[:60]!r}"


def test_no_global_seeding_star_imports_or_path_hacks(nb):
    graded = {id(c) for c in grade_cells(nb)}  # tests seed numpy on purpose, to check it is left alone
    for cell in code_cells(nb):
        assert "import *" not in cell.source and "sys.path" not in cell.source
        if id(cell) not in graded:
            assert "np.random.seed" not in cell.source, f"use a Generator: {cell.source[:60]!r}"


def test_kernel_is_python3(nb):
    assert nb.metadata.kernelspec.name == "python3"
