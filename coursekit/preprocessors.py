"""nbconvert/nbgrader preprocessors used by the course's nbgrader configuration."""

from nbgrader.preprocessors import NbGraderPreprocessor


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
