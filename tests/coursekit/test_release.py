"""The learners' offline copy (coursekit/release.py, make html): a release with its figures, never a solution.

tests/system/test_accessibility.py runs ``make html`` on the course and audits the pages.
"""

import nbformat
import pytest

from coursekit.release import student_version, write_offline


def cell(kind, source, outputs=(), **nbgrader):
    made = (
        nbformat.v4.new_code_cell(source, outputs=list(outputs))
        if kind == "code"
        else nbformat.v4.new_markdown_cell(source)
    )
    if nbgrader:
        made.metadata["nbgrader"] = nbgrader
    return made


def printed(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


@pytest.fixture
def notebooks():
    """(released, source): a source notebook with outputs, and its release as nbgrader makes it (no outputs)."""
    source = nbformat.v4.new_notebook(
        cells=[
            cell("markdown", "# Exercise 1"),
            cell(
                "code",
                "def f():\n    return 42",
                [printed("the solution ran\n")],
                solution=True,
                grade_id="f",
            ),
            cell("code", "assert f() == 42", [printed("hidden test ran\n")], grade=True, grade_id="test_f"),
            cell("code", "# experiment: a plot\nprint(f())", [printed("42\n")]),
        ]
    )
    source.cells[3].execution_count = 7
    released = nbformat.from_dict(source)
    released.cells[1].source = "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    for each in released.cells:
        if each.cell_type == "code":
            each.outputs, each.execution_count = [], None
    return released, source


def test_student_version_has_the_sources_outputs_but_not_those_of_solutions_and_tests(notebooks):
    released, source = notebooks
    nb = student_version(released, source)
    assert [c.source for c in nb.cells] == [c.source for c in released.cells]  # the release's code
    assert [c.get("outputs") for c in nb.cells] == [None, [], [], [printed("42\n")]]
    assert nb.cells[3].execution_count == 7
    assert released.cells[3].outputs == []  # the release itself is left as it is


def test_student_version_matches_cells_by_id(notebooks):
    released, source = notebooks
    source.cells[3].id = "elsewhere"
    assert student_version(released, source).cells[3].outputs == []


def test_offline_pages_need_the_release(tmp_path):
    (tmp_path / "notebooks" / "initialization").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "initialization" / "Init.ipynb")
    with pytest.raises(FileNotFoundError, match="release the assignment first"):
        write_offline(tmp_path, ["initialization"])
