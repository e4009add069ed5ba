"""Ctrl-C on `make autograde` stops it within seconds, says what was recorded, and leaves no process.

Before, the pool waited for every queued submission (minutes for a class) and then printed a
traceback; results that finished meanwhile were not recorded. Then, the running notebooks ran on to their end
and a worker ended by the pool left its scratch folder (a copy of the gradebook and submissions) in /tmp.
"""

import os
import re
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.release import release
from tests.support import wait_until
from tests.support.course import make_course, source_notebook, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "gradient_checking"  # the quickest notebook to grade
SUBMISSIONS = 8  # enough that a Ctrl-C after the first result leaves most of them queued
STOP_TIMEOUT = 15  # seconds: the running notebooks are stopped, the queued ones dropped (a cell may run 60 s)
KERNELS_GONE_S = 1  # seconds after autograde exits


# A terminal's Ctrl-C goes to the whole process group; `kill -INT` (or a terminal when the workers were started
# with SIGINT ignored, as a shell does for background jobs) only to the main process.
@pytest.mark.parametrize("to_group", [True, False], ids=["ctrl-c", "main-process-only"])
def test_ctrl_c_stops_autograde_and_keeps_what_was_recorded(tmp_path, to_group):
    make_course(tmp_path)
    release(tmp_path, [ASSIGNMENT])
    source = source_notebook(ASSIGNMENT, tmp_path)
    for i in range(SUBMISSIONS):
        nb = nbformat.read(source, as_version=4)
        if i:  # the first submission gives the "[1/" line; the others run until their cell's time limit
            nb.cells.append(nbformat.v4.new_code_cell("while True:\n    pass"))
        submit(tmp_path, f"s{i}", ASSIGNMENT, nb, source.name)
    scratch = tmp_path / "tmp"  # the grading's temporary folder: what it leaves there, it leaves behind
    scratch.mkdir()
    # A terminal's Ctrl-C: SIGINT to the foreground process group, whose processes take its default action
    # (a shell running this suite in the background would hand them SIGINT ignored).
    grading = subprocess.Popen(
        [sys.executable, "-m", "coursekit", "--root", str(tmp_path), "autograde", ASSIGNMENT, "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 -- no threads yet
    )
    for line in grading.stdout:
        if line.startswith("[1/"):
            break
    (os.killpg if to_group else os.kill)(grading.pid, signal.SIGINT)
    start = time.monotonic()
    output = grading.communicate(timeout=STOP_TIMEOUT)[0]
    assert grading.returncode == 130, output[-3000:]
    assert time.monotonic() - start < STOP_TIMEOUT
    said = re.search(r"interrupted: (\d+) of (\d+) submissions graded and recorded", output)
    assert said and int(said[2]) == SUBMISSIONS, output[-3000:]
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        recorded = len(gradebook.find_assignment(ASSIGNMENT).submissions) if int(said[1]) else 0
    assert recorded == int(said[1]) < SUBMISSIONS
    # bwrap's --die-with-parent: the kernels go with their worker, within a second.
    wait_until(
        lambda: not leftovers(tmp_path),
        "no process left behind",
        KERNELS_GONE_S,
        details=lambda: f"left: {leftovers(tmp_path)}",
    )
    assert not list(scratch.iterdir()), "the workers' scratch folders are left behind"


def leftovers(folder):
    """Process ids of whatever still runs with ``folder`` on its command line."""
    result = subprocess.run(["pgrep", "-f", str(folder)], check=False, capture_output=True, text=True)
    return result.stdout.split()
