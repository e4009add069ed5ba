"""Every mistake the graders take points for is named by the visible checks first.

For each realistic mistake of tests/notebooks/mutations/<assignment>.py (``MUTATIONS`` and ``MORE_MISTAKES``), the
mutated source notebook is run cell by cell in one in-process IPython shell, as a student would run it,
up to and including the function's public-check cell (experiment and test cells skipped: neither is
needed to reach it). That cell must print at least one failure line, and the visible part of the
function's locked test (what the release shows above ``### BEGIN HIDDEN TESTS``) must fail too: a student
whose visible checks are green loses no points (tests/notebooks/test_grading.py checks that each mistake loses
exactly its function's points). The unchanged source, and every correct variant the graders accept
(``CORRECT_VARIANTS``), passes every public check and visible test.
"""

import contextlib
import io
import re

import matplotlib.pyplot as plt
import nbformat
import pytest

from coursekit.course import assignments
from helpers.notebook import is_experiment
from tests.support.course import (
    by_assignment,
    edit,
    mutations,
    nbgrader_meta,
    solution_cells,
    source_notebook,
    variants,
    visible_test,
)

#: The summary line run_checks prints when some checks failed (helpers.checks.FAIL_MARK).
FAILED_SUMMARY = re.compile(r"^\d+ of \d+ checks? failed\.$", re.MULTILINE)
PASSED_SUMMARY = re.compile(r"^All \d+ checks? passed\.$", re.MULTILINE)


def mistakes(assignment):
    """[(label, function, edits)]: every mistake of tests/notebooks/mutations/<assignment>.py."""
    found = [(f"wrong-{function}", function, [edit]) for function, edit in mutations(assignment).items()]
    found += [(label, function, edits) for label, function, edits, loses in variants(assignment) if loses]
    return found


CASES = [(assignment, *mistake) for assignment in assignments() for mistake in mistakes(assignment)]
CORRECT = [
    (assignment, label, function, edits)
    for assignment in assignments()
    for label, function, edits, loses in variants(assignment)
    if not loses
]


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    yield shell
    shell.reset(new_session=False)
    plt.close("all")


def run_up_to(shell, nb, function):
    """Run ``nb`` up to ``function``'s public checks: (their printed text, the visible test's error or None)."""
    shell.reset(new_session=False)
    plt.close("all")
    cells = [c for c in nb.cells if c.cell_type == "code"]
    (solution,) = [c for c in solution_cells(nb) if nbgrader_meta(c)["grade_id"] == function]
    check_index = cells.index(solution) + 1
    for cell in cells[:check_index]:
        if is_experiment(cell.source.splitlines()) or nbgrader_meta(cell).get("grade"):
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            result = shell.run_cell(cell.source, store_history=False, silent=True)
        assert result.success, f"cell before {function}'s checks failed: {result.error_in_exec!r}"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = shell.run_cell(cells[check_index].source, store_history=False, silent=True)
    error = result.error_before_exec or result.error_in_exec
    text = printed.getvalue() + (f"\n{type(error).__name__}: {error}" if error else "")
    with contextlib.redirect_stdout(io.StringIO()):
        result = shell.run_cell(visible_test(cells[check_index + 1]), store_history=False, silent=True)
    return text, result.error_in_exec or result.error_before_exec


@pytest.mark.parametrize("assignment", by_assignment(assignments()))
def test_solutions_pass_every_public_check_and_visible_test(shell, assignment):
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    for cell in solution_cells(nb):
        function = nbgrader_meta(cell)["grade_id"]
        text, error = run_up_to(shell, nb, function)
        assert PASSED_SUMMARY.search(text) and not FAILED_SUMMARY.search(text), f"{function}: {text}"
        assert error is None, f"the visible test of {function} fails on the solution: {error!r}"


_RUNS = {}


def mutated_run(shell, assignment, function, edits):
    """run_up_to on the source notebook with ``edits`` made to ``function`` (each edit run once a session)."""
    key = (assignment, function, repr(edits))
    if key not in _RUNS:
        nb = edit(nbformat.read(source_notebook(assignment), as_version=4), function, edits)
        _RUNS[key] = run_up_to(shell, nb, function)
    return _RUNS[key]


@pytest.mark.parametrize(
    ("assignment", "label", "function", "edits"),
    by_assignment(CASES, lambda case: case[0]),
    ids=[f"{a}-{label}" for a, label, *_ in CASES],
)
def test_the_public_checks_catch_the_mistake(shell, assignment, label, function, edits):
    text, _ = mutated_run(shell, assignment, function, edits)
    assert FAILED_SUMMARY.search(text), f"the public checks of {function} print no failure:\n{text}"


@pytest.mark.parametrize(
    ("assignment", "label", "function", "edits"),
    by_assignment(CASES, lambda case: case[0]),
    ids=[f"{a}-{label}" for a, label, *_ in CASES],
)
def test_the_visible_test_catches_the_mistake(shell, assignment, label, function, edits):
    _, error = mutated_run(shell, assignment, function, edits)
    assert isinstance(error, AssertionError), f"the visible test of {function} does not fail: {error!r}"


@pytest.mark.parametrize(
    ("assignment", "label", "function", "edits"),
    by_assignment(CORRECT, lambda case: case[0]),
    ids=[f"{a}-{label}" for a, label, *_ in CORRECT],
)
def test_correct_variants_pass_the_public_checks_and_visible_test(shell, assignment, label, function, edits):
    text, error = mutated_run(shell, assignment, function, edits)
    assert PASSED_SUMMARY.search(text) and not FAILED_SUMMARY.search(text), f"{label}: {text}"
    assert error is None, f"the visible test of {function} fails on a correct variant: {error!r}"


@pytest.mark.slow
def test_a_wrong_cache_does_not_blame_the_output_layer(shell):
    """Regularization: A2 cached before dropout but A3 computed right fails the cache's check, not A3's."""
    (edits,) = [
        e for label, _, e, _ in variants("regularization") if label == "wrong-cache-holds-A2-before-dropout"
    ]
    nb = edit(
        nbformat.read(source_notebook("regularization"), as_version=4),
        "forward_propagation_with_dropout",
        edits,
    )
    text, _ = run_up_to(shell, nb, "forward_propagation_with_dropout")
    assert "cache['A2'] = relu(Z2) * D2 / keep_prob" in text and "output layer" not in text, text
