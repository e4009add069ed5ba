"""nbconvert/nbgrader preprocessors used by the course's nbgrader configuration."""

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


class ConciseErrors(NbGraderPreprocessor):
    """Replace each error's traceback by one line, ``AssertionError: <message>``.

    Applied to feedback: a traceback quotes the failing line of a test cell, which would show
    hidden test code to the student; the assertion message says what to fix without it.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


#: Where a solution cell keeps the code students start from: ``cell.metadata[STARTER_KEY]["starter_code"]``.
STARTER_KEY = "coursekit"


def starter_code(cell):
    """The starter code a source cell carries (a string, dedented), or None.

    The metadata holds either one string or a list of lines (friendlier to edit and to diff).
    """
    code = cell.get("metadata", {}).get(STARTER_KEY, {}).get("starter_code")
    if code is None:
        return None
    return "\n".join(code) if isinstance(code, list) else code


def insert_starter_code(source, code, stub, name="cell"):
    """Replace the one (indented) ``stub`` in ``source`` by ``code``, indented the same way."""
    lines = source.split("\n")
    wanted = [line.strip() for line in stub.split("\n")]
    n = len(wanted)
    found = [i for i in range(len(lines) - n + 1) if [line.strip() for line in lines[i : i + n]] == wanted]
    if len(found) != 1:
        raise RuntimeError(f"{name}: expected one code stub to replace by starter code, found {len(found)}")
    (start,) = found
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    starter = [indent + line if line.strip() else "" for line in code.strip("\n").split("\n")]
    return "\n".join(lines[:start] + starter + lines[start + n :])


class StarterCode(NbGraderPreprocessor):
    """Show students starter code instead of the empty stub, in the solution cells that carry one.

    ClearSolutions replaces a solution region by ``code_stub`` ("YOUR CODE HERE"). A solution cell
    whose metadata holds ``{"coursekit": {"starter_code": ...}}`` gets that code in place of the
    stub instead, indented like the region it replaces, e.g. a function with planted bugs that the
    students find with a gradient check and fix. The source keeps the corrected code inside the
    solution region, so it validates; the metadata entry is removed from the release.

    Runs right after ClearSolutions; ``code_stub`` must equal ClearSolutions' stub (nbgrader_config.py
    sets both from one constant). A cell with starter code must hold exactly one solution region.
    """

    code_stub = Unicode(
        "# YOUR CODE HERE\nraise NotImplementedError()", help="ClearSolutions' code stub for Python"
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        code = starter_code(cell)
        if code is None:
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", cell_index)
        if not cell.metadata.get("nbgrader", {}).get("solution") or cell.cell_type != "code":
            raise RuntimeError(f"cell {grade_id}: starter code is only allowed in solution code cells")
        cell.source = insert_starter_code(cell.source, code, self.code_stub, grade_id)
        del cell.metadata[STARTER_KEY]["starter_code"]
        if not cell.metadata[STARTER_KEY]:
            del cell.metadata[STARTER_KEY]
        return cell, resources


class ForgetForeignMetadata(NbGraderPreprocessor):
    """Drop nbgrader metadata that does not belong to a cell of the source notebook.

    A submission can carry a grade cell under an id the source does not have (a student changed
    it), or an emptied ``nbgrader`` entry (nbgrader's DeduplicateIds leaves one on every duplicate of
    a cell). nbgrader 0.9.6's OverwriteCells then fails on the whole notebook (KeyError 'grade_id').
    Made ordinary cells instead, they are harmless, and OverwriteCells restores every missing original
    cell (``add_missing_cells``). Runs after DeduplicateIds, before OverwriteCells.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = {cell.name for cell in source.source_cells}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is not None and meta.get("grade_id") not in known:
                self.log.warning("Dropping nbgrader metadata the source does not have: %s", meta)
                del cell.metadata["nbgrader"]
        return nb, resources
