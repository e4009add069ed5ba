"""nbgrader configuration of the course: the repository root is the course directory.

notebooks/<assignment>/   source notebooks (solutions and hidden tests), one folder per assignment
release/<assignment>/     what students receive (`make release`)
submitted/<student>/<assignment>/  what students handed in; `make autograde` grades it into
autograded/ and feedback/, and exports grades.csv
"""

import os

from coursekit.preprocessors import ConciseErrors, StarterCode

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.course_id = "improving-dnn"

# What students see in place of a solution.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
c.ClearSolutions.code_stub = {"python": CODE_STUB}

# nbgrader 0.9.6's release steps, plus StarterCode right after ClearSolutions: a solution cell that
# carries starter code in its metadata (e.g. a function with planted bugs to find and fix) shows
# that code instead of the stub.
c.StarterCode.code_stub = CODE_STUB
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    StarterCode,
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# A grade cell a student deleted is put back from the source and graded, instead of silently
# becoming "needs manual grading".
c.OverwriteCells.add_missing_cells = True

# Per-cell time limit while validating and autograding; a cell that runs longer is interrupted,
# scores 0, and grading continues with the next cell.
c.Execute.timeout = 60

# Feedback shows each failed check's message but neither the hidden tests' code nor tracebacks
# (which would quote hidden test lines).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    ConciseErrors,
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
