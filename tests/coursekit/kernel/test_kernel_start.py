"""A grading kernel that dies before it answers is started again: no student loses a grade to it.

Before any cell has run, a kernel's death is never the student's doing (a sandbox that could not be
set up, a machine briefly out of processes). Here the first sandbox runs a command that exits at
once instead of the kernel, as a kernel that crashes while it starts would.
"""

import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import ClassVar

import nbformat
import pytest

from coursekit.kernel.execute import GuardedExecute
from coursekit.kernel.sandbox import PRIVATE_PREFIX, SandboxedKernelManager

CELL_TIMEOUT = 30  # seconds: generous, the cells are one line each
#: Seconds a forked grading process gets for a one-cell notebook (a kernel start on a busy machine).
FORKED_PATIENCE_S = 120


class DiesAtStartOnce(SandboxedKernelManager):
    """A kernel manager whose first kernel exits before it opens its sockets."""

    starts: ClassVar[int] = 0

    def format_kernel_cmd(self, extra_arguments=None):
        DiesAtStartOnce.starts += 1
        cmd = super().format_kernel_cmd(extra_arguments)
        if DiesAtStartOnce.starts == 1:
            # Everything after prlimit's "--" is the kernel's command: replace it by one that fails.
            cut = len(cmd) - cmd[::-1].index("--")
            cmd = [*cmd[:cut], "/bin/false"]
        return cmd


@pytest.fixture
def dies_at_start_once():
    DiesAtStartOnce.starts = 0
    return DiesAtStartOnce


def graded_notebook():
    """A set-up cell and a one-point grade cell that passes when the set-up cell ran."""
    test = nbformat.v4.new_code_cell("assert x == 1")
    test.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "test_x",
        "points": 1,
        "locked": True,
        "solution": False,
        "schema_version": 3,
    }
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), test])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    return nb


def execute(folder, manager, **options):
    preprocessor = GuardedExecute(timeout=CELL_TIMEOUT, **options)
    preprocessor.kernel_manager_class = manager
    nb, _ = preprocessor.preprocess(graded_notebook(), {"metadata": {"path": str(folder)}})
    return nb


def test_a_kernel_that_dies_at_start_is_started_again(tmp_path, dies_at_start_once):
    nb = execute(tmp_path, dies_at_start_once)
    assert dies_at_start_once.starts == 2, "the first kernel died at start; a second one graded"
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    assert [c.execution_count for c in nb.cells] == [1, 2]


def test_without_a_retry_the_dead_kernel_fails_the_notebook(tmp_path, dies_at_start_once):
    # The scenario above really kills a kernel: with one attempt, the notebook cannot be graded.
    with pytest.raises(RuntimeError, match="ended"):
        execute(tmp_path, dies_at_start_once, start_attempts=1)
    assert dies_at_start_once.starts == 1
    left = list(Path(tempfile.gettempdir()).glob(f"{PRIVATE_PREFIX}{os.getpid()}-*"))
    assert not left, "the failed sandbox's private folder is left behind"


def _grade_in_child(folder, result):
    nb = execute(folder, SandboxedKernelManager)
    result.put([o.output_type for c in nb.cells for o in c.outputs])


def test_a_grading_process_forked_after_grading_starts_kernels(tmp_path):
    # make autograde's workers are forks of a process that may have graded already (the canary, a
    # service): whatever a kernel start leaves in the process (its event loop, threads) must not stop
    # the forks' kernels from starting.
    execute(tmp_path, SandboxedKernelManager)
    context = multiprocessing.get_context("fork")
    result = context.Queue()
    child = context.Process(target=_grade_in_child, args=(tmp_path, result))
    child.start()
    child.join(FORKED_PATIENCE_S)
    if child.is_alive():
        child.kill()
        pytest.fail(f"the forked grading process did not grade a one-cell notebook in {FORKED_PATIENCE_S} s")
    assert child.exitcode == 0
    assert result.get(timeout=1) == [], "no cell failed"
