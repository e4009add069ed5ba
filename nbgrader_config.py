"""nbgrader configuration of the course: the repository root is the course directory.

notebooks/<assignment>/   source notebooks (solutions and hidden tests), one folder per assignment
release/<assignment>/     what students receive (`make release`)
submitted/<student>/<assignment>/  what students handed in; `make autograde` grades it into
autograded/ and feedback/, and exports grades.csv

nbgrader's pipelines are its own defaults (nbgrader 0.9, pinned in pyproject.toml) with the course's
steps put in by name (coursekit/plugins.py), so that whatever else nbgrader does stays as it is.
"""

import os

from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests

from coursekit.inert import InertOutputs
from coursekit.kernel.execute import GuardedExecute
from coursekit.pages import CodeStyle, FeedbackExporter
from coursekit.plugins import (
    ConciseErrors,
    ForgetForeignMetadata,
    PrivateSubmit,
    SafeCollect,
    StarterCode,
    inserted_after,
    replaced,
)

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file


def default(converter, pipeline):
    """nbgrader's default list of steps of one of its converters' pipelines."""
    return list(converter.class_traits()[pipeline].default())


c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.course_id = "improving-dnn"

# nbgrader's exchange, through which students fetch assignments and submit them: a folder every user
# of the machine (or of the JupyterHub) can reach, world-writable with the sticky bit (mode 1777).
# deploy/jupyter/student/nbgrader_config.py is the students' side of the same settings.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/usr/local/share/nbgrader/exchange")
c.ExchangeFactory.submit = PrivateSubmit
# nbgrader collect reads each submission as data: regular files only, never through a link (a student's
# link to a source notebook would otherwise be collected as the solutions).
c.ExchangeFactory.collect = SafeCollect

# What students see in place of a solution.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
c.ClearSolutions.code_stub = {"python": CODE_STUB}

# Release: StarterCode right after ClearSolutions: a solution cell that carries starter code in its
# metadata (e.g. a function with planted bugs to find and fix) shows that code instead of the stub.
c.StarterCode.code_stub = CODE_STUB
c.GenerateAssignment.preprocessors = inserted_after(
    default(GenerateAssignment, "preprocessors"), "ClearSolutions", StarterCode
)

# A grade cell a student deleted is put back from the source and graded, instead of silently
# becoming "needs manual grading".
c.OverwriteCells.add_missing_cells = True

# Per-cell time limit while validating and autograding; a cell that runs longer is interrupted,
# scores 0, and grading continues with the next cell.
c.Execute.timeout = 60

# Feedback shows each failed check's message but neither the hidden tests' code nor tracebacks
# (which would quote hidden test lines).
c.GenerateFeedback.preprocessors = inserted_after(
    default(GenerateFeedback, "preprocessors"), "GetGrades", ClearHiddenTests, ConciseErrors
)

# Autograding executes untrusted code: GuardedExecute, in place of nbgrader's Execute, runs it in a
# bubblewrap sandbox (coursekit/kernel/sandbox.py: no network, no other process, none of the machine's
# files but the kernel's Python, bounded resources), recovers from dead kernels and timeouts, caps
# output and fails tampered tests (coursekit/kernel/). Right after it, InertOutputs makes what the
# kernel printed safe to show (coursekit/inert.py): feedback pages and formgrader render the graded
# notebook, and a student's <script> must not run there.
c.Autograde.autograde_preprocessors = inserted_after(
    replaced(default(Autograde, "autograde_preprocessors"), "Execute", GuardedExecute),
    "GuardedExecute",
    InertOutputs,
)
c.GuardedExecute.timeout = 60
# What one submission's kernel may use; a cell that hits a limit says which in the student's feedback.
c.SandboxedKernelManager.memory_limit_mb = 2048  # address space of each process (MemoryError beyond)
c.SandboxedKernelManager.disk_limit_mb = 200  # all it writes: its folder, /tmp and home (held in memory)
c.SandboxedKernelManager.max_processes = 64  # processes and threads at once (a kernel uses about 10)
c.SandboxedKernelManager.cpu_limit_s = 300  # CPU seconds per process (the kernel's: the whole notebook)
# Grading as root, kernels run as this unprivileged user (.ci/run creates it; see the README's threat
# model); grading as the graders' account, they run as that account, in a user namespace.
c.SandboxedKernelManager.sandbox_user = "dnn-sandbox"

# Sanitizing, ForgetForeignMetadata right after DeduplicateIds: a test cell whose id a student changed,
# or a duplicated one, must not make nbgrader give up on the whole notebook.
c.Autograde.sanitize_preprocessors = inserted_after(
    default(Autograde, "sanitize_preprocessors"), "DeduplicateIds", ForgetForeignMetadata
)

# Feedback pages pass WCAG 2.1 AA (coursekit/pages.py): nbgrader's feedback template inside the kit's
# (a language, contrast, underlined links), and code colours with 4.5:1 contrast.
c.GenerateFeedback.exporter_class = FeedbackExporter
c.CSSHTMLHeaderPreprocessor.style = CodeStyle

# --- the grading service (python -m coursekit serve, make serve; coursekit/service/policy.py) ------------
# What a student sees of a submission graded before its due date: "full", "score" or "public" (checks only).
c.GradingService.feedback_before_deadline = "full"
# Graded attempts per student and assignment in a rolling window (0: no limit); later ones wait.
c.GradingService.max_attempts = 0
c.GradingService.attempt_window_hours = 24
# Which graded submission the gradebook holds: "latest", or "best" (before the due date).
c.GradingService.counts = "latest"
# Grading processes on this machine (-1: one per core; 0: only workers on other machines).
c.GradingService.workers = -1
# The task queue's scheduler (TLS only); "tls://0.0.0.0:8786" lets workers on other machines join.
c.GradingService.scheduler_address = "tls://127.0.0.1:0"
