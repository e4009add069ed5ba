"""A grading kernel that dies before it answers is started again: no student loses a grade to it.

jupyter_client picks a kernel's TCP ports before the kernel binds them, so two grading processes can
pick the same port; the kernel that binds second dies with "Address already in use" before any cell
has run. Here another socket holds the first kernel's shell port, as the other process would.
"""

import socket
from typing import ClassVar

import nbformat
import pytest

from coursekit.kernel.execute import GuardedExecute
from coursekit.kernel.sandbox import SandboxedKernelManager

CELL_TIMEOUT = 30  # seconds: generous, the cells are one line each


class PortTakenOnce(SandboxedKernelManager):
    """A kernel manager whose first kernel finds its shell port taken by another process's socket."""

    starts: ClassVar[int] = 0
    held: ClassVar[list] = []  # the sockets holding a port

    def format_kernel_cmd(self, extra_arguments=None):
        # Called after the ports are chosen and written to the connection file, before the launch.
        PortTakenOnce.starts += 1
        if PortTakenOnce.starts == 1:
            taken = socket.socket()
            taken.bind((self.ip, self.shell_port))
            taken.listen()
            PortTakenOnce.held.append(taken)
        return super().format_kernel_cmd(extra_arguments)


@pytest.fixture
def port_taken_once():
    PortTakenOnce.starts = 0
    yield PortTakenOnce
    for taken in PortTakenOnce.held:
        taken.close()
    PortTakenOnce.held.clear()


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


def test_a_kernel_that_dies_at_start_is_started_again(tmp_path, port_taken_once):
    nb = execute(tmp_path, port_taken_once)
    assert port_taken_once.starts == 2, "the first kernel died on its taken port; a second one graded"
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    assert [c.execution_count for c in nb.cells] == [1, 2]


def test_without_a_retry_the_taken_port_fails_the_notebook(tmp_path, port_taken_once):
    # The scenario above really kills a kernel: with one attempt, the notebook cannot be graded.
    with pytest.raises(RuntimeError):
        execute(tmp_path, port_taken_once, start_attempts=1)
    assert port_taken_once.starts == 1
