"""nbgrader configuration of the course: the repository root is the course directory.

notebooks/<assignment>/   source notebooks (solutions and hidden tests), one folder per assignment
release/<assignment>/     what students receive (`make release`)
submitted/<student>/<assignment>/  what students handed in; `make autograde` grades it into
autograded/ and feedback/, and exports grades.csv
"""

import os

from coursekit.plugins import ConciseErrors, StarterCode

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.course_id = "improving-dnn"

# nbgrader's exchange, through which students fetch assignments and submit them: a folder every user
# of the machine (or of the JupyterHub) can reach, world-writable with the sticky bit (mode 1777).
# deploy/jupyter/student/nbgrader_config.py is the students' side of the same settings.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/usr/local/share/nbgrader/exchange")
c.ExchangeFactory.submit = "coursekit.plugins.PrivateSubmit"

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

# Autograding executes untrusted code: coursekit's GuardedExecute runs it in a bubblewrap sandbox
# with a memory limit, recovers from dead kernels and timeouts, caps output and fails tampered tests
# (see coursekit/kernel/execute.py). The rest is nbgrader 0.9's default autograde pipeline.
c.Autograde.autograde_preprocessors = [
    "coursekit.kernel.execute.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GuardedExecute.timeout = 60
# Kernels that grade must not see the exchange either (every student's submission is there).
c.SandboxedKernelManager.hidden_paths = [c.Exchange.root]

# nbgrader's sanitizing steps, plus ForgetForeignMetadata: a test cell whose id a student changed,
# or a duplicated one, must not make nbgrader give up on the whole notebook.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "coursekit.plugins.ForgetForeignMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
