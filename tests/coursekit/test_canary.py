"""The canary: a grading process grades the source solution before any submission (issue #19).

A grading environment that cannot give the source solution full marks (here: a kernel whose Python
cannot import helpers, as with a second checkout sharing another checkout's virtual environment)
must stop grading before the course gradebook is touched, say why, and exit non-zero; a correct one
passes, and the sandbox shows the kernel the packages its own Python imports.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.kernel.sandbox import kernel_paths
from coursekit.release import release
from coursekit.workers import canary
from tests.support import REPO
from tests.support.course import make_course, python_without_helpers, source_notebook, submit

ASSIGNMENT = "initialization"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("canary")
    make_course(root)
    release(root, [ASSIGNMENT])
    path = source_notebook(ASSIGNMENT, root)
    for student in ("ada", "bob"):
        submit(root, student, ASSIGNMENT, nbformat.read(path, as_version=4), path.name)
    return root


def test_a_kernel_that_cannot_import_helpers_stops_grading(course, tmp_path):
    python = python_without_helpers(tmp_path / "venv")
    assert subprocess.run([python, "-c", "import numpy, ipykernel"], check=False).returncode == 0
    # The course's "python3" kernel now runs that Python (JUPYTER_PATH comes first).
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    env = dict(os.environ, JUPYTER_PATH=str(tmp_path / "jupyter"))
    command = [sys.executable, "-m", "coursekit", "--root", str(course), "autograde", "-j", "2", ASSIGNMENT]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "canary failed" in result.stderr
    assert "cannot import helpers" in result.stderr
    assert "'%load_ext helpers.notebook'" in result.stderr, "the message names the failing cell"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert gradebook.find_assignment(ASSIGNMENT).submissions == [], "no grade may be recorded"
        assert gradebook.students == []


def test_a_correct_set_up_passes_the_canary(course, tmp_path):
    shutil.copy(course / "gradebook.db", tmp_path / "scratch.db")
    db_url = f"sqlite:///{tmp_path / 'scratch.db'}"
    seconds = canary(course, ASSIGNMENT, db_url)
    assert 0 < seconds < 60
    with Gradebook(db_url) as gradebook:
        assert gradebook.find_assignment(ASSIGNMENT).submissions == [], "the canary leaves no submission"
    assert not (course / "autograded").exists(), "the canary works in a scratch folder"


def test_the_sandbox_shows_what_the_kernels_python_imports(tmp_path):
    import coursekit
    import helpers

    package = str(Path(helpers.__file__).resolve().parent)
    assert package in kernel_paths(sys.executable)
    assert str(Path(coursekit.__file__).resolve().parent) in kernel_paths(sys.executable)
    assert package not in kernel_paths(str(python_without_helpers(tmp_path / "venv")))
