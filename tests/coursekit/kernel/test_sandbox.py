"""The grading sandbox against a hostile student (issue 22): every attack in one kernel, as the suite's user.

One notebook (tests/support/attacks.py) tries each attack in turn while the grading process holds
secrets of its own: a variable in its environment, a private key in its home (a folder outside /tmp,
as a real home is), a course folder with source notebooks and a gradebook, a TCP port and an abstract
Unix socket listening for the token. tests/system/test_sandbox.py runs the same notebook with grading
done as the graders' account and as root.
"""

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from jupyter_core.utils import run_sync

from coursekit.kernel.sandbox import MAX_MESSAGE_BYTES, PRIVATE_PREFIX, SandboxedKernelManager
from tests.support import REPO, attacks
from tests.support.attacks import SECRET_VARIABLE, make_targets, stray_processes


def grader_resources():
    """This process's open descriptors and its sandboxes' private folders."""
    run_sync(asyncio.sleep)(0)  # the event loop that every kernel of this process uses: made once, kept
    folders = {p.name for p in Path(tempfile.gettempdir()).glob(f"{PRIVATE_PREFIX}{os.getpid()}-*")}
    return len(os.listdir("/proc/self/fd")), folders


@pytest.fixture(scope="module")
def attacked():
    """The attack notebook, graded once in this process (see ``attacks.verdicts`` for the fields)."""
    with attacks.grading_side("dnn-sandbox-test-") as (token, listener, base):
        targets, home, folder, gradebook = make_targets(base, token, listener)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(SECRET_VARIABLE, f"secret-{token}")
            patch.setenv("HOME", str(home))
            before = grader_resources()
            nb = attacks.execute(attacks.notebook(targets), folder)
            yield SimpleNamespace(
                resources=(before, grader_resources()), nb=nb, found=attacks.found(nb), token=token,
                grader=" ".join(psutil.Process().cmdline()) + " ", received=listener.received,
                left=stray_processes(token), gradebook=gradebook.read_bytes(), not_uids={0},
            )  # fmt: skip


@pytest.mark.parametrize("attack", attacks.ATTACKS)
def test_the_attack_fails_and_a_limit_says_so(attacked, attack):
    assert not attacks.verdicts(attacked)[attack]


def test_the_kernel_gets_only_the_allowed_environment(attacked):
    allowed = {"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR", "PWD", "SHLVL", "_"}
    allowed |= set(SandboxedKernelManager.class_traits()["env_allowed"].default())
    set_by_ipykernel = {"MPLBACKEND", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "PAGER", "GIT_PAGER", "TERM",
                        "PYDEVD_USE_FRAME_EVAL"}  # fmt: skip
    assert set(attacked.found["env"]["own"]) <= allowed | set_by_ipykernel


def test_the_grader_keeps_nothing_of_its_sandboxes(attacked):
    # The attacks cost a kernel (the CPU limit): a long-running grading process must not leak a
    # descriptor or a folder per kernel.
    (fds_before, folders_before), (fds_after, folders_after) = attacked.resources
    assert fds_after <= fds_before
    assert folders_after <= folders_before


#: A grading process that runs a one-cell notebook displaying ``size`` characters, twice (a small
#: one, then a huge one), and prints its peak memory (KiB) after each.
PEAK_AFTER_DISPLAY = """
import resource, sys, tempfile, nbformat
from tests.support import attacks
for size in (1_000, {size}):
    cell = nbformat.v4.new_code_cell(f"display({{{{'text/plain': 'x' * {{size}}}}}}, raw=True)")
    with tempfile.TemporaryDirectory() as folder:
        attacks.execute(nbformat.v4.new_notebook(cells=[cell], metadata=attacks.KERNEL), folder)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
#: What one kernel's message may take of the grader's memory at most (the limit, and as much again).
MESSAGE_MEMORY_KIB = 2 * (MAX_MESSAGE_BYTES >> 10)
HUGE_DISPLAY = MAX_MESSAGE_BYTES + (1 << 20)


def test_one_huge_message_cannot_fill_the_graders_memory():
    script = PEAK_AFTER_DISPLAY.format(size=HUGE_DISPLAY)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    small, huge = (int(line) for line in result.stdout.split())
    assert huge - small < MESSAGE_MEMORY_KIB, f"the grader's peak memory grew by {(huge - small) >> 10} MiB"


#: A grading process that runs one cell in the sandbox and prints what the kernel printed (or its error).
ONE_CELL = """
import tempfile, nbformat
from tests.support import attacks
cell = nbformat.v4.new_code_cell("import helpers, numpy; print('kernel runs')")
with tempfile.TemporaryDirectory() as folder:
    nb = attacks.execute(nbformat.v4.new_notebook(cells=[cell], metadata=attacks.KERNEL), folder)
print(*[o.get("text", "") or o.get("evalue", "") for o in nb.cells[0].outputs])
"""


def test_a_python_environment_reached_through_a_link_runs_in_the_sandbox(tmp_path):
    # An instructor's .venv may be a link to an environment elsewhere; the sandbox binds the environment's
    # real folders, so the kernel must be run by a path that exists there.
    (tmp_path / "venv").symlink_to(sys.prefix, target_is_directory=True)
    linked = tmp_path / "venv" / "bin" / Path(sys.executable).name
    result = subprocess.run([linked, "-c", ONE_CELL], cwd=REPO, capture_output=True, text=True, check=True)
    assert "kernel runs" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
