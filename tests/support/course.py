"""Building throw-away nbgrader courses for the grading tests.

A course is a temporary copy of the repository's nbgrader_config.py and notebooks/, in which the
tests release assignments, drop crafted submissions into submitted/<student>/<assignment>/ and
autograde them with the same commands an instructor runs.
"""

import contextlib
import importlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import venv
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.course import assignments, source_notebook  # noqa: F401 -- the tests import it from here
from tests.support import REPO, free_port, wait_until

#: The assignment whose grading round trip and public checks ``make check`` runs; the others' are slow.
QUICK_ASSIGNMENT = "initialization"
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)


@contextlib.contextmanager
def running_lab(root, command=None, env=None, timeout=60):
    """JupyterLab serving ``root`` on a free localhost port: yields (base URL, token); stopped afterwards.

    ``command`` is a shell command line that starts JupyterLab (e.g. what ``make -n lab`` prints), run in
    ``root``; the port, token and no-browser options are appended. By default the lab serves ``root``.
    """
    root = Path(root)
    port, token = free_port(), secrets.token_hex(16)
    options = f"--no-browser --port={port} --ip=127.0.0.1 --IdentityProvider.token={token}"
    if command is None:
        command = f"{sys.executable} -m jupyterlab --ServerApp.root_dir={root}"
        if os.geteuid() == 0:
            command += " --allow-root"
    log_path = root / f"lab-{port}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            f"exec env {command} {options}",
            shell=True,
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"

        def answers():
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                return True
            except OSError:
                return False

        try:
            wait_until(
                answers,
                "JupyterLab did not start",
                timeout,
                details=lambda: log_path.read_text()[-3000:],
                alive=lambda: server.poll() is not None and f"exited with {server.returncode}",
            )
            yield base, token
        finally:
            server.terminate()
            server.wait(timeout=30)


def by_assignment(values, assignment_of=lambda value: value):
    """``values`` as pytest parameters, those of every assignment but ``QUICK_ASSIGNMENT`` marked slow."""
    params = []
    for value in values:
        marks = () if assignment_of(value) == QUICK_ASSIGNMENT else pytest.mark.slow
        params.append(
            pytest.param(*value, marks=marks)
            if isinstance(value, tuple)
            else pytest.param(value, marks=marks)
        )
    return params


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def visible_test(cell):
    """The locked test cell as the release shows it: the hidden region removed."""
    return HIDDEN_REGION.sub("", cell.source).replace("### BEGIN HIDDEN TESTS", "")


def solution_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("solution")]


def grade_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("grade")]


def points(nb):
    """{grade_id: points} of the autograded test cells."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in grade_cells(nb)}


def _module(assignment):
    return importlib.import_module(f"tests.notebooks.mutations.{assignment}")


def mutations(assignment):
    """{function name: (old, new)}: one realistic mistake per graded function, from tests/notebooks/mutations/<id>.py."""
    return _module(assignment).MUTATIONS


def variants(assignment):
    """Extra submissions of tests/notebooks/mutations/<id>.py, as [(student, function, edits, loses_points)].

    ``CORRECT_VARIANTS`` are other correct implementations, which must score full marks;
    ``MORE_MISTAKES`` are further realistic mistakes, which must lose exactly their function's points.
    Each entry is ``(label, function, [(old, new), ...])``.
    """
    module = _module(assignment)
    out = []
    for attribute, loses in (("CORRECT_VARIANTS", False), ("MORE_MISTAKES", True)):
        for label, function, edits in getattr(module, attribute, []):
            out.append((f"{'wrong' if loses else 'right'}-{label}", function, edits, loses))
    return out


def mutate(nb, function, old, new):
    """A copy of the source notebook whose solution of ``function`` has ``old`` replaced by ``new``."""
    return edit(nb, function, [(old, new)])


def edit(nb, function, edits):
    """A copy of the source notebook with each (old, new) replacement applied to ``function``'s solution."""
    nb = nbformat.from_dict(nb)
    (cell,) = [c for c in solution_cells(nb) if nbgrader_meta(c)["grade_id"] == function]
    for old, new in edits:
        assert old in cell.source, f"edit of {function}: {old!r} is not in its solution"
        cell.source = cell.source.replace(old, new)
    return nb


def make_course(root):
    """Copy the course configuration and sources into ``root``; return the assignment ids."""
    root = Path(root)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(
        REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    return assignments(root)


#: The environment the suite runs in, which ``make`` targets of a course copy use (``VENV=...``).
VENV = Path(sys.prefix)
#: Whether that environment was made by ``make install`` (so that make sees it as up to date).
MADE_BY_MAKE = (VENV / ".installed").exists()


def make(course, *args):
    """Run ``make <args>`` in a course copy with this suite's environment; return its output."""
    result = subprocess.run(
        ["make", "--no-print-directory", *args, f"VENV={VENV}"],
        cwd=course,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def self_study_course(root):
    """Copy what ``make lab`` needs into ``root`` (timestamps kept) and make the learner's copies there."""
    root = Path(root)
    for name in ("Makefile", "pyproject.toml", "requirements.lock", "nbgrader_config.py"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(
        REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    shutil.copytree(REPO / "deploy" / "jupyter" / "self-study", root / "deploy" / "jupyter" / "self-study")
    make(root, "student")
    return root


def make_lab_command(course, target="lab"):
    """The command ``make <target>`` runs to start JupyterLab (its last line under ``make -n``)."""
    return make(course, "-s", "-n", target).strip().splitlines()[-1]


def submit(root, student, assignment, nb, name):
    folder = Path(root) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def scores(root, assignment, student):
    """{grade_id: (score, needs_manual_grade)} of one autograded submission."""
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return {
            grade.name: (grade.score, grade.needs_manual_grade)
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


def python_without_helpers(folder):
    """A virtual environment that sees this one's packages (numpy, ipykernel, ...) but not helpers."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
    (site,) = Path(folder).glob("lib/python*/site-packages")
    # A plain path entry: the editable install's finder (a .pth of the course's environment) stays out.
    (site / "course_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return Path(folder) / "bin" / "python"
